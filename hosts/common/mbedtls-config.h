/* mbed TLS configuration for the firmware: only what GENERIC and the stacks use. */
#ifndef METERFW_MBEDTLS_CONFIG_H
#define METERFW_MBEDTLS_CONFIG_H

#define MBEDTLS_SHA256_C          /* image verification */
#define MBEDTLS_SHA256_SMALLER    /* smaller code on Cortex-M, slower hash */

#include "mbedtls/check_config.h"

#endif
