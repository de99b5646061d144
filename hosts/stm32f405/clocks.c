/* STM32F405 clock tree, reset cause, RTC and independent watchdog; with -DSTM32_CHIP_F429=1
 * the STM32F429's (hosts/stm32f429: 180 MHz with over-drive, else the same).
 *
 * Clock tree (RM0090 section 6.2, STM32F4-Discovery: 8 MHz crystal on HSE):
 *   HSE 8 MHz -> PLL (M=8, N=336, P=2, Q=7): VCO 336 MHz, SYSCLK 168 MHz, 48 MHz for USB/SDIO
 *   AHB /1 = 168 MHz, APB1 /4 = 42 MHz (max 42), APB2 /2 = 84 MHz (max 84)
 *   FLASH_ACR: 5 wait states at 168 MHz and 2.7-3.6 V (RM0090 table 10), prefetch, I and D caches.
 * Every wait for an oscillator or the clock switch is bounded: on failure the chip stays on the
 * 16 MHz HSI. QEMU 7.2's netduinoplus2 has no RCC (reads return 0, which silicon never returns:
 * HSIRDY is set out of reset), so there the clocks are the emulator's fixed 168 MHz ("fixed").
 *
 * RTC (section 26): LSE 32.768 kHz, else the LSI; the calendar counts seconds since
 * 2000-01-01 and keeps running across resets (backup domain). A marker in RTC_BKP0R says this
 * firmware set it; without the marker (first power-up, or an emulator without backup registers)
 * the calendar is initialised. QEMU has no RTC: INITF never sets and the RTC is reported absent.
 *
 * IWDG (section 21): 32 kHz LSI, prescaler and reload computed for the timeout. */
#include <stddef.h>
#include "clocks.h"
#include "board.h"
#include "cm4.h"

#define RCC_CR       REG32(0x40023800u)
#define RCC_PLLCFGR  REG32(0x40023804u)
#define RCC_CFGR     REG32(0x40023808u)
#define RCC_APB1ENR  REG32(0x40023840u)
#define RCC_BDCR     REG32(0x40023870u)
#define RCC_CSR      REG32(0x40023874u)
#define PWR_CR       REG32(0x40007000u)
#define PWR_CSR      REG32(0x40007004u)
#define FLASH_ACR    REG32(0x40023C00u)

#define RCC_CR_HSION      (1u << 0)
#define RCC_CR_HSIRDY     (1u << 1)
#define RCC_CR_HSEON      (1u << 16)
#define RCC_CR_HSERDY     (1u << 17)
#define RCC_CR_PLLON      (1u << 24)
#define RCC_CR_PLLRDY     (1u << 25)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_CFGR_SW_MASK  3u
#define RCC_CFGR_SW_PLL   2u
#define RCC_CFGR_SWS(v)   (((v) >> 2) & 3u)
#define RCC_APB1ENR_PWREN (1u << 28)
#define RCC_BDCR_LSEON    (1u << 0)
#define RCC_BDCR_LSERDY   (1u << 1)
#define RCC_BDCR_RTCSEL_MASK (3u << 8)
#define RCC_BDCR_RTCSEL_LSE  (1u << 8)
#define RCC_BDCR_RTCSEL_LSI  (2u << 8)
#define RCC_BDCR_RTCEN    (1u << 15)
#define RCC_CSR_LSION     (1u << 0)
#define RCC_CSR_LSIRDY    (1u << 1)
#define RCC_CSR_RMVF      (1u << 24)
#define PWR_CR_DBP        (1u << 8)
#define PWR_CR_VOS        (1u << 14)
#define PWR_CR_VOS_SCALE1 (3u << 14)      /* STM32F42x/43x: VOS[1:0] = 11 */
#define PWR_CR_ODEN       (1u << 16)      /* STM32F42x/43x only */
#define PWR_CR_ODSWEN     (1u << 17)
#define PWR_CSR_ODRDY     (1u << 16)
#define PWR_CSR_ODSWRDY   (1u << 17)
#define FLASH_ACR_PRFTEN  (1u << 8)
#define FLASH_ACR_ICEN    (1u << 9)
#define FLASH_ACR_DCEN    (1u << 10)

