/* mbed TLS configuration for the firmware: only what GENERIC and the stacks use. */
#ifndef METERFW_MBEDTLS_CONFIG_H
#define METERFW_MBEDTLS_CONFIG_H

#define MBEDTLS_SHA256_C          /* image verification */
#define MBEDTLS_SHA256_SMALLER    /* smaller code on Cortex-M, slower hash */

/* drivers/crypto: AES-128 CCM* (G3-PLC MAC), CMAC + CTR for EAX (EAP-PSK), GCM (DLMS suite 0) */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES    /* tables in flash, not RAM */
#define MBEDTLS_AES_FEWER_TABLES  /* 2 KiB of tables instead of 8 KiB, a few rotates per round */
#define MBEDTLS_CIPHER_C          /* CCM, GCM and CMAC go through the cipher layer */
#define MBEDTLS_CIPHER_MODE_CTR   /* EAX */
#define MBEDTLS_CCM_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CMAC_C
#define MBEDTLS_CTR_DRBG_C        /* DLMS challenges, nonces: drivers/crypto/drbg.c */

/* drivers/fwimage: ECDSA P-256 verification of signed images (docs/image-format.md). Verify
 * only, over public data: no blinding RNG; the smallest comb window, no fixed-point tables.
 * Only where METERFW_MBEDTLS_ECDSA is defined (tools/build.mjs, the fwimage harnesses): with
 * BIGNUM_C, constant_time.c needs bignum.c, which drivers/crypto's host harness does not link. */
#ifdef METERFW_MBEDTLS_ECDSA
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C      /* ecdsa.c needs it (signature writing, unused here) */
#endif

/* The cipher layer allocates its key schedule: route mbed TLS's calloc/free to the static
 * pool in drivers/crypto/crypto.c, so no crypto call touches the C heap. */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_CALLOC_MACRO crypto_pool_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO   crypto_pool_free
#include <stddef.h>
void *crypto_pool_calloc(size_t count, size_t size);
void crypto_pool_free(void *ptr);

#include "mbedtls/check_config.h"

#endif
