/* PLC provisioning record check (layout in xs_provision.c). */
#include <string.h>

#include "provision.h"
#include "crc.h"

const char *plcprov_check(const uint8_t *p, size_t size, size_t *len)
{
	if (!p || size < 4)
		return "no provisioning region";
	if (p[0] == 0xFF && p[1] == 0xFF && p[2] == 0xFF && p[3] == 0xFF)
		return "not provisioned";
	if (size < PROV_HEADER + 4 || memcmp(p, "G3PV", 4) || p[4] != 1)
		return "bad magic or version";
	size_t n = (size_t)p[6] << 8 | p[7];
	size_t l = PROV_HEADER + n * PROV_ENTRY;
	if (l + 4 > size)
		return "device table larger than the record";
	uint32_t crc = (uint32_t)p[l] << 24 | (uint32_t)p[l + 1] << 16 | (uint32_t)p[l + 2] << 8 | p[l + 3];
	if (crc32_ieee(0, p, l) != crc)
		return "bad CRC";
	*len = l;
	return NULL;
}
