/* Linux host entry: the same firmware as on the boards, as a process. The part images the
 * build produced are linked in; --image replaces one, as writing its flash region would. */
#include "board.h"
#include "xsruntime.h"
#include "nvram.h"
#include "provision.h"
#include "simclock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIN_REGION_SIZE (512 * 1024)

extern const uint8_t part_image_legal[], part_image_plc[], part_image_nonlegal[];
extern const uint32_t part_image_legal_size, part_image_plc_size, part_image_nonlegal_size;

int lin_uart_attach(unsigned port, const char *path);
int lin_uart_listen_tcp(unsigned port, unsigned tcp_port);
void lin_board_args(int argc, char **argv);
int lin_nvram_open(const char *path, size_t size);
int lin_spinor_open(const char *path);
void lin_spinor_cut(const char *spec);
void lin_entropy_seed(uint64_t seed);

static uint8_t regions[IMAGE_PART_COUNT][LIN_REGION_SIZE];

/* --flash FILE: the internal flash of the LEGAL, PLC and NON-LEGAL regions, in that order, kept
 * across runs as the board's flash is (the runtime swap rewrites a region: docs/firmware-update.md).
 * Created from the built-in images when missing or empty; every region write goes to it at once. */
#define LIN_FLASH_SIZE ((IMAGE_PART_COUNT - 1) * LIN_REGION_SIZE)
static int flash_fd = -1;

static int open_flash(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_size != 0 && st.st_size != LIN_FLASH_SIZE)) {
		fprintf(stderr, "firmware: cannot use flash file %s: %s (%u bytes, or an empty file)\n", path,
			fd < 0 ? strerror(errno) : "bad size", (unsigned)LIN_FLASH_SIZE);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (int i = IMAGE_PART_LEGAL; i < IMAGE_PART_COUNT; i++) {
		off_t at = (off_t)(i - 1) * LIN_REGION_SIZE;
		ssize_t n = st.st_size ? pread(fd, regions[i], LIN_REGION_SIZE, at) : pwrite(fd, regions[i], LIN_REGION_SIZE, at);
		if (n != LIN_REGION_SIZE) {
			fprintf(stderr, "firmware: flash file %s: %s failed\n", path, st.st_size ? "read" : "write");
			close(fd);
			return -1;
		}
	}
	flash_fd = fd;
	return 0;
}

int board_region_writable(void)
{
	return 1;
}

int board_region_write(unsigned part, uint32_t offset, const void *data, size_t length)
{
	if (part < IMAGE_PART_LEGAL || part >= IMAGE_PART_COUNT || offset > LIN_REGION_SIZE || length > LIN_REGION_SIZE - offset)
		return -1;
	if (regions[part] + offset != data)
		memcpy(regions[part] + offset, data, length);
	if (flash_fd >= 0 && pwrite(flash_fd, data, length, (off_t)(part - 1) * LIN_REGION_SIZE + offset) != (ssize_t)length)
		return -1;
	return 0;
}

/* PLC provisioning record (drivers/plcmodem/xs_provision.c checks it): --provision FILE. */
#define LIN_PROVISION_SIZE (16 * 1024)
static uint8_t provision[LIN_PROVISION_SIZE];
static size_t provision_size;

const uint8_t *board_provision(size_t *size)
{
	*size = provision_size;
	return provision_size ? provision : NULL;
}

