/* Symmetric crypto over mbed TLS 2.28: see crypto.h. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "mbedtls/aes.h"
#include "mbedtls/ccm.h"
#include "mbedtls/cipher.h"
#include "mbedtls/cmac.h"
#include "mbedtls/gcm.h"
#include "mbedtls/platform_util.h"

/* ---- the pool behind mbed TLS's calloc ----
 * The cipher layer asks for one AES key schedule per context, CMAC for one more small block:
 * at most two live at once here. A slot is zeroed when handed out and wiped when returned. */
#ifndef CRYPTO_POOL_SLOTS
#define CRYPTO_POOL_SLOTS 2
#endif

typedef union {
	mbedtls_aes_context aes;
	mbedtls_cmac_context_t cmac;
	void *align;
} pool_slot_t;

static pool_slot_t pool[CRYPTO_POOL_SLOTS];
static uint8_t pool_used[CRYPTO_POOL_SLOTS];
static crypto_pool_stats_t pool_stats;
static void *(*arena_calloc)(size_t);
static int (*arena_free)(void *);

void crypto_pool_arena(void *(*calloc_fn)(size_t), int (*free_fn)(void *))
{
	arena_calloc = calloc_fn;
	arena_free = free_fn;
}

void *crypto_pool_calloc(size_t count, size_t size)
{
	unsigned i;
	if (count != 0 && size > (size_t)-1 / count)
		return NULL;
	size *= count;
	if (arena_calloc)
		return arena_calloc(size);
	if (size > sizeof(pool_slot_t)) {
		/* not a crypto context: some other mbed TLS user; let the C heap have it */
		pool_stats.heap_fallbacks++;
		return calloc(1, size);
	}
	for (i = 0; i < CRYPTO_POOL_SLOTS; i++) {
		if (!pool_used[i]) {
			pool_used[i] = 1;
			if (++pool_stats.in_use > pool_stats.peak)
				pool_stats.peak = pool_stats.in_use;
			memset(&pool[i], 0, sizeof(pool[i]));
			return &pool[i];
		}
	}
	pool_stats.exhausted++;
	return NULL;
}

void crypto_pool_free(void *ptr)
{
	uintptr_t p = (uintptr_t)ptr, base = (uintptr_t)pool;
	if (ptr == NULL || (arena_free && arena_free(ptr)))
		return;
	if (p >= base && p < base + sizeof(pool)) {
		unsigned i = (unsigned)((p - base) / sizeof(pool_slot_t));
		mbedtls_platform_zeroize(&pool[i], sizeof(pool[i]));
		if (pool_used[i]) {
			pool_used[i] = 0;
			pool_stats.in_use--;
		}
		return;
	}
	free(ptr);
}

void crypto_pool_stats(crypto_pool_stats_t *stats)
{
	*stats = pool_stats;
}

/* ---- helpers ---- */
int crypto_ct_compare(const uint8_t *a, const uint8_t *b, size_t len)
{
	volatile uint8_t diff = 0;
	size_t i;
	for (i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff != 0;
}

static int status(int mbedtls_ret)
{
	return mbedtls_ret == 0 ? CRYPTO_OK : CRYPTO_E_INTERNAL;
}

/* ---- AES-128 ---- */
int crypto_aes128_encrypt_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	mbedtls_aes_context aes;
	int ret;
	mbedtls_aes_init(&aes);
	ret = mbedtls_aes_setkey_enc(&aes, key, 128);
	if (ret == 0)
		ret = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, in, out);
	mbedtls_aes_free(&aes);   /* wipes the key schedule */
	return status(ret);
}

/* AES-128 decryption of one block (RFC 3394 key unwrap, DLMS global_key_transfer). */
int crypto_aes128_decrypt_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	mbedtls_aes_context aes;
	int ret;
	mbedtls_aes_init(&aes);
	ret = mbedtls_aes_setkey_dec(&aes, key, 128);
	if (ret == 0)
		ret = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT, in, out);
	mbedtls_aes_free(&aes);
	return status(ret);
}