#define RTC_TR    REG32(0x40002800u)
#define RTC_DR    REG32(0x40002804u)
#define RTC_CR    REG32(0x40002808u)
#define RTC_ISR   REG32(0x4000280Cu)
#define RTC_PRER  REG32(0x40002810u)
#define RTC_WPR   REG32(0x40002824u)
#define RTC_BKP0R REG32(0x40002850u)
#define RTC_ISR_INITS (1u << 4)
#define RTC_ISR_RSF   (1u << 5)
#define RTC_ISR_INITF (1u << 6)
#define RTC_ISR_INIT  (1u << 7)
#define RTC_CR_FMT    (1u << 6)
#define RTC_MARKER    0x52544331u     /* "RTC1": the calendar was set by this firmware */

#define IWDG_KR   REG32(0x40003000u)
#define IWDG_PR   REG32(0x40003004u)
#define IWDG_RLR  REG32(0x40003008u)
#define IWDG_SR   REG32(0x4000300Cu)

#define HSI_HZ        16000000u
#define HSE_HZ        8000000u        /* STM32F4-Discovery crystal */
#define LSE_HZ        32768u
#define LSI_HZ        32000u          /* nominal: 17-47 kHz over temperature (DS8626) */
#define PLL_M         8u
#define PLL_P         2u
#if STM32_CHIP_F429
/* STM32F429ZI (32F429I-DISCOVERY, same 8 MHz crystal): N=360, VCO 360 MHz, SYSCLK 180 MHz,
 * which needs the regulator's over-drive (RM0090 section 5.1.4); Q=8 gives 45 MHz (USB, which
 * needs 48, is unused). APB1 /4 = 45 MHz (max 45), APB2 /2 = 90 MHz (max 90): same dividers. */
#define PLL_N         360u
#define PLL_Q         8u
#define OVERDRIVE     1
#else
#define PLL_N         336u
#define PLL_Q         7u
#define OVERDRIVE     0
#endif
#define AHB_DIV       1u
#define APB1_DIV      4u
#define APB2_DIV      2u
#define FLASH_WS      5u

/* Bounded waits, in polls of a ready bit: HSE and PLL lock within 2 ms on silicon (DS8626
 * tables 36 and 41); at most a few cycles per poll on the 16 MHz HSI this allows 100 ms. */
#define OSC_POLLS     400000u

/* Out of reset the chip runs on the HSI (a fault reported before board_init uses these). */
stm32_clocks_t stm32_clocks = { "hsi", 0, HSI_HZ, HSI_HZ, HSI_HZ, HSI_HZ, 0 };

static int wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t value, uint32_t polls)
{
	while (polls--)
		if ((*reg & mask) == value)
			return 1;
	return 0;
}

/* APB prescaler field (PPRE1/PPRE2): 0xx = /1, 100 = /2, 101 = /4, 110 = /8, 111 = /16. */
static uint32_t ppre(uint32_t div)
{
	uint32_t code = 0;
	for (uint32_t d = div; d > 1; d >>= 1)
		code++;
	return code ? 3u + code : 0u;
}

static void use_hsi(const char *source)
{
	RCC_CFGR &= ~RCC_CFGR_SW_MASK;                  /* back on the HSI, prescalers /1 */
	wait_set(&RCC_CFGR, 3u << 2, 0, OSC_POLLS);
	RCC_CFGR = 0;
	RCC_CR &= ~(RCC_CR_PLLON | RCC_CR_HSEON);
	FLASH_ACR = FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;   /* 0 WS up to 30 MHz */
	stm32_clocks = (stm32_clocks_t){ source, 0, HSI_HZ, HSI_HZ, HSI_HZ, HSI_HZ, 0 };
}

