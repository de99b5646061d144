/* The second data RAM of a board, for XS slots (the value stack and the slot heap): on the
 * STM32F405/407 the 64 KB CCM at 0x10000000 (RM0090 section 2.3.1), which only the CPU's data
 * bus reaches: no DMA, no instruction fetch. XS slots are plain CPU data, so they may live
 * there; C buffers that a peripheral could fill stay in SRAM (malloc).
 *
 * The board names its candidate regions (board_data_region); each is probed once, at the first
 * allocation, fault-safely (cm4_probe_ram): the same image then runs on silicon and Renode
 * (CCM present) and on QEMU's netduinoplus2 (no CCM: a read there is a bus fault).
 *
 * Allocation is a bump pointer, with no reuse: the XS machine is created once per boot and
 * lives until reset; XS frees its slot blocks only when the machine is deleted, and never
 * passes their size back. */
#include <stddef.h>
#include <stdint.h>
#include "board.h"
#include "cm4.h"

static struct {
	uint8_t *base, *top, *end;
	const char *name;
	int probed;
} region;

static void data_probe(void)
{
	if (region.probed)
		return;
	region.probed = 1;
	const board_data_region_t *r = board_data_regions();
	for (; r && r->size; r++) {
		if (cm4_probe_ram(r->base, r->size)) {
			region.base = region.top = (uint8_t *)r->base;
			region.end = region.base + r->size;
			region.name = r->name;
			return;
		}
	}
	region.name = "none";
}

void *board_data_alloc(size_t size)
{
	data_probe();
	size = (size + 7u) & ~(size_t)7u;
	if (!region.base || size > (size_t)(region.end - region.top))
		return NULL;
	void *p = region.top;
	region.top += size;
	return p;
}

int board_data_free(void *block)
{
	uint8_t *p = block;
	return region.base && p >= region.base && p < region.end;
}

void board_data_usage(size_t *used, size_t *size, const char **name)
{
	data_probe();
	*used = (size_t)(region.top - region.base);
	*size = (size_t)(region.end - region.base);
	*name = region.name;
}
