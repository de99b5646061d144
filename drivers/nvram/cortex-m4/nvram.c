/* Boards: the NVRAM's backing store is a host file reached through ARM semihosting file calls
 * (QEMU -semihosting). Its name comes from the semihosting command line (SYS_GET_CMDLINE), as
 * the word nvram=FILE (emulator/node.ts passes -semihosting-config arg=firmware,arg=nvram=FILE).
 * Nothing is cached in RAM (the STM32F405 has none to spare): every read and write is a seek
 * plus a host read or write, which QEMU performs with the host's system calls, so a killed QEMU
 * leaves in the file every burst written before. */
#include "board.h"
#include "cm4.h"

#include <string.h>

#define SYS_OPEN        0x01
#define SYS_WRITE       0x05
#define SYS_READ        0x06
#define SYS_SEEK        0x0A
#define SYS_FLEN        0x0C
#define MODE_RPLUS_B    3      /* "r+b": existing file, read and write */
#define MODE_WPLUS_B    7      /* "w+b": create */

#define NVRAM_PATH_MAX 96
static int handle = -1;

static int sh_open(const char *path, int mode)
{
	uint32_t block[3] = { (uint32_t)(uintptr_t)path, (uint32_t)mode, strlen(path) };
	return cm4_semihost(SYS_OPEN, block);
}

static int sh_seek(uint32_t offset)
{
	uint32_t block[2] = { (uint32_t)handle, offset };
	return cm4_semihost(SYS_SEEK, block);
}

int board_nvram_attach(size_t size)
{
	if (handle >= 0)
		return 0;
	char path[NVRAM_PATH_MAX];   /* on the stack: only the handle is kept */
	if (cm4_cmdline_value("nvram", path, sizeof(path)) < 0)
		return -1;
	int h = sh_open(path, MODE_RPLUS_B);
	if (h < 0)
		h = sh_open(path, MODE_WPLUS_B);
	if (h < 0)
		return -1;
	handle = h;
	uint32_t block[1] = { (uint32_t)handle };
	int len = cm4_semihost(SYS_FLEN, block);
	if (len == 0) {
		uint8_t blank[64];
		memset(blank, 0xFF, sizeof(blank));
		for (uint32_t off = 0; off < size; off += sizeof(blank))
			if (board_nvram_write(off, blank, size - off < sizeof(blank) ? size - off : sizeof(blank)) < 0)
				len = -1;
	}
	else if (len != (int)size)
		len = -1;
	if (len < 0) {
		handle = -1;   /* wrong size or unwritable: refused, the NVRAM stays volatile */
		return -1;
	}
	return 0;
}

int board_nvram_read(uint32_t offset, void *buf, size_t len)
{
	uint32_t block[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)buf, len };
	if (handle < 0 || sh_seek(offset) != 0)
		return -1;
	return cm4_semihost(SYS_READ, block) == 0 ? 0 : -1;   /* returns the bytes NOT read */
}

int board_nvram_write(uint32_t offset, const void *buf, size_t len)
{
	uint32_t block[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)buf, len };
	if (handle < 0 || sh_seek(offset) != 0)
		return -1;
	return cm4_semihost(SYS_WRITE, block) == 0 ? 0 : -1;  /* returns the bytes NOT written */
}