void stm32_clock_init(void)
{
	uint32_t sysclk = HSE_HZ / PLL_M * PLL_N / PLL_P;
	if (!(RCC_CR & RCC_CR_HSIRDY)) {
		/* No RCC model (QEMU): the emulator runs the core at its own fixed clock. */
		stm32_clocks = (stm32_clocks_t){ "fixed", 0, sysclk, sysclk / AHB_DIV,
			sysclk / AHB_DIV / APB1_DIV, sysclk / AHB_DIV / APB2_DIV, 0 };
		return;
	}
	RCC_CR |= RCC_CR_HSEON;
	if (!wait_set(&RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY, OSC_POLLS)) {
		use_hsi("hsi");
		return;
	}
	/* Scale 1 regulator for 168 MHz (RM0090 section 5.1.4). */
	RCC_APB1ENR |= RCC_APB1ENR_PWREN;
	PWR_CR |= OVERDRIVE ? PWR_CR_VOS_SCALE1 : PWR_CR_VOS;
	/* Wait states before the clock goes up, checked by reading back (RM0090 section 3.5.1). */
	FLASH_ACR = FLASH_WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
	if ((FLASH_ACR & 7u) != FLASH_WS) {
		use_hsi("hsi");
		return;
	}
	RCC_CFGR = (RCC_CFGR & ~0xFCF0u) | (ppre(APB1_DIV) << 10) | (ppre(APB2_DIV) << 13);
	RCC_CR &= ~RCC_CR_PLLON;
	/* reserved bits (29 reads 1 out of reset) keep their value */
	RCC_PLLCFGR = (RCC_PLLCFGR & ~0x0F43FFFFu) | PLL_M | (PLL_N << 6) |
		((PLL_P / 2u - 1u) << 16) | RCC_PLLCFGR_SRC_HSE | (PLL_Q << 24);
	RCC_CR |= RCC_CR_PLLON;
	if (!wait_set(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY, OSC_POLLS)) {
		use_hsi("hsi");
		return;
	}
#if OVERDRIVE
	/* Over-drive for 180 MHz, with the PLL locked and the core still on the HSI (RM0090
	 * section 5.1.4, "Entering Over-drive mode"): ODEN, wait ODRDY, ODSWEN, wait ODSWRDY. */
	PWR_CR |= PWR_CR_ODEN;
	if (!wait_set(&PWR_CSR, PWR_CSR_ODRDY, PWR_CSR_ODRDY, OSC_POLLS)) {
		PWR_CR &= ~PWR_CR_ODEN;
		use_hsi("hsi");
		return;
	}
	PWR_CR |= PWR_CR_ODSWEN;
	if (!wait_set(&PWR_CSR, PWR_CSR_ODSWRDY, PWR_CSR_ODSWRDY, OSC_POLLS)) {
		PWR_CR &= ~(PWR_CR_ODEN | PWR_CR_ODSWEN);
		use_hsi("hsi");
		return;
	}
#endif
	RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
	if (!wait_set(&RCC_CFGR, 3u << 2, RCC_CFGR_SW_PLL << 2, OSC_POLLS)) {
		use_hsi("hsi");
		return;
	}
	stm32_clocks = (stm32_clocks_t){ "hse-pll", HSE_HZ, sysclk, sysclk / AHB_DIV,
		sysclk / AHB_DIV / APB1_DIV, sysclk / AHB_DIV / APB2_DIV, FLASH_WS };
}

/* ---- reset cause ---- */

/* The watchdog's stall marker: 3 words at the top of SRAM (link.ld `__reset_marker`), outside
 * every section, so neither the startup code nor an ELF loader touches them; a reset keeps SRAM
 * (silicon; Renode's machine reset), a power-on leaves it random (hence the magic and the check
 * word). Renode 1.15's STM32 IWDG resets the machine without setting RCC_CSR's IWDGRSTF (its
 * reset flags always read PIN, POR, BOR), so the marker is how a watchdog reset shows there; on
 * silicon it stands beside reset=iwdg. */
extern volatile uint32_t __reset_marker[3];
#define reset_marker  __reset_marker
#define STALL_MAGIC   0x57445354u     /* "WDST" */

static char reset_text[64];

const char *stm32_reset_cause(void)
{
	if (reset_text[0])
		return reset_text;
	static const struct { uint8_t bit; const char *name; } flags[] = {
		{ 30, "wwdg" }, { 29, "iwdg" }, { 28, "sft" }, { 31, "lpwr" }, { 27, "por" },
		{ 26, "pin" }, { 25, "bor" },
	};
	uint32_t csr = RCC_CSR;
	char *p = reset_text;
	for (unsigned i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (!(csr & (1u << flags[i].bit)))
			continue;
		if (p != reset_text)
			*p++ = ',';
		for (const char *s = flags[i].name; *s; )
			*p++ = *s++;
	}
	if (p == reset_text)
		for (const char *s = "none"; *s; )
			*p++ = *s++;
	RCC_CSR |= RCC_CSR_RMVF;          /* the next reset's flags start from clear */
	/* The stall marker (below) of the run before: " wdg.stall.ms=N", then cleared. */
	if (reset_marker[0] == STALL_MAGIC && reset_marker[2] == (reset_marker[1] ^ ~STALL_MAGIC)) {
		for (const char *s = " wdg.stall.ms="; *s; )
			*p++ = *s++;
		char d[10];
		unsigned k = 0;
		uint32_t v = reset_marker[1];
		do
			d[k++] = (char)('0' + v % 10u);
		while ((v /= 10u) && k < sizeof d);
		while (k)
			*p++ = d[--k];
	}
	reset_marker[0] = reset_marker[1] = reset_marker[2] = 0;
	*p = 0;
	return reset_text;
}

