/* The 32F429I-DISCOVERY kit's SDRAM: ISSI IS42S16400J (1 M x 16 bits x 4 banks, 8 MB) on the
 * FMC's SDRAM bank 2 at 0xD0000000 (RM0090 section 37.7; UM1670 section 6.10). */
#ifndef STM32F429_SDRAM_H
#define STM32F429_SDRAM_H

#include <stdint.h>

#define SDRAM_BASE 0xD0000000u
#define SDRAM_SIZE (8u * 1024u * 1024u)

typedef struct {
	uint32_t sdclk_hz;      /* HCLK / 2 */
	uint32_t sdtr;          /* SDTR1/SDTR2 as written: timings in SDCLK cycles - 1 */
	uint32_t refresh;       /* SDRTR COUNT */
	uint32_t words;         /* words the boot test wrote and read back */
	uint32_t fail_at;       /* first address that read back wrong (0: none) */
	const char *state;      /* "ok", "timeout" (FMC busy), "fail" (test), "off" */
} sdram_status_t;

/* GPIO, FMC, command sequence, then the boot test; hclk_hz from the clock tree. 1 when the SDRAM
 * passed its test. Needs SysTick (bounded waits in milliseconds). */
int sdram_init(uint32_t hclk_hz);
const sdram_status_t *sdram_status(void);

#endif
