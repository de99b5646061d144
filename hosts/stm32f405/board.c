/* Board support for the STM32F405 (STM32F4-Discovery; QEMU netduinoplus2; Renode
 * renode/platforms/stm32f405-meter.repl), Cortex-M4F.
 * Peripherals: SysTick, RCC, RTC, IWDG (clocks.c); the USARTs are drivers/uart/stm32/uart.c.
 * Clocks: clocks.c sets HSE -> PLL -> 168 MHz; the BRR values and the SysTick reload come from
 * stm32_clocks. QEMU (`info qtree`: cpuclk 168 MHz) has no RCC: there the clocks are its fixed
 * 168 MHz. The millisecond clock follows the RTC where there is one (systick.c). */
#include <stdint.h>
#include "board.h"
#include "clocks.h"
#include "cm4.h"
#include "uart.h"

#define IWDG_TIMEOUT_MS  2000u                /* fed each time round the event loop */

/* Weak where a chip variant compiling this file (hosts/stm32f429) has its own. */
__attribute__((weak)) const char *board_name(void)
{
	return "stm32f405";
}

/* MPU guard.
 *   region 0: flash 0x08000000-0x080FFFFF read-only + executable, so a stray write faults
 *             (QEMU would otherwise ignore it silently).
 *   region 1: 0x00000000-0x000FFFFF, the boot alias of flash: no access, XN. NULL reads,
 *             writes and calls fault. Vector fetches use VTOR and the default map.
 *   region 2: the 4 KB below RAM, under the main stack (link.ld): no access. A stack overflow
 *             faults at once instead of running into data. */
__attribute__((weak)) void board_early_init(void)
{
	SCB_VTOR = 0x08000000u;
	cm4_mpu_region(0, 0x08000000u, MPU_RASR_AP_RO | MPU_RASR_NORMAL | MPU_RASR_SIZE(20));
	cm4_mpu_region(1, 0x00000000u, MPU_RASR_AP_NONE | MPU_RASR_XN | MPU_RASR_SIZE(20));
	cm4_mpu_region(2, (uint32_t)__stack_guard, MPU_RASR_AP_NONE | MPU_RASR_XN |
		MPU_RASR_SIZE(12));
	cm4_mpu_enable();
}

/* SYS CLOCK and the boot line share one buffer (RAM is tight on this board). */
static char clock_text[360];

static char *put(char *p, const char *end, const char *s)
{
	while (*s && p + 1 < end)
		*p++ = *s++;
	*p = 0;
	return p;
}

static char *put_u(char *p, const char *end, uint32_t v)
{
	char d[10];
	unsigned k = 0;
	do {
		d[k++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	while (k && p + 1 < end)
		*p++ = d[--k];
	*p = 0;
	return p;
}

/* "source=... iwdg.ms=N": the clock tree, the time source, the watchdog. */
static char *put_clocks(char *p, const char *end)
{
	static const char *const names[] = { " hse=", " sysclk=", " hclk=", " pclk1=", " pclk2=",
		" flash.ws=" };
	const uint32_t values[] = { stm32_clocks.hse_hz, stm32_clocks.sysclk_hz,
		stm32_clocks.hclk_hz, stm32_clocks.pclk1_hz, stm32_clocks.pclk2_hz,
		stm32_clocks.flash_ws };
	p = put(p, end, "source=");
	p = put(p, end, stm32_clocks.source);
	for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
		p = put(p, end, names[i]);
		p = put_u(p, end, values[i]);
	}
	p = put(p, end, " rtc=");
	p = put(p, end, stm32_rtc_text());
	p = put(p, end, " time=");
	p = put(p, end, stm32_rtc_seconds() >= 0 ? "rtc" : "systick");
	p = put(p, end, " iwdg.ms=");
	return put_u(p, end, stm32_iwdg_timeout_ms());
}

/* What a chip variant adds at the end of board_init (the F429: its SDRAM, UART4/5). */
__attribute__((weak)) void stm32_board_late_init(void)
{
}

void board_init(void)
{
	const char *reset = stm32_reset_cause();   /* before anything can reset again */
	stm32_clock_init();
	uart_init();   /* drivers/uart/stm32/uart.c */

	cm4_systick_start(stm32_clocks.hclk_hz);
	__asm volatile("cpsie i" ::: "memory");
	/* the legal clock: the RTC where it runs, else SysTick alone */
	int rtc = stm32_rtc_init();
	if (rtc)
		cm4_systick_reference(stm32_rtc_seconds, rtc == 2);
	stm32_iwdg_start(IWDG_TIMEOUT_MS);

	const char *end = clock_text + sizeof clock_text;
	char *p = put(clock_text, end, "clock ");
	p = put_clocks(p, end);
	p = put(p, end, " reset=");
	p = put(p, end, reset);
	put(p, end, "\r\n");
	board_fault_puts(clock_text);
	stm32_board_late_init();
}

/* SYS CLOCK: the clock tree, the time source and the RTC's corrections. */
const char *board_clock_text(void)
{
	const char *end = clock_text + sizeof clock_text;
	char *p = put(clock_text, end, "mode=real ");
	p = put_clocks(p, end);
	p = put(p, end, " rtc.s=");
	int32_t s = stm32_rtc_seconds();
	p = s >= 0 ? put_u(p, end, (uint32_t)s) : put(p, end, "-1");
	cm4_systick_text(p, (unsigned)(end - p));
	return clock_text;
}

/* The event loop came round: the watchdog is fed only while it does. */
void board_loop_alive(void)
{
	stm32_iwdg_feed();
}

/* No PLC stack on this board yet (manifest platforms.stm32f405 config.parts.plc.stack). */
__attribute__((weak)) const uint8_t *board_provision(size_t *size)
{
	*size = 0;
	return NULL;
}

/* Second data RAM for XS slots (hosts/common/cortex-m4/dataram.c). The chip's 64 KB CCM
 * (RM0090 section 2.3.1: 0x10000000, CPU data bus only). QEMU's netduinoplus2 has no CCM but
 * 192 KB of contiguous SRAM: its 64 KB above the chip's 128 KB (link.ld) stand in for the CCM
 * there, so both give XS the same 128 + 64 KB. On silicon that address is not RAM and its probe
 * is never reached. */
__attribute__((weak)) const board_data_region_t *board_data_regions(void)
{
	static const board_data_region_t regions[] = {
		{ "ccm", 0x10000000u, 64u * 1024u },
		{ "sram-high", 0x20020000u, 64u * 1024u },
		{ 0, 0, 0 },
	};
	return regions;
}
