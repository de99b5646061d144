/*
 * Host harness for drivers/spinor: the chip model (nor_model.c) and the driver (spinor.c) on a
 * store file, with a clock the script moves. Usage: nor_check FILE [CUT]; one command per line
 * on stdin, one result line each on stdout:
 *   cs <hex>          one chip-select cycle clocking <hex> out; prints the bytes clocked in
 *   tick <us>         the clock moves on
 *   read <addr> <n>   driver READ: "ok <hex>" or "err"
 *   prog <addr> <hex> driver PAGE PROGRAM(s): "ok" or "err"
 *   erase <addr>      driver 4 KB erase: "ok" or "err"
 *   count <sector>    the model's erase count
 *   info              driver and model counters
 * Addresses in hex. The store is the same file format as the firmware's (docs/spi-nor.md).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../nor_model.h"
#include "../spinor.h"
#include "board.h"

static uint64_t clock_ns;
static int fd = -1;
static long len = -1;
static const char *cut;

uint64_t board_cycles(void) { return clock_ns; }
uint32_t board_cycle_hz(void) { return 1000000000u; }
uint32_t board_millis(void) { return (uint32_t)(clock_ns / 1000000u); }
void board_uart_write(unsigned port, const void *data, size_t n)
{
	(void)port;
	fwrite(data, 1, n, stdout);
}
void board_exit(int code)
{
	fflush(stdout);
	exit(code);
}
long board_spinor_store_attach(void) { return len; }
int board_spinor_store_read(uint32_t off, void *buf, size_t n) { return pread(fd, buf, n, off) == (ssize_t)n ? 0 : -1; }
int board_spinor_store_write(uint32_t off, const void *buf, size_t n) { return pwrite(fd, buf, n, off) == (ssize_t)n ? 0 : -1; }
const char *board_spinor_cut(void) { return cut; }
const char *board_spi_init(void)
{
	nor_model_init();
	return "model";
}
void board_spi_select(int on) { nor_model_select(on); }
void board_spi_transfer(const uint8_t *tx, uint8_t *rx, size_t n) { nor_model_transfer(tx, rx, n); }

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;
	for (; s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1; s += 2)
		out[n++] = (uint8_t)v;
	return n;
}

static void hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

int main(int argc, char **argv)
{
	static uint8_t buf[8192], in[8192];
	char line[20000], arg[16400];
	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "-")) {
		struct stat st;
		fd = open(argv[1], O_RDWR | O_CREAT, 0644);
		if (fd < 0 || fstat(fd, &st) < 0)
			return 2;
		len = (long)st.st_size;
	}
	cut = argc > 2 ? argv[2] : NULL;
	nor_model_init();
	while (fgets(line, sizeof(line), stdin)) {
		unsigned long a = 0, n = 0;
		if (sscanf(line, "cs %16399s", arg) == 1) {
			size_t k = unhex(arg, buf, sizeof(buf));
			board_spi_select(1);
			board_spi_transfer(buf, in, k);
			board_spi_select(0);
			hex(in, k);
			printf("\n");
		}
		else if (sscanf(line, "tick %lu", &n) == 1) {
			clock_ns += (uint64_t)n * 1000u;
			printf("ok\n");
		}
		else if (sscanf(line, "read %lx %lu", &a, &n) == 2 && n <= sizeof(buf)) {
			if (spinor_read((uint32_t)a, buf, n) < 0)
				printf("err\n");
			else {
				printf("ok ");
				hex(buf, n);
				printf("\n");
			}
		}
		else if (sscanf(line, "prog %lx %16399s", &a, arg) == 2) {
			size_t k = unhex(arg, buf, sizeof(buf));
			printf(spinor_program((uint32_t)a, buf, k) < 0 ? "err\n" : "ok\n");
		}
		else if (sscanf(line, "erase %lx", &a) == 1)
			printf(spinor_erase_4k((uint32_t)a) < 0 ? "err\n" : "ok\n");
		else if (sscanf(line, "count %lu", &n) == 1)
			printf("%lu\n", (unsigned long)nor_model_erase_count((uint32_t)n));
		else if (!strncmp(line, "info", 4)) {
			spinor_init();
			const spinor_info_t *i = spinor_info();
			const nor_model_info_t *m = nor_model_info();
			printf("present=%d size=%lu reads=%lu programs=%lu erases=%lu errors=%lu busy=%lu timeouts=%lu ops=%lu ignored=%lu\n",
				i->present, (unsigned long)i->size, (unsigned long)i->reads, (unsigned long)i->programs,
				(unsigned long)i->erases, (unsigned long)i->errors, (unsigned long)i->busy_polls,
				(unsigned long)i->timeouts, (unsigned long)m->ops, (unsigned long)m->ignored);
		}
		else
			printf("? %s", line);
		fflush(stdout);
	}
	return 0;
}
