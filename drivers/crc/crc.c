/* Table-driven reflected CRCs (see crc.h). Tables are const so they live in flash. */
#include "crc.h"

static const uint16_t crc16_table[256] = {
#define R16(c) ((c) & 1 ? ((c) >> 1) ^ 0x8408 : (c) >> 1)
#define E16(n) R16(R16(R16(R16(R16(R16(R16(R16((uint16_t)(n)))))))))
#define L16(n) E16(n), E16(n + 1), E16(n + 2), E16(n + 3), E16(n + 4), E16(n + 5), E16(n + 6), E16(n + 7)
#define B16(n) L16(n), L16(n + 8), L16(n + 16), L16(n + 24), L16(n + 32), L16(n + 40), L16(n + 48), L16(n + 56)
	B16(0), B16(64), B16(128), B16(192)
};

static const uint32_t crc32_table[256] = {
#define R32(c) ((c) & 1 ? ((c) >> 1) ^ 0xEDB88320u : (c) >> 1)
#define E32(n) R32(R32(R32(R32(R32(R32(R32(R32((uint32_t)(n)))))))))
#define L32(n) E32(n), E32(n + 1), E32(n + 2), E32(n + 3), E32(n + 4), E32(n + 5), E32(n + 6), E32(n + 7)
#define B32(n) L32(n), L32(n + 8), L32(n + 16), L32(n + 24), L32(n + 32), L32(n + 40), L32(n + 48), L32(n + 56)
	B32(0), B32(64), B32(128), B32(192)
};

static uint16_t crc16_reflected(uint16_t crc, const uint8_t *data, size_t length)
{
	while (length--)
		crc = (uint16_t)((crc >> 8) ^ crc16_table[(crc ^ *data++) & 0xFF]);
	return crc;
}

uint16_t crc16_kermit(uint16_t crc, const uint8_t *data, size_t length)
{
	return crc16_reflected(crc, data, length);
}

uint16_t crc16_x25(uint16_t crc, const uint8_t *data, size_t length)
{
	/* init and xorout 0xFFFF: undo the xorout of the previous result, redo it at the end */
	return (uint16_t)(crc16_reflected((uint16_t)(crc ^ 0xFFFF), data, length) ^ 0xFFFF);
}

uint32_t crc32_ieee(uint32_t crc, const uint8_t *data, size_t length)
{
	crc = ~crc;
	while (length--)
		crc = (crc >> 8) ^ crc32_table[(crc ^ *data++) & 0xFF];
	return ~crc;
}