static int load_provision(const char *file)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		fprintf(stderr, "firmware: cannot open %s\n", file);
		return -1;
	}
	size_t n = fread(provision, 1, sizeof(provision), f);
	int more = fgetc(f) != EOF;
	fclose(f);
	if (more || n == 0) {
		fprintf(stderr, "firmware: %s: a provisioning record is 1..%u bytes\n", file, LIN_PROVISION_SIZE);
		return -1;
	}
	size_t len;
	const char *why = plcprov_check(provision, n, &len);
	if (why) {
		fprintf(stderr, "firmware: %s: %s\n", file, why);
		return -1;
	}
	provision_size = n;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: firmware [--image legal|plc|nonlegal=FILE]... [--uart1 SOCKET] [--modem SOCKET]\n"
		"                [--nvram FILE] [--provision FILE] [--seed N] [--sim-clock] [--backhaul-port PORT]\n"
		"                [--spinor FILE] [--spinor-cut N|random:SEED] [--flash FILE]\n"
		"  --image PART=FILE  program PART's flash region with FILE (an image from the build)\n"
		"  --flash FILE       keep the internal flash of the part regions (3 x 512 KB) in FILE;\n"
		"                     created from the built-in images if missing or empty; --image\n"
		"                     then programs it\n"
		"  --uart1 SOCKET     connect UART1 (optical port / host link) to a Unix socket\n"
		"  --modem SOCKET     connect the PLC modem port (UART2) to a Unix socket; time stands\n"
		"                     still until the medium's READY, then follows the medium's\n"
		"                     simulated clock when it runs one (simClock=1)\n"
		"  --nvram FILE       keep the NVRAM (%u bytes) in FILE; created if missing or empty\n"
		"  --spinor FILE      keep the SPI NOR model (16 MB + erase counts) in FILE; created if\n"
		"                     missing or empty (docs/spi-nor.md)\n"
		"  --spinor-cut SPEC  power cut at the N-th NOR program/erase, or a random one from SEED\n"
		"  --provision FILE   PLC provisioning record (EUI-64, PSK, device table; tools/provision.mjs)\n"
		"  --seed N           reproducible entropy (decimal, 0..2^64-1) instead of the clock's\n"
		"  --sim-clock        the medium on --modem runs the simulated clock: wait for its READY\n"
		"  --backhaul-port PORT  the concentrator's backhaul UART (3): listen on 127.0.0.1:PORT,\n"
		"                     one connection at a time (the head-end: npm run headend -- serve)\n"
		"                     without the %u-ms limit after which real time resumes\n"
		"The shell (MNSH) is on standard input and output.\n", (unsigned)NVRAM_SIZE, (unsigned)SIM_WAIT_LIMIT_MS);
}

static int part_index(const char *name, size_t len)
{
	static const char *const names[] = { "generic", "legal", "plc", "nonlegal" };
	for (int i = IMAGE_PART_LEGAL; i < IMAGE_PART_COUNT; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], name, len))
			return i;
	return -1;
}

static int program_region(int part, const char *file)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		fprintf(stderr, "firmware: cannot open %s\n", file);
		return -1;
	}
	memset(regions[part], 0xFF, LIN_REGION_SIZE);
	size_t n = fread(regions[part], 1, LIN_REGION_SIZE, f);
	int more = fgetc(f) != EOF;
	fclose(f);
	if (more) {
		fprintf(stderr, "firmware: %s is larger than the %u-byte region\n", file, LIN_REGION_SIZE);
		return -1;
	}
	(void)n;
	return 0;
}

