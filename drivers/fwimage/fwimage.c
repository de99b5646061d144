/* Verification of signed images (fwimage.h) over mbed TLS 2.28: SHA-256 and ECDSA P-256. */
#include <string.h>

#include "crc.h"
#include "fwimage.h"
#include "image.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/sha256.h"

#if !defined(MBEDTLS_ECDSA_C) || !defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
#error "drivers/fwimage needs METERFW_MBEDTLS_ECDSA defined (hosts/common/mbedtls-config.h)"
#endif

/* id-ecPublicKey, prime256v1, then the BIT STRING of the uncompressed point (RFC 5480). */
static const uint8_t spki_p256_prefix[26] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

uint8_t fwimage_key_class_of(uint8_t part)
{
	return part == IMAGE_PART_GENERIC || part == IMAGE_PART_LEGAL ? FWIMAGE_KEY_LEGAL : FWIMAGE_KEY_NONLEGAL;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* SHA-256 over [0, length) in FWIMAGE_CHUNK reads (the parser has checked length). */
static fwimage_reason_t hash_area(fwimage_read_t read, void *ctx, uint32_t length, uint8_t out[32])
{
	uint8_t chunk[FWIMAGE_CHUNK];
	mbedtls_sha256_context sha;
	fwimage_reason_t r = FWIMAGE_OK;
	mbedtls_sha256_init(&sha);
	if (mbedtls_sha256_starts_ret(&sha, 0))
		r = FWIMAGE_E_CRYPTO;
	for (uint32_t at = 0; !r && at < length;) {
		size_t n = length - at < sizeof(chunk) ? length - at : sizeof(chunk);
		if (read(ctx, at, chunk, n))
			r = FWIMAGE_E_READ;
		else if (mbedtls_sha256_update_ret(&sha, chunk, n))
			r = FWIMAGE_E_CRYPTO;
		at += (uint32_t)n;
	}
	if (!r && mbedtls_sha256_finish_ret(&sha, out))
		r = FWIMAGE_E_CRYPTO;
	mbedtls_sha256_free(&sha);
	return r;
}

static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static fwimage_reason_t check_signature(const fwimage_key_t *key, const uint8_t hash[32], const uint8_t *sig, size_t sig_len)
{
	mbedtls_ecdsa_context ec;
	fwimage_reason_t r = FWIMAGE_E_SIGNATURE;
	if (key->spki_len != sizeof(spki_p256_prefix) + 65 || memcmp(key->spki, spki_p256_prefix, sizeof(spki_p256_prefix)))
		return FWIMAGE_E_UNKNOWN_KEY; /* not a P-256 key: the build's generator prevents this */
	mbedtls_ecdsa_init(&ec);
	int rc = mbedtls_ecp_group_load(&ec.grp, MBEDTLS_ECP_DP_SECP256R1);
	if (!rc)
		rc = mbedtls_ecp_point_read_binary(&ec.grp, &ec.Q, key->spki + sizeof(spki_p256_prefix), 65);
	if (rc)
		r = rc == MBEDTLS_ERR_MPI_ALLOC_FAILED ? FWIMAGE_E_CRYPTO : FWIMAGE_E_UNKNOWN_KEY;
	else {
		rc = mbedtls_ecdsa_read_signature(&ec, hash, 32, sig, sig_len);
		r = !rc ? FWIMAGE_OK : rc == MBEDTLS_ERR_MPI_ALLOC_FAILED ? FWIMAGE_E_CRYPTO : FWIMAGE_E_SIGNATURE;
	}
	mbedtls_ecdsa_free(&ec);
	return r;
}

/* The embedded part image's header agrees with the signed TLVs and the payload size. */
static fwimage_reason_t check_mfwi(fwimage_read_t read, void *ctx, const fwimage_info_t *info)
{
	uint8_t h[IMAGE_HEADER_SIZE];
	if (info->img_size < IMAGE_HEADER_SIZE)
		return FWIMAGE_E_PAYLOAD;
	if (read(ctx, info->hdr_size, h, sizeof(h)))
		return FWIMAGE_E_READ;
	if (memcmp(h, IMAGE_MAGIC, 4) || (h[4] | (h[5] << 8)) != IMAGE_FORMAT || h[6] != info->part ||
	    crc32_ieee(0, h, 56) != rd32(h + 56) || rd32(h + 12) != info->img_size - IMAGE_HEADER_SIZE)
		return FWIMAGE_E_PAYLOAD;
	return FWIMAGE_OK;
}

fwimage_reason_t fwimage_verify(fwimage_read_t read, void *ctx, uint32_t area_size, const fwimage_expect_t *expect,
                                fwimage_info_t *info)
{
	fwimage_info_t local;
	uint8_t hash[32], tlv[32], sig[FWIMAGE_SIG_MAX];
	fwimage_reason_t r;
	if (!info)
		info = &local;
	if ((r = fwimage_parse(read, ctx, area_size, info)))
		return r;
	/* the parser checked every TLV value lies inside total_size <= area_size */
	if ((r = hash_area(read, ctx, (uint32_t)info->hdr_size + info->img_size + info->prot_size, hash)))
		return r;
	if (read(ctx, info->sha256_off, tlv, 32))
		return FWIMAGE_E_READ;
	if (!same(hash, tlv, 32))
		return FWIMAGE_E_HASH;
	if (read(ctx, info->keyhash_off, tlv, 32))
		return FWIMAGE_E_READ;
	const fwimage_key_t *key = NULL;
	for (unsigned i = 0; i < fwimage_key_count; i++)
		if (same(fwimage_keys[i].hash, tlv, 32))
			key = &fwimage_keys[i];
	if (!key)
		return FWIMAGE_E_UNKNOWN_KEY;
	if (read(ctx, info->sig_off, sig, info->sig_len))
		return FWIMAGE_E_READ;
	if ((r = check_signature(key, hash, sig, info->sig_len)))
		return r;
	info->key_class = key->key_class;
	if (info->part != expect->part)
		return FWIMAGE_E_PART;
	if (key->key_class != fwimage_key_class_of(info->part))
		return FWIMAGE_E_KEY_CLASS;
	if (info->role != expect->role)
		return FWIMAGE_E_ROLE;
	if (info->security_counter < expect->security_counter)
		return FWIMAGE_E_ROLLBACK;
	return check_mfwi(read, ctx, info);
}