/* ---- CCM* ---- */
unsigned crypto_ccm_mic_len(unsigned level)
{
	static const uint8_t mic[4] = { 0, 4, 8, 16 };
	return mic[level & 3];
}

void crypto_ccm_nonce(uint8_t nonce[13], const uint8_t eui64[8], uint32_t frame_counter, unsigned level)
{
	memcpy(nonce, eui64, 8);
	nonce[8] = (uint8_t)(frame_counter >> 24);
	nonce[9] = (uint8_t)(frame_counter >> 16);
	nonce[10] = (uint8_t)(frame_counter >> 8);
	nonce[11] = (uint8_t)frame_counter;
	nonce[12] = (uint8_t)level;
}

static int ccm_star(int seal, const uint8_t key[16], const uint8_t nonce[13], unsigned level,
                    uint8_t *frame, size_t hdr_len, size_t payload_len, uint8_t *mic)
{
	mbedtls_ccm_context ccm;
	size_t a_len, m_len, mic_len;
	uint8_t *m;
	int ret;

	if (level > 7 || frame == NULL || (mic == NULL && (level & 3)))
		return CRYPTO_E_PARAM;
	if (level == CRYPTO_SEC_NONE)
		return CRYPTO_OK;
	mic_len = crypto_ccm_mic_len(level);
	if (level & 4) {          /* ENC: header is a data, payload is m data */
		a_len = hdr_len;
		m_len = payload_len;
	} else {                  /* MIC only: everything is a data */
		a_len = hdr_len + payload_len;
		m_len = 0;
	}
	m = frame + a_len;
	mbedtls_ccm_init(&ccm);
	ret = mbedtls_ccm_setkey(&ccm, MBEDTLS_CIPHER_ID_AES, key, 128);
	if (ret == 0) {
		if (seal)
			ret = mbedtls_ccm_star_encrypt_and_tag(&ccm, m_len, nonce, 13, frame, a_len, m, m, mic, mic_len);
		else
			ret = mbedtls_ccm_star_auth_decrypt(&ccm, m_len, nonce, 13, frame, a_len, m, m, mic, mic_len);
	}
	mbedtls_ccm_free(&ccm);
	if (ret == MBEDTLS_ERR_CCM_AUTH_FAILED)
		return CRYPTO_E_AUTH;   /* mbed TLS has already wiped m */
	if (ret == MBEDTLS_ERR_CCM_BAD_INPUT)
		return CRYPTO_E_PARAM;
	return status(ret);
}

int crypto_ccm_star_seal(const uint8_t key[16], const uint8_t nonce[13], unsigned level,
                         uint8_t *frame, size_t hdr_len, size_t payload_len, uint8_t *mic)
{
	return ccm_star(1, key, nonce, level, frame, hdr_len, payload_len, mic);
}

int crypto_ccm_star_open(const uint8_t key[16], const uint8_t nonce[13], unsigned level,
                         uint8_t *frame, size_t hdr_len, size_t payload_len, const uint8_t *mic)
{
	/* mbed TLS only reads the tag when decrypting */
	return ccm_star(0, key, nonce, level, frame, hdr_len, payload_len, (uint8_t *)(uintptr_t)mic);
}

/* ---- CMAC and the OMAC^t of EAX ---- */
typedef struct {
	mbedtls_cipher_context_t cipher;
} cmac_t;

static int cmac_begin(cmac_t *c, const uint8_t key[16])
{
	int ret;
	mbedtls_cipher_init(&c->cipher);
	ret = mbedtls_cipher_setup(&c->cipher, mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB));
	if (ret == 0)
		ret = mbedtls_cipher_cmac_starts(&c->cipher, key, 128);
	return ret;
}

