/* XS binding of the "crc" module (Moddable's CRC8/CRC16 shape, plus CRC32): any width 8, 16 or
 * 32, polynomial, initial value, input/output reflection and final xor. The state (table and
 * running register) lives in a host chunk, validated on every call. */
#include "xsruntime.h"

#include <string.h>

typedef struct {
	uint32_t table[256];
	uint32_t initial;     /* register value after reset, in the algorithm's bit order */
	uint32_t reg;
	uint32_t xorout;
	uint32_t mask;
	uint8_t width;
	uint8_t refin;
	uint8_t refout;
} xs_crc_t;

static void xs_crc_destructor(void *data)
{
	(void)data;   /* a chunk: freed by the collector */
}

static uint32_t reflect(uint32_t v, int bits)
{
	uint32_t r = 0;
	for (int i = 0; i < bits; i++, v >>= 1)
		r = (r << 1) | (v & 1);
	return r;
}

void xs_crc_create(xsMachine *the)
{
	xs_crc_t c;
	int width = xsToInteger(xsArg(0));
	if (width != 8 && width != 16 && width != 32)
		xsRangeError("crc width 8, 16 or 32");
	memset(&c, 0, sizeof(c));
	c.width = (uint8_t)width;
	c.mask = width == 32 ? 0xFFFFFFFFu : ((1u << width) - 1);
	uint32_t poly = (uint32_t)xsToNumber(xsArg(1)) & c.mask;
	uint32_t init = (uint32_t)xsToNumber(xsArg(2)) & c.mask;
	c.refin = xsTest(xsArg(3));
	c.refout = xsTest(xsArg(4));
	c.xorout = (uint32_t)xsToNumber(xsArg(5)) & c.mask;
	if (c.refin) {
		uint32_t rpoly = reflect(poly, width);
		for (uint32_t n = 0; n < 256; n++) {
			uint32_t r = n;
			for (int k = 0; k < 8; k++)
				r = (r & 1) ? (r >> 1) ^ rpoly : r >> 1;
			c.table[n] = r;
		}
		c.initial = reflect(init, width);
	}
	else {
		/* MSB-first over a 32-bit register with the polynomial aligned to the top */
		uint32_t top = poly << (32 - width);
		for (uint32_t n = 0; n < 256; n++) {
			uint32_t r = n << 24;
			for (int k = 0; k < 8; k++)
				r = (r & 0x80000000u) ? (r << 1) ^ top : r << 1;
			c.table[n] = r;
		}
		c.initial = init << (32 - width);
	}
	c.reg = c.initial;
	xsResult = xsNewHostObject(xs_crc_destructor);
	xsSetHostChunk(xsResult, &c, sizeof(c));
	xsSetHostDestructor(xsResult, xs_crc_destructor);
}

static xs_crc_t *state(xsMachine *the)
{
	return fxGetHostChunkValidate(the, &xsArg(0), (void *)xs_crc_destructor);
}

static uint32_t result(const xs_crc_t *c)
{
	uint32_t v = c->refin ? c->reg : c->reg >> (32 - c->width);
	if (c->refin != c->refout)
		v = reflect(v, c->width);
	return (v ^ c->xorout) & c->mask;
}

void xs_crc_checksum(xsMachine *the)
{
	void *data;
	size_t length;
	runtime_buffer(the, &xsArg(1), &data, &length);
	xs_crc_t *c = state(the);   /* after the buffer: validating allocates nothing, so both stay put */
	const uint8_t *p = data;
	uint32_t reg = c->reg;
	if (c->refin) {
		while (length--)
			reg = (reg >> 8) ^ c->table[(reg ^ *p++) & 0xFF];
	}
	else {
		while (length--)
			reg = (reg << 8) ^ c->table[(reg >> 24) ^ *p++];
	}
	c->reg = reg;
	xsResult = xsNumber(result(c));
}

void xs_crc_reset(xsMachine *the)
{
	xs_crc_t *c = state(the);
	c->reg = c->initial;
}
