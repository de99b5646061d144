/* FMC SDRAM start-up for the 32F429I-DISCOVERY kit's IS42S16400J on SDRAM bank 2, and a short
 * boot test of the window. RM0090 section 37.7 (FMC SDRAM controller); the IS42S16400J data
 * sheet (rev. C) for the timings, in ns, converted to SDCLK cycles from the clock actually
 * running (HCLK / 2: 90 MHz at 180 MHz).
 *
 * Pins (UM1670 section 6.10, all alternate function 12, very high speed, push-pull):
 *   PB5 SDCKE1, PB6 SDNE1, PC0 SDNWE, PF11 SDNRAS, PG15 SDNCAS, PG8 SDCLK, PE0/PE1 NBL0/NBL1,
 *   A0-A11: PF0-PF5, PF12-PF15, PG0, PG1; BA0/BA1: PG4, PG5;
 *   D0-D15: PD14, PD15, PD0, PD1, PE7-PE15, PD8, PD9, PD10. */
#include <stddef.h>
#include "sdram.h"
#include "board.h"
#include "cm4.h"

#define RCC_AHB1ENR REG32(0x40023830u)
#define RCC_AHB3ENR REG32(0x40023838u)
#define RCC_AHB3ENR_FMCEN (1u << 0)

#define FMC_SDCR1  REG32(0xA0000140u)
#define FMC_SDCR2  REG32(0xA0000144u)
#define FMC_SDTR1  REG32(0xA0000148u)
#define FMC_SDTR2  REG32(0xA000014Cu)
#define FMC_SDCMR  REG32(0xA0000150u)
#define FMC_SDRTR  REG32(0xA0000154u)
#define FMC_SDSR   REG32(0xA0000158u)
#define FMC_SDSR_BUSY (1u << 5)

/* SDCR (RM0090 37.7.5). SDCLK, RBURST and RPIPE exist in SDCR1 only, for both banks. */
#define SDCR_NC_8      (0u << 0)          /* 8 column bits */
#define SDCR_NR_12     (1u << 2)          /* 12 row bits */
#define SDCR_MWID_16   (1u << 4)          /* 16-bit bus */
#define SDCR_NB_4      (1u << 6)          /* 4 internal banks */
#define SDCR_CAS(n)    ((uint32_t)(n) << 7)
#define SDCR_SDCLK_2   (2u << 10)         /* SDCLK = HCLK / 2 */
#define SDCR_RBURST    (1u << 12)
#define SDCR_RPIPE(n)  ((uint32_t)(n) << 13)

/* SDCMR (RM0090 37.7.7): MODE, target bank 2, auto-refresh count, mode register value. */
#define SDCMR_CLK_ENABLE  1u
#define SDCMR_PALL        2u
#define SDCMR_AUTOREFRESH 3u
#define SDCMR_LOAD_MODE   4u
#define SDCMR_CTB2        (1u << 3)
#define SDCMR_NRFS(n)     ((uint32_t)((n) - 1u) << 5)
#define SDCMR_MRD(v)      ((uint32_t)(v) << 9)

/* IS42S16400J mode register: burst length 1, sequential, CAS latency 3, standard operation,
 * single-location write burst (data sheet, "Mode register definition"). */
#define CAS_LATENCY    3u
#define SDRAM_MODE     (0u | (0u << 3) | (CAS_LATENCY << 4) | (0u << 7) | (1u << 9))

/* IS42S16400J-7 timings (data sheet, AC characteristics), ns unless said. */
#define T_MRD_CLK  2u                     /* load mode register to active: 2 clocks */
#define T_XSR_NS   70u                    /* exit self-refresh to active */
#define T_RAS_NS   42u                    /* active to precharge (min) */
#define T_RC_NS    63u                    /* active to active, same bank */
#define T_WR_CLK   2u                     /* write recovery: 2 clocks (tDPL) */
#define T_RP_NS    15u                    /* precharge to active */
#define T_RCD_NS   15u                    /* active to read/write */
#define T_REF_MS   64u                    /* 4096 rows refreshed every 64 ms */
#define ROWS       4096u

#define BUSY_POLLS 100000u

static sdram_status_t status = { 0, 0, 0, 0, 0, "off" };

const sdram_status_t *sdram_status(void)
{
	return &status;
}

/* Cycles of hz covering ns, at least min (the SDTR fields hold 1..16). */
static uint32_t cycles(uint32_t ns, uint32_t hz, uint32_t min)
{
	uint32_t c = (uint32_t)(((uint64_t)ns * hz + 999999999u) / 1000000000u);
	if (c < min)
		c = min;
	return c > 16u ? 16u : c;
}

static void fmc_pins(void)
{
	/* port (0 = A), pin mask */
	static const struct { uint8_t port; uint16_t pins; } map[] = {
		{ 1, (1u << 5) | (1u << 6) },
		{ 2, 1u << 0 },
		{ 3, (1u << 0) | (1u << 1) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 14) | (1u << 15) },
		{ 4, (1u << 0) | (1u << 1) | 0xFF80u },
		{ 5, 0x003Fu | (1u << 11) | 0xF000u },
		{ 6, (1u << 0) | (1u << 1) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 15) },
	};
	for (unsigned i = 0; i < sizeof map / sizeof map[0]; i++) {
		uint32_t gpio = 0x40020000u + 0x400u * map[i].port;
		RCC_AHB1ENR |= 1u << map[i].port;
		for (unsigned pin = 0; pin < 16; pin++) {
			if (!(map[i].pins & (1u << pin)))
				continue;
			volatile uint32_t *afr = &REG32(gpio + 0x20 + 4 * (pin / 8));
			*afr = (*afr & ~(15u << (4 * (pin % 8)))) | (12u << (4 * (pin % 8)));
			REG32(gpio + 0x04) &= ~(1u << pin);                               /* OTYPER push-pull */
			REG32(gpio + 0x08) |= 3u << (2 * pin);                            /* OSPEEDR very high */
			REG32(gpio + 0x0C) &= ~(3u << (2 * pin));                         /* PUPDR none */
			REG32(gpio + 0x00) = (REG32(gpio + 0x00) & ~(3u << (2 * pin))) | (2u << (2 * pin));
		}
	}
}

