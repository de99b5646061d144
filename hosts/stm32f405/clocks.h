/* STM32F405 clock tree, RTC and independent watchdog (RM0090 sections 6, 26, 21). */
#ifndef STM32F405_CLOCKS_H
#define STM32F405_CLOCKS_H

#include <stdint.h>

/* The clocks in use after stm32_clock_init(): every baud rate and the SysTick reload derive
 * from here. */
typedef struct {
	const char *source;        /* "hse-pll", "hsi" (HSE or PLL failed), "fixed" (no RCC) */
	uint32_t hse_hz;           /* 0 unless the HSE started */
	uint32_t sysclk_hz;
	uint32_t hclk_hz;          /* AHB: core and SysTick (CLKSOURCE = processor clock) */
	uint32_t pclk1_hz;         /* APB1: USART2, USART3 */
	uint32_t pclk2_hz;         /* APB2: USART1 */
	uint32_t flash_ws;         /* FLASH_ACR latency in wait states */
} stm32_clocks_t;

extern stm32_clocks_t stm32_clocks;

void stm32_clock_init(void);
/* Called at the end of board_init (board.c, weak): a chip variant's own peripherals. */
void stm32_board_late_init(void);

/* RCC_CSR reset flags read at boot, then cleared (RMVF): "iwdg", "por", "pin,por,bor"... */
const char *stm32_reset_cause(void);

/* RTC on the LSE (silicon) or whatever the emulator models: 0 when absent, 1 when its calendar
 * runs from an earlier boot, 2 when it was set (to 2000-01-01 00:00:00) just now. */
int stm32_rtc_init(void);
/* Seconds since 2000-01-01 00:00:00 from the calendar, or -1 when there is no RTC. */
int32_t stm32_rtc_seconds(void);
const char *stm32_rtc_text(void);

/* IWDG from the 32 kHz LSI: prescaler and reload computed for timeout_ms. */
void stm32_iwdg_start(uint32_t timeout_ms);
void stm32_iwdg_feed(void);
uint32_t stm32_iwdg_timeout_ms(void);

#endif
