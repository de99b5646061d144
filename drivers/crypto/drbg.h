/* Random bit generator for keys, nonces and challenges: mbed TLS CTR_DRBG (NIST SP 800-90A,
 * AES-256 block cipher derivation function), seeded from the board's entropy source
 * (board_entropy(): a hardware noise source on a real board, its model under emulation)
 * and a personalisation string (the caller's system title and its stored seed), reseeded
 * every MBEDTLS_CTR_DRBG_RESEED_INTERVAL requests. State lives in static storage. */
#ifndef METERFW_DRBG_H
#define METERFW_DRBG_H

#include <stddef.h>
#include <stdint.h>

#define DRBG_MAX_REQUEST 256       /* bytes per call (MBEDTLS_CTR_DRBG_MAX_REQUEST is larger) */

typedef int (*drbg_entropy_fn)(void *ctx, unsigned char *out, size_t len);

/* Instantiates (or instantiates again) the generator. 0, or a negative mbed TLS error. */
int drbg_seed(drbg_entropy_fn entropy, const uint8_t *pers, size_t pers_len);
/* Fills out with len (<= DRBG_MAX_REQUEST) random bytes; -1 if not seeded or len too large. */
int drbg_random(uint8_t *out, size_t len);
int drbg_seeded(void);
uint32_t drbg_requests(void);

#endif
