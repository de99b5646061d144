/* Linux host: the SPI NOR is the chip model (drivers/spinor/nor_model.c) on a file given with
 * --spinor (main.c); the power-cut spec comes from --spinor-cut. Every write goes straight to
 * the file with pwrite, so a process that stops leaves exactly what the model wrote. */
#define _GNU_SOURCE
#include "board.h"
#include "nor_model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int store_fd = -1;
static long store_len = -1;
static const char *cut_spec;

/* Opens (or creates) the file at start-up; the model checks its size. -1 with a reason. */
int lin_spinor_open(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "firmware: cannot use SPI NOR file %s: %s\n", path, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size != 0 && st.st_size != (off_t)NOR_STORE_SIZE) {
		fprintf(stderr, "firmware: SPI NOR file %s has %lld bytes, expected %u (or an empty file)\n", path,
			(long long)st.st_size, (unsigned)NOR_STORE_SIZE);
		close(fd);
		return -1;
	}
	store_fd = fd;
	store_len = (long)st.st_size;
	return 0;
}

void lin_spinor_cut(const char *spec)
{
	cut_spec = spec;
}

const char *board_spinor_cut(void)
{
	return cut_spec;
}

long board_spinor_store_attach(void)
{
	return store_len;
}

int board_spinor_store_read(uint32_t offset, void *buf, size_t len)
{
	return store_fd >= 0 && pread(store_fd, buf, len, (off_t)offset) == (ssize_t)len ? 0 : -1;
}

int board_spinor_store_write(uint32_t offset, const void *buf, size_t len)
{
	return store_fd >= 0 && pwrite(store_fd, buf, len, (off_t)offset) == (ssize_t)len ? 0 : -1;
}

const char *board_spi_init(void)
{
	nor_model_init();
	return "model";
}

void board_spi_select(int on)
{
	nor_model_select(on);
}

void board_spi_transfer(const uint8_t *tx, uint8_t *rx, size_t n)
{
	nor_model_transfer(tx, rx, n);
}