/* OMAC^t(data) of EAX: CMAC over [t]_16 || data (t < 256 here). */
static int omac_t(cmac_t *c, uint8_t t, const uint8_t *data, size_t len, uint8_t out[16])
{
	uint8_t prefix[16] = { 0 };
	int ret;
	prefix[15] = t;
	ret = mbedtls_cipher_cmac_reset(&c->cipher);
	if (ret == 0)
		ret = mbedtls_cipher_cmac_update(&c->cipher, prefix, 16);
	if (ret == 0 && len > 0)
		ret = mbedtls_cipher_cmac_update(&c->cipher, data, len);
	if (ret == 0)
		ret = mbedtls_cipher_cmac_finish(&c->cipher, out);
	return ret;
}

int crypto_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16])
{
	cmac_t c;
	int ret = cmac_begin(&c, key);
	if (ret == 0 && len > 0)
		ret = mbedtls_cipher_cmac_update(&c.cipher, msg, len);
	if (ret == 0)
		ret = mbedtls_cipher_cmac_finish(&c.cipher, mac);
	mbedtls_cipher_free(&c.cipher);   /* wipes and returns both pool slots */
	return status(ret);
}

int crypto_cmac_verify(const uint8_t key[16], const uint8_t *msg, size_t len, const uint8_t *mac, size_t mac_len)
{
	uint8_t calc[16];
	int ret;
	if (mac_len == 0 || mac_len > 16)
		return CRYPTO_E_PARAM;
	ret = crypto_cmac(key, msg, len, calc);
	if (ret == CRYPTO_OK && crypto_ct_compare(calc, mac, mac_len))
		ret = CRYPTO_E_AUTH;
	mbedtls_platform_zeroize(calc, sizeof(calc));
	return ret;
}

/* ---- EAX ----
 * N' = OMAC0(N), H' = OMAC1(H), C = CTR_K(N', M), C' = OMAC2(C), tag = N' ^ H' ^ C'. */
static int eax(int encrypt, const uint8_t key[16], const uint8_t *nonce, size_t nonce_len,
               const uint8_t *header, size_t header_len, const uint8_t *in, size_t len,
               uint8_t *out, uint8_t tag[16])
{
	mbedtls_aes_context aes;
	cmac_t c;
	uint8_t n[16], h[16], ctr[16], stream[16];
	size_t off = 0;
	unsigned i;
	int ret;

	mbedtls_aes_init(&aes);
	ret = cmac_begin(&c, key);
	if (ret == 0)
		ret = omac_t(&c, 0, nonce, nonce_len, n);
	if (ret == 0)
		ret = omac_t(&c, 1, header, header_len, h);
	if (ret == 0 && !encrypt)       /* decrypt: authenticate the ciphertext before it is overwritten */
		ret = omac_t(&c, 2, in, len, tag);
	if (ret == 0)
		ret = mbedtls_aes_setkey_enc(&aes, key, 128);
	if (ret == 0 && len > 0) {
		memcpy(ctr, n, 16);
		ret = mbedtls_aes_crypt_ctr(&aes, len, &off, ctr, stream, in, out);
	}
	if (ret == 0 && encrypt)
		ret = omac_t(&c, 2, out, len, tag);
	if (ret == 0)
		for (i = 0; i < 16; i++)
			tag[i] ^= n[i] ^ h[i];
	mbedtls_aes_free(&aes);
	mbedtls_cipher_free(&c.cipher);
	mbedtls_platform_zeroize(stream, sizeof(stream));
	mbedtls_platform_zeroize(ctr, sizeof(ctr));
	return status(ret);
}

int crypto_eax_encrypt(const uint8_t key[16], const uint8_t *nonce, size_t nonce_len,
                       const uint8_t *header, size_t header_len,
                       const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag, size_t tag_len)
{
	uint8_t full[16];
	int ret;
	if (tag_len == 0 || tag_len > 16)
		return CRYPTO_E_PARAM;
	ret = eax(1, key, nonce, nonce_len, header, header_len, in, len, out, full);
	if (ret == CRYPTO_OK)
		memcpy(tag, full, tag_len);
	mbedtls_platform_zeroize(full, sizeof(full));
	return ret;
}

