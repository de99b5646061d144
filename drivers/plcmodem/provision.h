/* PLC provisioning record check (layout in xs_provision.c). */
#ifndef METERFW_PROVISION_H
#define METERFW_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#define PROV_HEADER 48
#define PROV_ENTRY  25

/* NULL when p..p+size starts with a valid record (its length without the CRC in *len), else
 * a short reason: "not provisioned" (erased), "bad magic or version", "bad CRC", ... */
const char *plcprov_check(const uint8_t *p, size_t size, size_t *len);

#endif