int main(int argc, char **argv)
{
	runtime_config_t config;
	const uint8_t *builtin[IMAGE_PART_COUNT] = { NULL, part_image_legal, part_image_plc, part_image_nonlegal };
	const uint32_t builtin_size[IMAGE_PART_COUNT] = { 0, part_image_legal_size, part_image_plc_size, part_image_nonlegal_size };
	const char *uart1 = NULL, *modem = NULL, *nvram = NULL, *backhaul = NULL, *flash = NULL;
	const char *image_specs[2 * IMAGE_PART_COUNT];
	int image_count = 0;

	board_init();
	lin_board_args(argc, argv);
	for (int i = IMAGE_PART_LEGAL; i < IMAGE_PART_COUNT; i++) {
		memset(regions[i], 0xFF, LIN_REGION_SIZE);
		if (builtin_size[i] <= LIN_REGION_SIZE)
			memcpy(regions[i], builtin[i], builtin_size[i]);
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage(stdout);
			return 0;
		}
		if ((!strcmp(arg, "--image") || !strcmp(arg, "--uart1") || !strcmp(arg, "--modem") ||
		     !strcmp(arg, "--nvram") || !strcmp(arg, "--spinor") || !strcmp(arg, "--spinor-cut") ||
		     !strcmp(arg, "--backhaul-port") || !strcmp(arg, "--flash") ||
		     !strcmp(arg, "--provision") || !strcmp(arg, "--seed")) && i + 1 >= argc) {
			fprintf(stderr, "firmware: %s needs a value\n", arg);
			return 2;
		}
		if (!strcmp(arg, "--image")) {
			const char *spec = argv[++i];
			const char *eq = strchr(spec, '=');
			int part = eq ? part_index(spec, (size_t)(eq - spec)) : -1;
			if (part < 0) {
				fprintf(stderr, "firmware: --image expects legal|plc|nonlegal=FILE, got '%s'\n", spec);
				return 2;
			}
			if (image_count == (int)(sizeof(image_specs) / sizeof(image_specs[0]))) {
				fprintf(stderr, "firmware: too many --image options\n");
				return 2;
			}
			image_specs[image_count++] = spec;
		}
		else if (!strcmp(arg, "--flash"))
			flash = argv[++i];
		else if (!strcmp(arg, "--sim-clock"))
			sim_clock_wait_unlimited();
		else if (!strcmp(arg, "--uart1"))
			uart1 = argv[++i];
		else if (!strcmp(arg, "--modem"))
			modem = argv[++i];
		else if (!strcmp(arg, "--backhaul-port"))
			backhaul = argv[++i];
		else if (!strcmp(arg, "--nvram")) {
			if (nvram) {
				fprintf(stderr, "firmware: --nvram given twice\n");
				return 2;
			}
			nvram = argv[++i];
		}
		else if (!strcmp(arg, "--spinor")) {
			if (lin_spinor_open(argv[++i]) < 0)
				return 2;
		}
		else if (!strcmp(arg, "--spinor-cut"))
			lin_spinor_cut(argv[++i]);
		else if (!strcmp(arg, "--seed")) {
			const char *v = argv[++i];
			char *end;
			errno = 0;
			unsigned long long seed = strtoull(v, &end, 10);
			if (!*v || *end || errno || *v == '-') {
				fprintf(stderr, "firmware: --seed expects a decimal number, got '%s'\n", v);
				return 2;
			}
			lin_entropy_seed((uint64_t)seed);
		}
		else if (!strcmp(arg, "--provision")) {
			if (load_provision(argv[++i]) < 0)
				return 2;
		}
		else {
			fprintf(stderr, "firmware: unknown option '%s'\n", arg);
			usage(stderr);
			return 2;
		}
	}
	if (uart1 && lin_uart_attach(BOARD_UART_AUX, uart1) < 0) {
		fprintf(stderr, "firmware: cannot connect UART1 to %s\n", uart1);
		return 2;
	}
	if (modem && lin_uart_attach(BOARD_UART_MODEM, modem) < 0) {
		fprintf(stderr, "firmware: cannot connect the modem port to %s\n", modem);
		return 2;
	}
	if (backhaul) {
		char *end;
		unsigned long port = strtoul(backhaul, &end, 10);
		if (!*backhaul || *end || port == 0 || port > 65535) {
			fprintf(stderr, "firmware: --backhaul-port expects 1..65535, got '%s'\n", backhaul);
			return 2;
		}
#if BOARD_UART_MAX > 3
		if (lin_uart_listen_tcp(BOARD_UART_BACKHAUL, (unsigned)port) < 0) {
			fprintf(stderr, "firmware: cannot listen on 127.0.0.1:%lu for the backhaul UART\n", port);
			return 2;
		}
#else
		fprintf(stderr, "firmware: this build has no backhaul UART (BOARD_UART_MAX 3)\n");
		return 2;
#endif
	}
	if (nvram && lin_nvram_open(nvram, NVRAM_SIZE) < 0)
		return 2;
	/* the flash file holds what was programmed before; --image programs over it */
	if (flash && open_flash(flash) < 0)
		return 2;
	for (int k = 0; k < image_count; k++) {
		const char *eq = strchr(image_specs[k], '=');
		int part = part_index(image_specs[k], (size_t)(eq - image_specs[k]));
		if (program_region(part, eq + 1) < 0 || board_region_write((unsigned)part, 0, regions[part], LIN_REGION_SIZE) < 0)
			return 2;
	}
	config.region[IMAGE_PART_GENERIC] = NULL;
	config.region_size[IMAGE_PART_GENERIC] = 0;
	for (int i = IMAGE_PART_LEGAL; i < IMAGE_PART_COUNT; i++) {
		config.region[i] = regions[i];
		config.region_size[i] = LIN_REGION_SIZE;
	}
	return runtime_main(&config);
}