int crypto_eax_decrypt(const uint8_t key[16], const uint8_t *nonce, size_t nonce_len,
                       const uint8_t *header, size_t header_len,
                       const uint8_t *in, size_t len, uint8_t *out, const uint8_t *tag, size_t tag_len)
{
	uint8_t full[16];
	int ret;
	if (tag_len == 0 || tag_len > 16)
		return CRYPTO_E_PARAM;
	ret = eax(0, key, nonce, nonce_len, header, header_len, in, len, out, full);
	if (ret == CRYPTO_OK && crypto_ct_compare(full, tag, tag_len)) {
		mbedtls_platform_zeroize(out, len);
		ret = CRYPTO_E_AUTH;
	}
	mbedtls_platform_zeroize(full, sizeof(full));
	return ret;
}

/* ---- GCM ---- */
static int gcm_check(size_t iv_len, size_t tag_len)
{
	return iv_len == CRYPTO_GCM_IV_LEN && tag_len >= 4 && tag_len <= 16;
}

int crypto_gcm_encrypt(const uint8_t key[16], const uint8_t *iv, size_t iv_len,
                       const uint8_t *aad, size_t aad_len,
                       const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag, size_t tag_len)
{
	mbedtls_gcm_context gcm;
	int ret;
	if (!gcm_check(iv_len, tag_len))
		return CRYPTO_E_PARAM;
	mbedtls_gcm_init(&gcm);
	ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 128);
	if (ret == 0)
		ret = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, iv, iv_len, aad, aad_len, in, out, tag_len, tag);
	mbedtls_gcm_free(&gcm);
	return status(ret);
}

int crypto_gcm_decrypt(const uint8_t key[16], const uint8_t *iv, size_t iv_len,
                       const uint8_t *aad, size_t aad_len,
                       const uint8_t *in, size_t len, uint8_t *out, const uint8_t *tag, size_t tag_len)
{
	mbedtls_gcm_context gcm;
	int ret;
	if (!gcm_check(iv_len, tag_len))
		return CRYPTO_E_PARAM;
	mbedtls_gcm_init(&gcm);
	ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 128);
	if (ret == 0)   /* compares the tag in constant time and wipes out on mismatch */
		ret = mbedtls_gcm_auth_decrypt(&gcm, len, iv, iv_len, aad, aad_len, tag, tag_len, in, out);
	mbedtls_gcm_free(&gcm);
	if (ret == MBEDTLS_ERR_GCM_AUTH_FAILED)
		return CRYPTO_E_AUTH;
	return status(ret);
}

int crypto_gmac(const uint8_t key[16], const uint8_t *iv, size_t iv_len,
                const uint8_t *aad, size_t aad_len, uint8_t *tag, size_t tag_len)
{
	return crypto_gcm_encrypt(key, iv, iv_len, aad, aad_len, NULL, 0, NULL, tag, tag_len);
}

int crypto_gmac_verify(const uint8_t key[16], const uint8_t *iv, size_t iv_len,
                       const uint8_t *aad, size_t aad_len, const uint8_t *tag, size_t tag_len)
{
	return crypto_gcm_decrypt(key, iv, iv_len, aad, aad_len, NULL, 0, NULL, tag, tag_len);
}

/* ---- SHA-256 ---- */
int crypto_sha256(const uint8_t *data, size_t len, uint8_t digest[32])
{
	return status(mbedtls_sha256_ret(data, len, digest, 0));
}

int crypto_sha256_start(crypto_sha256_t *h)
{
	mbedtls_sha256_init(&h->ctx);
	return status(mbedtls_sha256_starts_ret(&h->ctx, 0));
}

int crypto_sha256_update(crypto_sha256_t *h, const uint8_t *data, size_t len)
{
	return status(mbedtls_sha256_update_ret(&h->ctx, data, len));
}

int crypto_sha256_finish(crypto_sha256_t *h, uint8_t digest[32])
{
	int ret = mbedtls_sha256_finish_ret(&h->ctx, digest);
	mbedtls_sha256_free(&h->ctx);
	return status(ret);
}