/* ---- RTC ---- */

static const char *rtc_state = "absent";

static int32_t days_from_2000(uint32_t y, uint32_t m, uint32_t d)
{
	/* days since 2000-01-01 of a Gregorian date in 2000..2099 (every 4th year a leap year) */
	static const uint16_t before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	if (m < 1 || m > 12)
		return -1;
	int32_t days = (int32_t)(y * 365u + (y + 3u) / 4u + before[m - 1] + d - 1u);
	if (m > 2 && y % 4u == 0)
		days++;
	return days;
}

static uint32_t bcd(uint32_t v, unsigned shift, uint32_t tens_mask)
{
	return ((v >> (shift + 4)) & tens_mask) * 10u + ((v >> shift) & 15u);
}

int32_t stm32_rtc_seconds(void)
{
	if (rtc_state[0] == 'a')
		return -1;
	/* TR then DR, always in pairs (a TR read locks the DR shadow until DR is read); again if
	 * the two pairs differ (a second, or a day, turned between them) */
	uint32_t tr, dr, tr2, dr2;
	do {
		tr = RTC_TR;
		dr = RTC_DR;
		tr2 = RTC_TR;
		dr2 = RTC_DR;
	} while (tr != tr2 || dr != dr2);
	int32_t days = days_from_2000(bcd(dr, 16, 15), bcd(dr, 8, 1), bcd(dr, 0, 3));
	if (days < 0)
		return -1;
	uint32_t hour = bcd(tr, 16, 3);
	if ((RTC_CR & RTC_CR_FMT) && (tr & (1u << 22)))
		hour += 12;
	return days * 86400 + (int32_t)(hour * 3600u + bcd(tr, 8, 7) * 60u + bcd(tr, 0, 7));
}

const char *stm32_rtc_text(void)
{
	return rtc_state;
}

static int rtc_wait(uint32_t mask, uint32_t value, uint32_t ms)
{
	uint32_t start = board_millis();
	do {
		if ((RTC_ISR & mask) == value)
			return 1;
	} while (board_millis() - start < ms);
	return 0;
}