static int command(uint32_t cmd)
{
	uint32_t polls = BUSY_POLLS;
	while ((FMC_SDSR & FMC_SDSR_BUSY) && polls--)
		;
	if (FMC_SDSR & FMC_SDSR_BUSY)
		return 0;
	FMC_SDCMR = cmd | SDCMR_CTB2;
	return 1;
}

/* Data bus (walking ones at the base), then address lines and the whole window: one word at
 * each power-of-two offset and every 64 KB, each holding a value derived from its address, all
 * written before any is read back, so a shorted or open address line shows as a wrong value. */
static int ram_test(void)
{
	volatile uint32_t *base = (volatile uint32_t *)SDRAM_BASE;
	status.words = 0;
	for (unsigned bit = 0; bit < 32; bit++) {
		base[0] = 1u << bit;
		status.words++;
		if (base[0] != 1u << bit) {
			status.fail_at = SDRAM_BASE;
			return 0;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t off = 4; off < SDRAM_SIZE; off <<= 1) {
			volatile uint32_t *p = (volatile uint32_t *)(SDRAM_BASE + off);
			uint32_t v = ~(SDRAM_BASE + off) ^ 0x5A5A0000u;
			if (!pass) {
				*p = v;
				status.words++;
			} else if (*p != v) {
				status.fail_at = SDRAM_BASE + off;
				return 0;
			}
		}
		for (uint32_t off = 0x10000u - 4u; off < SDRAM_SIZE; off += 0x10000u) {
			volatile uint32_t *p = (volatile uint32_t *)(SDRAM_BASE + off);
			uint32_t v = (SDRAM_BASE + off) * 2654435761u;
			if (!pass) {
				*p = v;
				status.words++;
			} else if (*p != v) {
				status.fail_at = SDRAM_BASE + off;
				return 0;
			}
		}
	}
	return 1;
}

int sdram_init(uint32_t hclk_hz)
{
	uint32_t hz = hclk_hz / 2u;
	status.sdclk_hz = hz;
	fmc_pins();
	RCC_AHB3ENR |= RCC_AHB3ENR_FMCEN;
	(void)RCC_AHB3ENR;                        /* the enable takes effect before the FMC is used */

	FMC_SDCR1 = SDCR_SDCLK_2 | SDCR_RBURST | SDCR_RPIPE(1) | SDCR_NC_8 | SDCR_NR_12 |
		SDCR_MWID_16 | SDCR_NB_4 | SDCR_CAS(CAS_LATENCY);
	FMC_SDCR2 = SDCR_NC_8 | SDCR_NR_12 | SDCR_MWID_16 | SDCR_NB_4 | SDCR_CAS(CAS_LATENCY);
	/* SDTR (RM0090 37.7.6), each field the cycle count - 1. TRC and TRP exist in SDTR1 only. */
	uint32_t sdtr = (T_MRD_CLK - 1u) | ((cycles(T_XSR_NS, hz, 1) - 1u) << 4) |
		((cycles(T_RAS_NS, hz, 1) - 1u) << 8) | ((cycles(T_RC_NS, hz, 1) - 1u) << 12) |
		((T_WR_CLK - 1u) << 16) | ((cycles(T_RP_NS, hz, 1) - 1u) << 20) |
		((cycles(T_RCD_NS, hz, 1) - 1u) << 24);
	status.sdtr = sdtr;
	FMC_SDTR1 = sdtr;
	FMC_SDTR2 = sdtr;

	/* Power-up sequence (RM0090 37.7.3 "SDRAM initialization"; data sheet: 100 us with the
	 * clock running, then precharge all, 8 auto-refresh cycles, load mode register). */
	status.state = "timeout";
	if (!command(SDCMR_CLK_ENABLE))
		return 0;
	uint32_t start = board_millis();
	while (board_millis() - start < 2u)       /* at least 1 ms >= 100 us */
		;
	if (!command(SDCMR_PALL) || !command(SDCMR_AUTOREFRESH | SDCMR_NRFS(8)) ||
		!command(SDCMR_LOAD_MODE | SDCMR_MRD(SDRAM_MODE)))
		return 0;
	/* Refresh timer: one row every 64 ms / 4096 = 15.6 us, less the 20-cycle margin the
	 * reference manual asks for (37.7.8). */
	status.refresh = (uint32_t)((uint64_t)hz * T_REF_MS / 1000u / ROWS) - 20u;
	FMC_SDRTR = status.refresh << 1;
	uint32_t polls = BUSY_POLLS;
	while ((FMC_SDSR & FMC_SDSR_BUSY) && polls--)
		;
	if (FMC_SDSR & FMC_SDSR_BUSY)
		return 0;
	if (!ram_test()) {
		status.state = "fail";
		return 0;
	}
	status.state = "ok";
	return 1;
}
