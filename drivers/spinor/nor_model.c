/* NOR chip model: see nor_model.h. */
#include "nor_model.h"
#include "board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IDLE, CMD, ADDR, DATA };

static nor_model_info_t info;
static uint8_t ready;
/* Allocated when a store attaches: a board whose real chip answers (stm32f405 on Renode) keeps
 * these 300 bytes of its heap. */
static struct chip {
	uint8_t phase, cmd, naddr, wel;
	uint32_t addr;
	uint32_t data;                 /* data bytes clocked in this command */
	uint64_t busy_until;           /* model microseconds */
	uint64_t poll_us;              /* bus time of polls while busy */
	uint8_t page[256];             /* PAGE PROGRAM latch, indexed by offset in the page */
	uint8_t loaded[32];            /* which latch bytes were sent */
	uint32_t rng;                  /* random:SEED cut: tear size */
} *chip;

static void print_line(const char *text)
{
	board_uart_write(BOARD_UART_CONSOLE, text, strlen(text));
	board_uart_write(BOARD_UART_CONSOLE, "\r\n", 2);
}

static uint64_t now_us(void)
{
	uint32_t hz = board_cycle_hz();
	uint64_t c = board_cycles();
	return (hz >= 1000000u ? c / (hz / 1000000u) : c * 1000000u / hz) + chip->poll_us;
}

static uint32_t xorshift(void)
{
	uint32_t x = chip->rng ? chip->rng : 0x9E3779B9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return chip->rng = x;
}

/* "N" (1..2^32-1) or "random:SEED" (decimal); anything else arms nothing and says so. */
static void arm_cut(const char *spec)
{
	uint32_t v = 0;
	int random = !strncmp(spec, "random:", 7);
	const char *p = random ? spec + 7 : spec;
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 429496728u)
			goto bad;
		v = v * 10u + (uint32_t)(*p - '0');
	}
	if (random) {
		chip->rng = v ^ 0xA5A5A5A5u;
		info.cut_at = 1u + xorshift() % NOR_CUT_RANDOM_SPAN;
	}
	else if (v)
		info.cut_at = v;
	else
		goto bad;
	return;
bad:
	print_line("SPINOR cut spec refused (N or random:SEED)");
}

int nor_model_init(void)
{
	if (ready)
		return info.attached ? 0 : -1;
	ready = 1;
	long len = board_spinor_store_attach();
	if (len < 0 || (chip = calloc(1, sizeof(*chip))) == NULL)
		return -1;
	if (len == 0) {
		/* a new file: the array erased, the counts zero */
		memset(chip->page, 0xFF, sizeof(chip->page));
		for (uint32_t off = 0; off < NOR_SIZE; off += sizeof(chip->page))
			if (board_spinor_store_write(off, chip->page, sizeof(chip->page)) < 0)
				goto refused;
		memset(chip->page, 0, sizeof(chip->page));
		for (uint32_t off = NOR_SIZE; off < NOR_STORE_SIZE; off += sizeof(chip->page))
			if (board_spinor_store_write(off, chip->page, sizeof(chip->page)) < 0)
				goto refused;
	}
	else if (len != (long)NOR_STORE_SIZE) {
		print_line("SPINOR model: store file has the wrong size, chip absent");
		goto refused;
	}
	info.attached = 1;
	const char *cut = board_spinor_cut();
	if (cut)
		arm_cut(cut);
	return 0;
refused:
	free(chip);
	chip = NULL;
	return -1;
}

const nor_model_info_t *nor_model_info(void)
{
	return &info;
}