/* Needs SysTick running (bounded waits in milliseconds). */
int stm32_rtc_init(void)
{
	int have_rcc = (RCC_CR & RCC_CR_HSIRDY) != 0;
	RCC_APB1ENR |= RCC_APB1ENR_PWREN;
	PWR_CR |= PWR_CR_DBP;                     /* backup domain writable */
	const char *source = "lse";
	uint32_t prer = (127u << 16) | (LSE_HZ / 128u - 1u);
	if (have_rcc && !(RCC_BDCR & RCC_BDCR_RTCEN)) {
		/* LSE crystals take up to 2 s to start (AN2867); then the LSI */
		RCC_BDCR |= RCC_BDCR_LSEON;
		uint32_t start = board_millis();
		while (!(RCC_BDCR & RCC_BDCR_LSERDY) && board_millis() - start < 2000)
			;
		uint32_t sel = RCC_BDCR_RTCSEL_LSE;
		if (!(RCC_BDCR & RCC_BDCR_LSERDY)) {
			RCC_BDCR &= ~RCC_BDCR_LSEON;
			RCC_CSR |= RCC_CSR_LSION;
			start = board_millis();
			while (!(RCC_CSR & RCC_CSR_LSIRDY) && board_millis() - start < 10)
				;
			sel = RCC_BDCR_RTCSEL_LSI;
		}
		RCC_BDCR = (RCC_BDCR & ~RCC_BDCR_RTCSEL_MASK) | sel;
		RCC_BDCR |= RCC_BDCR_RTCEN;
	}
	if ((RCC_BDCR & RCC_BDCR_RTCSEL_MASK) == RCC_BDCR_RTCSEL_LSI) {
		source = "lsi";
		prer = (127u << 16) | (LSI_HZ / 128u - 1u);
	}
	if (RTC_BKP0R == RTC_MARKER && (RTC_ISR & RTC_ISR_INITS)) {
		rtc_state = source;                   /* running since an earlier boot */
		return 1;
	}
	/* Out of reset ALRAWF, ALRBWF and WUTWF read 1 (RM0090 section 26.6.4); QEMU, which has
	 * no RTC, reads 0: absent, without waiting. */
	if (!(RTC_ISR & 7u)) {
		rtc_state = "absent";
		return 0;
	}
	RTC_WPR = 0xCAu;
	RTC_WPR = 0x53u;
	RTC_ISR |= RTC_ISR_INIT;
	if (!rtc_wait(RTC_ISR_INITF, RTC_ISR_INITF, 10)) {
		RTC_WPR = 0xFFu;
		rtc_state = "absent";                 /* init mode never entered */
		return 0;
	}
	RTC_PRER = prer;                          /* 1 Hz calendar clock */
	RTC_CR &= ~RTC_CR_FMT;                    /* 24-hour format */
	RTC_TR = 0;                               /* 00:00:00 */
	RTC_DR = (6u << 13) | (1u << 8) | 1u;     /* Saturday 2000-01-01 */
	RTC_ISR &= ~RTC_ISR_INIT;
	RTC_BKP0R = RTC_MARKER;
	RTC_WPR = 0xFFu;
	RTC_ISR &= ~RTC_ISR_RSF;                  /* shadow registers resynchronised after init */
	rtc_wait(RTC_ISR_RSF, RTC_ISR_RSF, 10);
	rtc_state = source;
	return 2;
}

/* ---- IWDG ---- */

static uint32_t iwdg_ms;
/* SysTick tick of the last feed; whether the marker below is written. */
static volatile uint32_t fed_tick;
static volatile uint8_t stall_noted;

void stm32_iwdg_start(uint32_t timeout_ms)
{
	/* smallest prescaler (4 << PR) whose 12-bit reload reaches the timeout */
	uint32_t pr = 0, counts;
	for (;;) {
		counts = (uint32_t)((uint64_t)timeout_ms * LSI_HZ / ((4u << pr) * 1000u));
		if (counts <= 4096u || pr == 6)
			break;
		pr++;
	}
	if (counts > 4096u)
		counts = 4096u;
	if (counts < 1u)
		counts = 1u;
	IWDG_KR = 0xCCCCu;                        /* start (the LSI comes on by itself) */
	IWDG_KR = 0x5555u;                        /* PR and RLR writable */
	IWDG_PR = pr;
	IWDG_RLR = counts - 1u;
	uint32_t start = board_millis();
	while ((IWDG_SR & 3u) && board_millis() - start < 100)   /* PVU, RVU: values taken */
		;
	IWDG_KR = 0xAAAAu;
	fed_tick = cm4_systick_ticks();
	iwdg_ms = (uint32_t)((uint64_t)counts * (4u << pr) * 1000u / LSI_HZ);
}

void stm32_iwdg_feed(void)
{
	if (!iwdg_ms)
		return;
	IWDG_KR = 0xAAAAu;
	fed_tick = cm4_systick_ticks();
	if (stall_noted) {                        /* the loop came back in time: no reset follows */
		reset_marker[0] = 0;
		stall_noted = 0;
	}
}

/* SysTick (every 16th tick): once the event loop has not fed the watchdog for its timeout less
 * STALL_MARGIN_MS, the reset is near: the marker records how long the loop had stalled, for the
 * next boot's line. A stall with interrupts masked writes none (silicon's IWDGRSTF still says). */
#define STALL_MARGIN_MS 250u

void board_systick_hook(uint32_t now)
{
	if (!iwdg_ms || stall_noted)
		return;
	uint32_t stalled = now - fed_tick;          /* ticks are milliseconds */
	if (stalled + STALL_MARGIN_MS < iwdg_ms)
		return;
	reset_marker[1] = stalled;
	reset_marker[2] = stalled ^ ~STALL_MAGIC;
	reset_marker[0] = STALL_MAGIC;
	stall_noted = 1;
}

uint32_t stm32_iwdg_timeout_ms(void)
{
	return iwdg_ms;
}
