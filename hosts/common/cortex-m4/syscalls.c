/* Minimal newlib (nano) system calls: stdio goes to the console UART, the heap is the arena
 * between the end of .bss and the stack guard (link.ld). Board-independent. */
#include <errno.h>
#include <stdint.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "board.h"
#include "cm4.h"

#undef errno
extern int errno;

void *_sbrk(ptrdiff_t incr)
{
	static uint8_t *brk = __heap_start;
	/* Compare sizes, not pointers, so a huge request cannot wrap past the end. */
	if (incr > (ptrdiff_t)(__heap_end - brk) || incr < -(ptrdiff_t)(brk - __heap_start)) {
		errno = ENOMEM;
		return (void *)-1;
	}
	uint8_t *old = brk;
	brk += incr;
	return old;
}

int _write(int fd, const char *buf, int len)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	board_uart_write(BOARD_UART_CONSOLE, buf, (size_t)len);
	return len;
}

/* Blocks until at least one byte is there, as a terminal read would. */
int _read(int fd, char *buf, int len)
{
	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	size_t n;
	while ((n = board_uart_read(BOARD_UART_CONSOLE, buf, (size_t)len)) == 0)
		board_idle(1000);
	return (int)n;
}

int _close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

int _fstat(int fd, struct stat *st)
{
	(void)fd;
	st->st_mode = S_IFCHR;
	return 0;
}

int _isatty(int fd)
{
	return fd >= 0 && fd <= 2;
}

int _lseek(int fd, int offset, int whence)
{
	(void)fd, (void)offset, (void)whence;
	errno = ESPIPE;
	return -1;
}

void _exit(int code)
{
	board_exit(code);
}

int _kill(int pid, int sig)
{
	(void)pid;
	board_exit(128 + sig);                /* abort() lands here: exit like a signalled process */
}

int _getpid(void)
{
	return 1;
}

/* Wall clock for Date: milliseconds since reset plus an offset that clock synchronisation sets
 * (board_set_time_ms: SYS TIME, through xs_sys_set_time). Until then the meter's time starts at the epoch, as an RTC without a
 * backup battery would. */
#include <sys/time.h>
static int64_t time_offset_ms;

void board_set_time_ms(int64_t now_ms)
{
	time_offset_ms = now_ms - (int64_t)board_millis();
}

int64_t board_time_offset_ms(void)
{
	return time_offset_ms;
}

int _gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	if (tv) {
		int64_t now = time_offset_ms + (int64_t)board_millis();
		tv->tv_sec = (time_t)(now / 1000);
		tv->tv_usec = (suseconds_t)((now % 1000) * 1000);
	}
	return 0;
}

/* realloc that copies only what the old block holds (see hosts/common/xsplatform.h). */
void *board_realloc(void *block, size_t size)
{
	if (!block)
		return malloc(size);
	if (!size) {
		free(block);
		return NULL;
	}
	size_t old = malloc_usable_size(block);
	if (size <= old)
		return block;
	void *grown = malloc(size);
	if (!grown)
		return NULL;
	memcpy(grown, block, old);
	free(block);
	return grown;
}
