/*
 * NVRAM: a byte-writable non-volatile memory in the manner of an SPI FRAM (e.g. an 8 KB
 * FM25CL64): no erase, any byte rewritten any number of times, reads and writes at any offset.
 * A write of several bytes is not atomic: it goes out in NVRAM_BURST-byte bursts, as an SPI
 * transfer clocks bytes out one after the other, so a power cut can leave a multi-byte write
 * torn (a prefix written, the rest old). Callers make their records power-fail safe
 * (modules/legal/registers.ts, eventlog.ts).
 *
 * The backing store is the host's (board.h: board_nvram_*): a file on lin (--nvram FILE), a host
 * file through ARM semihosting on the boards (nvram=FILE on the semihosting command line).
 * Without one the NVRAM is a RAM buffer of NVRAM_VOLATILE_SIZE bytes (0: absent), lost at reset.
 */
#ifndef NVRAM_H
#define NVRAM_H

#include <stddef.h>
#include <stdint.h>
#include "nvram_areas.h"             /* generated from modules/generic/shared/nvram-areas.ts */

#define NVRAM_SIZE ((uint32_t)NV_SIZE)  /* bytes, as a 64-kbit FRAM; the areas' split is NV_* */
#ifndef NVRAM_VOLATILE_SIZE
#define NVRAM_VOLATILE_SIZE NVRAM_SIZE
#endif
#define NVRAM_BURST 16u             /* bytes per backing-store write (tear granularity) */

enum { NVRAM_NONE, NVRAM_VOLATILE, NVRAM_FILE };

typedef struct {
	uint8_t kind;                  /* NVRAM_* */
	uint32_t size;                 /* bytes usable */
	uint32_t reads, writes;        /* calls since boot */
	uint32_t bytes_written;
	uint32_t errors;               /* backing-store failures */
} nvram_info_t;

/* Attaches the host's backing store once (idempotent). */
void nvram_init(void);
const nvram_info_t *nvram_info(void);
/* 0, or -1 when [offset, offset + len) is outside the NVRAM or the backing store failed. */
int nvram_read(uint32_t offset, void *buf, size_t len);
int nvram_write(uint32_t offset, const void *buf, size_t len);

#endif
