/* Symmetric crypto for the PLC and DLMS stacks, over mbed TLS 2.28 (AES-128 only).
 *   CCM*   IEEE 802.15.4-2006 7.6.3 / G3-PLC MAC security: 13-byte nonce, levels 0..7
 *   CMAC   RFC 4493 (= OMAC1)
 *   EAX    Bellare-Rogaway-Wagner, built here from AES-CTR + CMAC (EAP-PSK channel, RFC 4764 5.3)
 *   GCM    DLMS security suite 0 (IEC 62056-5-3 9.2.3.3): 12-byte IV, 12-byte tag; GMAC
 *   SHA-256 one-shot and incremental
 * Every key schedule lives on the stack or in the driver's static pool (mbed TLS's calloc is
 * routed there by hosts/common/mbedtls-config.h) and is wiped before the call returns.
 * Tags are compared in constant time. Functions return CRYPTO_OK or a negative CRYPTO_E_*. */
#ifndef METERFW_CRYPTO_H
#define METERFW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/sha256.h"

#define CRYPTO_KEY_LEN     16
#define CRYPTO_BLOCK_LEN   16

#define CRYPTO_OK           0
#define CRYPTO_E_PARAM     -1    /* a size or level out of range */
#define CRYPTO_E_AUTH      -2    /* tag mismatch: output wiped */
#define CRYPTO_E_INTERNAL  -3    /* mbed TLS failed (pool exhausted, ...) */

/* ---- AES-128 ---- */
int crypto_aes128_encrypt_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);
int crypto_aes128_decrypt_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);

/* ---- CCM* (IEEE 802.15.4-2006 7.6.3.4, Annex B) ----
 * Security levels (7.6.2.2.1, table 95): bit 2 = ENC, bits 1..0 = MIC 0/4/8/16 bytes. */
#define CRYPTO_CCM_NONCE_LEN 13
#define CRYPTO_SEC_NONE        0
#define CRYPTO_SEC_MIC32       1
#define CRYPTO_SEC_MIC64       2
#define CRYPTO_SEC_MIC128      3
#define CRYPTO_SEC_ENC         4
#define CRYPTO_SEC_ENC_MIC32   5
#define CRYPTO_SEC_ENC_MIC64   6
#define CRYPTO_SEC_ENC_MIC128  7
unsigned crypto_ccm_mic_len(unsigned level);   /* 0, 4, 8 or 16 */

/* Nonce (7.6.3.2, figure 61): source EUI-64 (as transmitted MSB first) || frame counter
 * (big-endian) || security level. */
void crypto_ccm_nonce(uint8_t nonce[13], const uint8_t eui64[8], uint32_t frame_counter, unsigned level);

/* Secures a MAC frame in place: frame[0..hdr_len) is the private/open header (a data),
 * frame[hdr_len..hdr_len+payload_len) the payload. With ENC the payload is encrypted (m data);
 * without, header and payload are both authenticated (a data), payload left clear.
 * The MIC (crypto_ccm_mic_len(level) bytes) goes to mic, which may point just after the payload. */
int crypto_ccm_star_seal(const uint8_t key[16], const uint8_t nonce[13], unsigned level,
                         uint8_t *frame, size_t hdr_len, size_t payload_len, uint8_t *mic);
/* Reverse: checks mic and decrypts the payload in place; CRYPTO_E_AUTH wipes the payload. */
int crypto_ccm_star_open(const uint8_t key[16], const uint8_t nonce[13], unsigned level,
                         uint8_t *frame, size_t hdr_len, size_t payload_len, const uint8_t *mic);

/* ---- CMAC (RFC 4493) ---- */
int crypto_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16]);
/* mac_len 1..16: compares the first mac_len bytes. */
int crypto_cmac_verify(const uint8_t key[16], const uint8_t *msg, size_t len, const uint8_t *mac, size_t mac_len);

/* ---- EAX (BRW, figure 3): tag = OMAC0(N) ^ OMAC1(H) ^ OMAC2(C), truncated to tag_len 1..16 ----
 * in and out may be the same buffer. */
int crypto_eax_encrypt(const uint8_t key[16], const uint8_t *nonce, size_t nonce_len,
                       const uint8_t *header, size_t header_len,
                       const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag, size_t tag_len);
int crypto_eax_decrypt(const uint8_t key[16], const uint8_t *nonce, size_t nonce_len,
                       const uint8_t *header, size_t header_len,
                       const uint8_t *in, size_t len, uint8_t *out, const uint8_t *tag, size_t tag_len);

/* ---- GCM (NIST SP 800-38D), DLMS suite 0 ---- */
#define CRYPTO_GCM_IV_LEN      12
#define CRYPTO_GCM_DLMS_TAG_LEN 12
/* iv_len is 12 (DLMS: system title || invocation counter); tag_len 4..16. in/out may alias. */
int crypto_gcm_encrypt(const uint8_t key[16], const uint8_t *iv, size_t iv_len,
                       const uint8_t *aad, size_t aad_len,
                       const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag, size_t tag_len);
int crypto_gcm_decrypt(const uint8_t key[16], const uint8_t *iv, size_t iv_len,
                       const uint8_t *aad, size_t aad_len,
                       const uint8_t *in, size_t len, uint8_t *out, const uint8_t *tag, size_t tag_len);
/* GMAC: GCM over aad with no plaintext (DLMS authentication-only, HLS-GMAC). */
int crypto_gmac(const uint8_t key[16], const uint8_t *iv, size_t iv_len,
                const uint8_t *aad, size_t aad_len, uint8_t *tag, size_t tag_len);
int crypto_gmac_verify(const uint8_t key[16], const uint8_t *iv, size_t iv_len,
                       const uint8_t *aad, size_t aad_len, const uint8_t *tag, size_t tag_len);

/* ---- SHA-256 (FIPS 180-4) ---- */
typedef struct { mbedtls_sha256_context ctx; } crypto_sha256_t;
int crypto_sha256(const uint8_t *data, size_t len, uint8_t digest[32]);
int crypto_sha256_start(crypto_sha256_t *h);
int crypto_sha256_update(crypto_sha256_t *h, const uint8_t *data, size_t len);
int crypto_sha256_finish(crypto_sha256_t *h, uint8_t digest[32]);   /* also wipes h */

/* ---- helpers ---- */
/* 0 when equal; time depends on len only. */
int crypto_ct_compare(const uint8_t *a, const uint8_t *b, size_t len);

/* The pool behind mbed TLS's calloc (see mbedtls-config.h): slots in use now and at most,
 * and allocations too big for a slot that went to the C heap (0 for everything in this file). */
typedef struct { unsigned in_use, peak, heap_fallbacks, exhausted; } crypto_pool_stats_t;
void crypto_pool_stats(crypto_pool_stats_t *stats);

/* An arena that takes every mbed TLS allocation while calloc_fn is set (the signed-image verifier's,
 * drivers/fwimage/xs_fwimage.c); free_fn returns 1 for a pointer it owns. NULL, free_fn ends it. */
void crypto_pool_arena(void *(*calloc_fn)(size_t), int (*free_fn)(void *));

#endif
