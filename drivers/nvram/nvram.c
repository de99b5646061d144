/* NVRAM driver core: bounds, bursts, counters, the volatile fallback. See nvram.h. */
#include "nvram.h"
#include "board.h"

#include <stdlib.h>
#include <string.h>

static nvram_info_t info;
static uint8_t *ram;       /* volatile fallback, allocated at init */
static uint8_t ready;

void nvram_init(void)
{
	if (ready)
		return;
	ready = 1;
	if (board_nvram_attach(NVRAM_SIZE) == 0) {
		info.kind = NVRAM_FILE;
		info.size = NVRAM_SIZE;
		return;
	}
	if (NVRAM_VOLATILE_SIZE > 0 && (ram = malloc(NVRAM_VOLATILE_SIZE)) != NULL) {
		memset(ram, 0xFF, NVRAM_VOLATILE_SIZE);
		info.kind = NVRAM_VOLATILE;
		info.size = NVRAM_VOLATILE_SIZE;
	}
}

const nvram_info_t *nvram_info(void)
{
	return &info;
}

static int in_range(uint32_t offset, size_t len)
{
	return offset <= info.size && len <= info.size - offset;
}

int nvram_read(uint32_t offset, void *buf, size_t len)
{
	if (!in_range(offset, len))
		return -1;
	info.reads++;
	if (info.kind == NVRAM_VOLATILE) {
		memcpy(buf, ram + offset, len);
		return 0;
	}
	if (board_nvram_read(offset, buf, len) < 0) {
		info.errors++;
		return -1;
	}
	return 0;
}

int nvram_write(uint32_t offset, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (!in_range(offset, len))
		return -1;
	info.writes++;
	while (len) {
		size_t n = len < NVRAM_BURST ? len : NVRAM_BURST;
		if (info.kind == NVRAM_VOLATILE)
			memcpy(ram + offset, p, n);
		else if (board_nvram_write(offset, p, n) < 0) {
			info.errors++;
			return -1;
		}
		info.bytes_written += (uint32_t)n;
		offset += (uint32_t)n;
		p += n;
		len -= n;
	}
	return 0;
}
