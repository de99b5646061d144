/* Linux host: the NVRAM's backing store is the file given with --nvram (main.c). Every write
 * goes straight to the file with pwrite (no cache in the process), so a process killed at any
 * instant leaves in the file exactly the bursts written before (drivers/nvram: a multi-byte
 * write may be torn between bursts, as on a real FRAM). */
#define _GNU_SOURCE
#include "board.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *nvram_path;
static int nvram_fd = -1;

/* Checks and opens the file at start-up, before the firmware runs: a missing or empty file is
 * created and filled with 0xFF; a file of another size is refused. Returns 0, or -1 with a
 * one-line reason on stderr. */
int lin_nvram_open(const char *path, size_t size)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "firmware: cannot open NVRAM file %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "firmware: NVRAM file %s is not a regular file\n", path);
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		uint8_t blank[256];
		memset(blank, 0xFF, sizeof(blank));
		for (size_t off = 0; off < size; off += sizeof(blank)) {
			size_t n = size - off < sizeof(blank) ? size - off : sizeof(blank);
			if (pwrite(fd, blank, n, (off_t)off) != (ssize_t)n) {
				fprintf(stderr, "firmware: cannot initialise NVRAM file %s: %s\n", path, strerror(errno));
				close(fd);
				return -1;
			}
		}
	}
	else if ((size_t)st.st_size != size) {
		fprintf(stderr, "firmware: NVRAM file %s has %lld bytes, expected %zu (or an empty file)\n",
			path, (long long)st.st_size, size);
		close(fd);
		return -1;
	}
	nvram_path = path;
	nvram_fd = fd;
	return 0;
}

int board_nvram_attach(size_t size)
{
	(void)size;   /* checked by lin_nvram_open against the same NVRAM_SIZE */
	return nvram_fd >= 0 ? 0 : -1;
}

int board_nvram_read(uint32_t offset, void *buf, size_t len)
{
	return nvram_fd >= 0 && pread(nvram_fd, buf, len, (off_t)offset) == (ssize_t)len ? 0 : -1;
}

int board_nvram_write(uint32_t offset, const void *buf, size_t len)
{
	return nvram_fd >= 0 && pwrite(nvram_fd, buf, len, (off_t)offset) == (ssize_t)len ? 0 : -1;
}
