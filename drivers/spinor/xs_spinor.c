/* XS binding of the SPI NOR driver (spinor.h) for GENERIC's flash areas (modules/generic/flash.ts). */
#include "xsruntime.h"
#include "spinor.h"
#include "nor_model.h"

#include <stdio.h>
#include <string.h>

/* info() -> "id=<hex6> size=<n> bus=<name> reads=<n> programs=<n> erases=<n> errors=<n>
 * busy=<n> timeouts=<n>", or "absent bus=<name> id=<hex6> why=<reason>". */
void xs_spinor_info(xsMachine *the)
{
	char text[160];
	spinor_init();
	const spinor_info_t *i = spinor_info();
	if (!i->present)
		snprintf(text, sizeof(text), "absent bus=%s id=%02x%02x%02x why=%s", i->bus, i->id[0], i->id[1], i->id[2], i->why);
	else
		snprintf(text, sizeof(text), "id=%02x%02x%02x size=%lu bus=%s reads=%lu programs=%lu erases=%lu errors=%lu busy=%lu timeouts=%lu",
			i->id[0], i->id[1], i->id[2], (unsigned long)i->size, i->bus, (unsigned long)i->reads,
			(unsigned long)i->programs, (unsigned long)i->erases, (unsigned long)i->errors,
			(unsigned long)i->busy_polls, (unsigned long)i->timeouts);
	xsResult = xsString(text);
}

/* capacity() -> bytes of the chip found (0 where none answered): the number, not info()'s text. */
void xs_spinor_capacity(xsMachine *the)
{
	spinor_init();
	const spinor_info_t *i = spinor_info();
	xsResult = xsNumber(i->present ? (double)i->size : 0);
}

static uint32_t address(xsMachine *the)
{
	int addr = xsToInteger(xsArg(0));
	if (addr < 0)
		xsRangeError("spinor address %d", addr);
	return (uint32_t)addr;
}

/* read(addr, view) */
void xs_spinor_read(xsMachine *the)
{
	void *data;
	size_t length;
	uint32_t addr = address(the);
	runtime_buffer(the, &xsArg(1), &data, &length);
	if (spinor_read(addr, data, length) < 0)
		xsUnknownError("spinor read 0x%lx+%d failed", (unsigned long)addr, (int)length);
}

/* program(addr, view): page by page; bits only go from 1 to 0. */
void xs_spinor_program(xsMachine *the)
{
	void *data;
	size_t length;
	uint32_t addr = address(the);
	runtime_buffer(the, &xsArg(1), &data, &length);
	if (spinor_program(addr, data, length) < 0)
		xsUnknownError("spinor program 0x%lx+%d failed", (unsigned long)addr, (int)length);
}

/* erase(addr): the 4 KB sector at addr (aligned). */
void xs_spinor_erase(xsMachine *the)
{
	uint32_t addr = address(the);
	if (spinor_erase_4k(addr) < 0)
		xsUnknownError("spinor erase 0x%lx failed", (unsigned long)addr);
}

/* wear(firstSector, count) -> "sectors=<n> min=<n> max=<n> total=<n> maxSector=<n>" from the chip
 * model's erase counts; "none" where the chip is a real one (it keeps no counts). */
void xs_spinor_wear(xsMachine *the)
{
	char text[112];
	int first = xsToInteger(xsArg(0)), count = xsToInteger(xsArg(1));
	spinor_init();
	if (strcmp(spinor_info()->bus, "model") || nor_model_init() < 0) {
		xsResult = xsString("none");
		return;
	}
	if (first < 0 || count <= 0 || (uint32_t)first + (uint32_t)count > NOR_SECTORS)
		xsRangeError("spinor wear %d+%d", first, count);
	uint32_t min = UINT32_MAX, max = 0, at = (uint32_t)first;
	unsigned long total = 0;   /* 4096 sectors x 100k rated cycles fit in 32 bits; newlib-nano has no %llu */
	for (uint32_t s = (uint32_t)first; s < (uint32_t)first + (uint32_t)count; s++) {
		uint32_t n = nor_model_erase_count(s);
		total += n;
		if (n < min)
			min = n;
		if (n > max) {
			max = n;
			at = s;
		}
	}
	snprintf(text, sizeof(text), "sectors=%d min=%lu max=%lu total=%lu maxSector=%lu", count, (unsigned long)min,
		(unsigned long)max, total, (unsigned long)at);
	xsResult = xsString(text);
}

/* check(sectorAddr, value) -> "<info()>\r\nDATA <hex>": the chip's bring-up check where the RAM
 * holds no area table (the STM32F405, config.flash false): erases the 4 KB sector, programs 12
 * bytes of value across the page boundary at sectorAddr + 250, reads 16 back from + 248. One
 * native instead of four: each bound function costs that board slots. */
void xs_spinor_check(xsMachine *the)
{
	uint8_t b[16];
	char text[224];
	uint32_t addr = address(the);
	int value = xsToInteger(xsArg(1));
	memset(b, value, sizeof(b));
	if (spinor_erase_4k(addr) < 0 || spinor_program(addr + 250, b, 12) < 0 || spinor_read(addr + 248, b, sizeof(b)) < 0)
		xsUnknownError("spinor check at 0x%lx failed", (unsigned long)addr);
	xs_spinor_info(the);
	size_t n = (size_t)snprintf(text, sizeof(text), "%s\r\nDATA ", xsToString(xsResult));
	for (size_t i = 0; i < sizeof(b) && n + 2 < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%02x", b[i]);
	xsResult = xsString(text);
}
