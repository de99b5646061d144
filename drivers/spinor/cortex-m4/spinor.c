/* Boards: the NOR model's backing store is a host file reached through ARM semihosting, named
 * by the word spinor=FILE on the semihosting command line; spinor-cut=N|random:SEED arms the
 * power-cut injector (drivers/spinor/nor_model.h). As for the NVRAM (nvram.c) nothing is cached:
 * every model write is a seek plus a host write. The SPI hooks here feed the model; a board with
 * a real SPI NOR overrides them (hosts/stm32f405/spi.c). */
#include "board.h"
#include "cm4.h"
#include "nor_model.h"

#include <string.h>

#define SYS_OPEN        0x01
#define SYS_WRITE       0x05
#define SYS_READ        0x06
#define SYS_SEEK        0x0A
#define SYS_FLEN        0x0C
#define MODE_RPLUS_B    3      /* "r+b" */
#define MODE_WPLUS_B    7      /* "w+b" */

static int handle = -1;
static char cut[24];

long board_spinor_store_attach(void)
{
	char path[96];
	if (cm4_cmdline_value("spinor", path, sizeof(path)) < 0)
		return -1;
	if (cm4_cmdline_value("spinor-cut", cut, sizeof(cut)) < 0)
		cut[0] = 0;
	uint32_t open_block[3] = { (uint32_t)(uintptr_t)path, MODE_RPLUS_B, strlen(path) };
	int h = cm4_semihost(SYS_OPEN, open_block);
	if (h < 0) {
		open_block[1] = MODE_WPLUS_B;
		h = cm4_semihost(SYS_OPEN, open_block);
	}
	if (h < 0)
		return -1;
	handle = h;
	uint32_t block[1] = { (uint32_t)handle };
	return cm4_semihost(SYS_FLEN, block);
}

const char *board_spinor_cut(void)
{
	return cut[0] ? cut : NULL;
}

static int seek(uint32_t offset)
{
	uint32_t block[2] = { (uint32_t)handle, offset };
	return handle >= 0 ? cm4_semihost(SYS_SEEK, block) : -1;
}

int board_spinor_store_read(uint32_t offset, void *buf, size_t len)
{
	uint32_t block[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)buf, len };
	return seek(offset) == 0 && cm4_semihost(SYS_READ, block) == 0 ? 0 : -1;
}

int board_spinor_store_write(uint32_t offset, const void *buf, size_t len)
{
	uint32_t block[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)buf, len };
	return seek(offset) == 0 && cm4_semihost(SYS_WRITE, block) == 0 ? 0 : -1;
}

__attribute__((weak)) const char *board_spi_init(void)
{
	nor_model_init();
	return "model";
}

__attribute__((weak)) void board_spi_select(int on)
{
	nor_model_select(on);
}

__attribute__((weak)) void board_spi_transfer(const uint8_t *tx, uint8_t *rx, size_t n)
{
	nor_model_transfer(tx, rx, n);
}
