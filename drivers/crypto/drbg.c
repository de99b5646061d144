#include "drbg.h"
#include "mbedtls/ctr_drbg.h"

static mbedtls_ctr_drbg_context ctx;
static int seeded;
static uint32_t requests;

int drbg_seed(drbg_entropy_fn entropy, const uint8_t *pers, size_t pers_len)
{
	if (seeded)
		mbedtls_ctr_drbg_free(&ctx);
	mbedtls_ctr_drbg_init(&ctx);
	int ret = mbedtls_ctr_drbg_seed(&ctx, entropy, NULL, pers, pers_len);
	seeded = ret == 0;
	if (!seeded)
		mbedtls_ctr_drbg_free(&ctx);
	return ret;
}

int drbg_random(uint8_t *out, size_t len)
{
	if (!seeded || len > DRBG_MAX_REQUEST)
		return -1;
	requests++;
	return mbedtls_ctr_drbg_random(&ctx, out, len);
}

int drbg_seeded(void)
{
	return seeded;
}

uint32_t drbg_requests(void)
{
	return requests;
}
