/* XS bindings of drivers/crypto (drivers/crypto/crypto.ts).
 * Byte arguments are ArrayBuffers or views. Results are new ArrayBuffers: an AEAD seal returns
 * output || tag, an open returns the plaintext or undefined when the tag does not verify.
 * A pointer from runtime_buffer dies at the next allocation, so every result is allocated
 * first and the arguments are read again after it. */
#include <string.h>

#include "xs.h"
#include "xsruntime.h"
#include "crypto.h"
#include "mbedtls/platform_util.h"

typedef struct { uint8_t *p; size_t n; } bytes_t;

static bytes_t arg(xsMachine *the, int i)
{
	bytes_t b;
	void *p;
	runtime_buffer(the, &xsArg(i), &p, &b.n);
	b.p = p;
	return b;
}

static bytes_t arg_len(xsMachine *the, int i, size_t n, const char *what)
{
	bytes_t b = arg(the, i);
	if (b.n != n)
		xsRangeError("%s: %u bytes", what, (unsigned)n);
	return b;
}

static size_t tag_arg(xsMachine *the, int i, size_t min)
{
	xsIntegerValue t = xsToInteger(xsArg(i));
	if (t < (xsIntegerValue)min || t > 16)
		xsRangeError("tag length %d", (int)t);
	return (size_t)t;
}

static uint8_t *result(xsMachine *the, size_t n)
{
	xsResult = xsArrayBuffer(NULL, (xsIntegerValue)n);
	return xsToArrayBuffer(xsResult);
}

static void check(xsMachine *the, int ret)
{
	if (ret == CRYPTO_E_PARAM)
		xsRangeError("crypto: bad size");
	if (ret != CRYPTO_OK)
		xsUnknownError("crypto: internal error %d", ret);
}

/* (key, block) -> 16 bytes */
void xs_crypto_aes_block(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	arg_len(the, 1, 16, "block");
	uint8_t *out = result(the, 16);
	check(the, crypto_aes128_encrypt_block(arg(the, 0).p, arg(the, 1).p, out));
}

/* (key, block) -> 16 bytes, AES-128 decryption */
void xs_crypto_aes_decrypt_block(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	arg_len(the, 1, 16, "block");
	uint8_t *out = result(the, 16);
	check(the, crypto_aes128_decrypt_block(arg(the, 0).p, arg(the, 1).p, out));
}

/* (key, nonce, level, header, payload) -> header || secured payload || MIC */
void xs_crypto_ccm_seal(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	arg_len(the, 1, CRYPTO_CCM_NONCE_LEN, "nonce");
	xsIntegerValue level = xsToInteger(xsArg(2));
	if (level < 0 || level > 7)
		xsRangeError("security level %d", (int)level);
	size_t h = arg(the, 3).n, p = arg(the, 4).n, m = crypto_ccm_mic_len((unsigned)level);
	uint8_t *out = result(the, h + p + m);
	memcpy(out, arg(the, 3).p, h);
	memcpy(out + h, arg(the, 4).p, p);
	check(the, crypto_ccm_star_seal(arg(the, 0).p, arg(the, 1).p, (unsigned)level, out, h, p, out + h + p));
}

/* (key, nonce, level, header, secured payload, mic) -> payload | undefined */
void xs_crypto_ccm_open(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	arg_len(the, 1, CRYPTO_CCM_NONCE_LEN, "nonce");
	xsIntegerValue level = xsToInteger(xsArg(2));
	if (level < 0 || level > 7)
		xsRangeError("security level %d", (int)level);
	arg_len(the, 5, crypto_ccm_mic_len((unsigned)level), "mic");
	size_t h = arg(the, 3).n, p = arg(the, 4).n;
	uint8_t *frame = result(the, h + p);
	memcpy(frame, arg(the, 3).p, h);
	memcpy(frame + h, arg(the, 4).p, p);
	int ret = crypto_ccm_star_open(arg(the, 0).p, arg(the, 1).p, (unsigned)level, frame, h, p, arg(the, 5).p);
	if (ret == CRYPTO_E_AUTH) {
		xsResult = xsUndefined;
		return;
	}
	check(the, ret);
	memmove(frame, frame + h, p);
	xsSetArrayBufferLength(xsResult, (xsIntegerValue)p);
}

/* (key, message) -> 16 bytes */
void xs_crypto_cmac(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	uint8_t *out = result(the, 16);
	bytes_t m = arg(the, 1);
	check(the, crypto_cmac(arg(the, 0).p, m.p, m.n, out));
}

/* (key, message, mac) -> boolean; mac may be truncated (1..16 bytes) */
void xs_crypto_cmac_verify(xsMachine *the)
{
	bytes_t k = arg_len(the, 0, 16, "key"), m = arg(the, 1), mac = arg(the, 2);
	if (mac.n == 0 || mac.n > 16)
		xsRangeError("mac: 1 to 16 bytes");
	int ret = crypto_cmac_verify(k.p, m.p, m.n, mac.p, mac.n);
	if (ret != CRYPTO_E_AUTH)
		check(the, ret);
	xsResult = xsBoolean(ret == CRYPTO_OK);
}

/* (key, nonce, header, plaintext, tagLength) -> ciphertext || tag */
void xs_crypto_eax_encrypt(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	size_t t = tag_arg(the, 4, 1), n = arg(the, 3).n;
	uint8_t *out = result(the, n + t);
	bytes_t nonce = arg(the, 1), hdr = arg(the, 2), pt = arg(the, 3);
	check(the, crypto_eax_encrypt(arg(the, 0).p, nonce.p, nonce.n, hdr.p, hdr.n, pt.p, pt.n, out, out + n, t));
}