uint32_t nor_model_erase_count(uint32_t sector)
{
	uint8_t b[4];
	if (nor_model_init() < 0 || sector >= NOR_SECTORS || board_spinor_store_read(NOR_SIZE + sector * 4u, b, 4) < 0)
		return 0;
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void count_erase(uint32_t sector)
{
	uint32_t n = nor_model_erase_count(sector) + 1u;
	uint8_t b[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
	board_spinor_store_write(NOR_SIZE + sector * 4u, b, 4);
}

/* How many of total units the cut lets through: half, or a draw from the seed. */
static uint32_t torn(uint32_t total)
{
	return chip->rng ? xorshift() % total : total / 2u;
}

static void cut(const char *what, uint32_t addr)
{
	char line[80];
	snprintf(line, sizeof(line), "POWER CUT spinor op=%lu %s addr=0x%06lx", (unsigned long)info.ops, what,
		(unsigned long)addr);
	print_line(line);
	board_exit(NOR_CUT_EXIT);
}

static void program(void)
{
	uint32_t base = chip->addr & ~0xFFu;
	uint8_t old[256];
	if (board_spinor_store_read(base, old, sizeof(old)) < 0)
		return;
	uint32_t start = chip->addr & 0xFFu, done = 0, total = chip->data < 256u ? chip->data : 256u;
	uint32_t limit = info.ops == info.cut_at ? torn(total) : total;
	/* bytes in the order they were sent from the start address, wrapping in the page */
	for (uint32_t i = 0; i < 256u && done < limit; i++) {
		uint32_t o = (start + i) & 0xFFu;
		if (chip->loaded[o >> 3] & (1u << (o & 7u))) {
			old[o] &= chip->page[o];
			done++;
		}
	}
	board_spinor_store_write(base, old, sizeof(old));
	if (info.ops == info.cut_at)
		cut("program", chip->addr);
	chip->busy_until = now_us() + NOR_T_PP_US;
}

static void erase(void)
{
	uint32_t base = chip->addr & ~0xFFFu;
	uint32_t limit = info.ops == info.cut_at ? torn(4096u) : 4096u;
	count_erase(base / 4096u);
	memset(chip->page, 0xFF, sizeof(chip->page));
	for (uint32_t off = 0; off < limit; off += sizeof(chip->page))
		board_spinor_store_write(base + off, chip->page, limit - off < sizeof(chip->page) ? limit - off : sizeof(chip->page));
	if (info.ops == info.cut_at)
		cut("erase", base);
	chip->busy_until = now_us() + NOR_T_SSE_US;
}

static int busy(void)
{
	return now_us() < chip->busy_until;
}

void nor_model_select(int on)
{
	if (!info.attached)
		return;
	if (on) {
		chip->phase = CMD;
		chip->naddr = 0;
		chip->addr = 0;
		chip->data = 0;
		return;
	}
	/* CS high: the chip executes what it latched */
	uint8_t cmd = chip->phase == IDLE ? 0 : chip->cmd;
	int complete = chip->phase == DATA || (chip->phase == ADDR && chip->naddr == 3);
	chip->phase = IDLE;
	if (!cmd || cmd == 0x05 || cmd == 0x9F || cmd == 0x03)
		return;
	if (busy()) {
		info.ignored++;
		return;
	}
	switch (cmd) {
	case 0x06:
		chip->wel = 1;
		break;
	case 0x04:
		chip->wel = 0;
		break;
	case 0x02:
	case 0x20:
		if (!chip->wel || !complete || (cmd == 0x02 && !chip->data)) {
			info.ignored++;
			break;
		}
		chip->wel = 0;
		info.ops++;
		if (cmd == 0x02)
			program();
		else
			erase();
		break;
	default:
		info.ignored++;
		break;
	}
}

void nor_model_transfer(const uint8_t *tx, uint8_t *rx, size_t n)
{
	size_t i = 0;
	if (rx)
		memset(rx, 0xFF, n);   /* MISO pulled up where the chip does not drive it */
	if (!info.attached || chip->phase == IDLE)
		return;
	while (i < n) {
		uint8_t b = tx ? tx[i] : 0xFF;
		switch (chip->phase) {
		case CMD:
			chip->cmd = b;
			chip->phase = (b == 0x02 || b == 0x03 || b == 0x20) ? ADDR : DATA;
			i++;
			if (b != 0x05 && busy()) {
				chip->cmd = 0;   /* ignored while busy: only RDSR answers */
				info.ignored++;
			}
			break;
		case ADDR:
			chip->addr = (chip->addr << 8) | b;
			i++;
			if (++chip->naddr == 3) {
				chip->addr &= NOR_SIZE - 1u;
				if (chip->cmd != 0x20)
					chip->phase = DATA;
				if (chip->cmd == 0x02) {
					memset(chip->loaded, 0, sizeof(chip->loaded));
				}
			}
			break;
		case DATA:
			switch (chip->cmd) {
			case 0x05: {
				uint8_t sr = (uint8_t)((busy() ? 0x01 : 0) | (chip->wel ? 0x02 : 0));
				if (sr & 0x01)
					chip->poll_us += NOR_POLL_US;
				if (rx)
					rx[i] = sr;
				i++;
				break;
			}
			case 0x9F: {
				static const uint8_t id[3] = { 0x20, 0xBA, 0x18 };
				if (rx && chip->data < 3)
					rx[i] = id[chip->data];
				chip->data++;
				i++;
				break;
			}
			case 0x03: {
				/* a run up to the end of the array, then the address wraps to 0 */
				size_t run = n - i;
				uint32_t room = NOR_SIZE - chip->addr;
				if (run > room)
					run = room;
				if (rx && board_spinor_store_read(chip->addr, rx + i, run) < 0)
					memset(rx + i, 0xFF, run);
				chip->addr = (chip->addr + (uint32_t)run) & (NOR_SIZE - 1u);
				i += run;
				break;
			}
			case 0x02: {
				uint32_t o = (chip->addr + chip->data) & 0xFFu;
				chip->page[o] = b;
				chip->loaded[o >> 3] |= (uint8_t)(1u << (o & 7u));
				chip->data++;
				i++;
				break;
			}
			default:
				i++;   /* data of a command the model does not know or ignores */
				break;
			}
			break;
		default:
			i = n;
			break;
		}
	}
}