/* (key, nonce, header, ciphertext, tag) -> plaintext | undefined */
void xs_crypto_eax_decrypt(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	size_t n = arg(the, 3).n, t = arg(the, 4).n;
	if (t == 0 || t > 16)
		xsRangeError("tag: 1 to 16 bytes");
	uint8_t *out = result(the, n);
	bytes_t nonce = arg(the, 1), hdr = arg(the, 2), ct = arg(the, 3);
	int ret = crypto_eax_decrypt(arg(the, 0).p, nonce.p, nonce.n, hdr.p, hdr.n, ct.p, ct.n, out, arg(the, 4).p, t);
	if (ret == CRYPTO_E_AUTH) {
		xsResult = xsUndefined;
		return;
	}
	check(the, ret);
}

/* (key, iv, aad, plaintext, tagLength) -> ciphertext || tag */
void xs_crypto_gcm_encrypt(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	arg_len(the, 1, CRYPTO_GCM_IV_LEN, "iv");
	size_t t = tag_arg(the, 4, 4), n = arg(the, 3).n;
	uint8_t *out = result(the, n + t);
	bytes_t aad = arg(the, 2), pt = arg(the, 3);
	check(the, crypto_gcm_encrypt(arg(the, 0).p, arg(the, 1).p, CRYPTO_GCM_IV_LEN, aad.p, aad.n, pt.p, pt.n, out, out + n, t));
}

/* (key, iv, aad, ciphertext, tag) -> plaintext | undefined */
void xs_crypto_gcm_decrypt(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	arg_len(the, 1, CRYPTO_GCM_IV_LEN, "iv");
	size_t n = arg(the, 3).n, t = arg(the, 4).n;
	if (t < 4 || t > 16)
		xsRangeError("tag: 4 to 16 bytes");
	uint8_t *out = result(the, n);
	bytes_t aad = arg(the, 2), ct = arg(the, 3);
	int ret = crypto_gcm_decrypt(arg(the, 0).p, arg(the, 1).p, CRYPTO_GCM_IV_LEN, aad.p, aad.n, ct.p, ct.n, out, arg(the, 4).p, t);
	if (ret == CRYPTO_E_AUTH) {
		xsResult = xsUndefined;
		return;
	}
	check(the, ret);
}

/* (key, iv, aad, tagLength) -> tag */
void xs_crypto_gmac(xsMachine *the)
{
	arg_len(the, 0, 16, "key");
	arg_len(the, 1, CRYPTO_GCM_IV_LEN, "iv");
	size_t t = tag_arg(the, 3, 4);
	uint8_t *out = result(the, t);
	bytes_t aad = arg(the, 2);
	check(the, crypto_gmac(arg(the, 0).p, arg(the, 1).p, CRYPTO_GCM_IV_LEN, aad.p, aad.n, out, t));
}

/* (key, iv, aad, tag) -> boolean */
void xs_crypto_gmac_verify(xsMachine *the)
{
	bytes_t k = arg_len(the, 0, 16, "key"), iv = arg_len(the, 1, CRYPTO_GCM_IV_LEN, "iv");
	bytes_t aad = arg(the, 2), tag = arg(the, 3);
	if (tag.n < 4 || tag.n > 16)
		xsRangeError("tag: 4 to 16 bytes");
	int ret = crypto_gmac_verify(k.p, iv.p, iv.n, aad.p, aad.n, tag.p, tag.n);
	if (ret != CRYPTO_E_AUTH)
		check(the, ret);
	xsResult = xsBoolean(ret == CRYPTO_OK);
}

/* (data) -> 32 bytes */
void xs_crypto_sha256(xsMachine *the)
{
	arg(the, 0);
	uint8_t *out = result(the, 32);
	bytes_t d = arg(the, 0);
	check(the, crypto_sha256(d.p, d.n, out));
}

/* Incremental SHA-256: the state is the host chunk of the object sha256_create returns. */
typedef struct {
	uint32_t magic;   /* SHA256_LIVE until finished */
	crypto_sha256_t h;
} sha256_state_t;
#define SHA256_LIVE 0x53484132u

static void sha256_destructor(void *data)
{
	if (data)
		mbedtls_platform_zeroize(data, sizeof(sha256_state_t));
}

static sha256_state_t *sha256_state(xsMachine *the, int i)
{
	sha256_state_t *s = fxGetHostChunkValidate(the, &xsArg(i), (void *)sha256_destructor);
	if (s == NULL || s->magic != SHA256_LIVE)
		xsTypeError("sha256: finished or not a hash");
	return s;
}

/* () -> hash object */
void xs_crypto_sha256_create(xsMachine *the)
{
	sha256_state_t s;
	s.magic = SHA256_LIVE;
	crypto_sha256_start(&s.h);
	xsResult = xsNewHostObject(sha256_destructor);
	xsSetHostChunk(xsResult, &s, sizeof(s));
	mbedtls_platform_zeroize(&s, sizeof(s));
}

/* (hash, data) */
void xs_crypto_sha256_update(xsMachine *the)
{
	sha256_state(the, 0);
	bytes_t d = arg(the, 1);   /* reads the view's fields: may allocate, so fetch the chunk after */
	check(the, crypto_sha256_update(&sha256_state(the, 0)->h, d.p, d.n));
}

/* (hash) -> 32 bytes; the hash object is dead afterwards */
void xs_crypto_sha256_finish(xsMachine *the)
{
	sha256_state(the, 0);
	uint8_t *out = result(the, 32);
	sha256_state_t *s = sha256_state(the, 0);
	int ret = crypto_sha256_finish(&s->h, out);
	mbedtls_platform_zeroize(s, sizeof(*s));
	check(the, ret);
}
