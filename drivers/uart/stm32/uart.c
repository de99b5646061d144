/* The UARTs of the STM32F4 boards (stm32f405, and the stm32f429 that compiles its board.c):
 * USART (RM0090 section 30) x3, and UART5 as port 3 where the manifest gives the STM32F429 board
 * a backhaul UART (BOARD_UART_MAX 4). Transmit is polled; receive is one byte per RX interrupt
 * into the rings of cortex-m4/uart_rx.c. The BRR values come from stm32_clocks (clocks.c): call
 * uart_init() after stm32_clock_init(). */
#include <stdint.h>
#include "board.h"
#include "clocks.h"
#include "cm4.h"
#include "uart.h"

#define UART_BAUD        115200u

typedef struct {
	volatile uint32_t SR;
	volatile uint32_t DR;
	volatile uint32_t BRR;
	volatile uint32_t CR1;
	volatile uint32_t CR2;
	volatile uint32_t CR3;
	volatile uint32_t GTPR;
} stm32_usart_t;

#define USART_SR_ORE     (1u << 3)
#define USART_SR_RXNE    (1u << 5)
#define USART_SR_TC      (1u << 6)
#define USART_SR_TXE     (1u << 7)
#define USART_CR1_RE     (1u << 2)
#define USART_CR1_TE     (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_UE     (1u << 13)

#define RCC_AHB1ENR REG32(0x40023830u)
#define RCC_APB1ENR REG32(0x40023840u)
#define RCC_APB2ENR REG32(0x40023844u)

/* Which USART QEMU binds to which -serial (`info qtree`): serial0 = USART1, serial1 = USART2,
 * serial2 = USART3. NVIC positions from RM0090 table 61: USART1 37, USART2 38, USART3 39. */
static stm32_usart_t *const uarts[BOARD_UART_MAX] = {
	(stm32_usart_t *)0x40011000u,         /* USART1: console */
	(stm32_usart_t *)0x40004400u,         /* USART2 */
	(stm32_usart_t *)0x40004800u,         /* USART3 */
#if BOARD_UART_MAX > 3
	(stm32_usart_t *)0x40005000u,         /* UART5: the concentrator's backhaul (STM32F429 board) */
#endif
};
#if BOARD_UART_MAX > 3
#ifndef STM32_CHIP_F429
#error "a fourth UART (the backhaul, UART5) is wired on the STM32F429 board only"
#endif
static const uint8_t uart_irq[BOARD_UART_MAX] = { 37, 38, 39, 53 };
#else
static const uint8_t uart_irq[BOARD_UART_MAX] = { 37, 38, 39 };
#endif

static void uart_tx_enable(unsigned port)
{
	stm32_usart_t *u = uarts[port];
	/* Clock gates and pins: ignored by QEMU, needed on silicon. USART1 TX/RX on PA9/PA10,
	 * USART2 on PA2/PA3, USART3 on PB10/PB11, alternate function 7; UART5 (F429 board) TX on
	 * PC12, RX on PD2, alternate function 8. GPIO ports by number: A 0, B 1, C 2, D 3. */
	static const uint32_t apb_bit[] = { 1u << 4, 1u << 17, 1u << 18, 1u << 20 };
	if (port == 0)
		RCC_APB2ENR |= apb_bit[0];
	else
		RCC_APB1ENR |= apb_bit[port];
	static const struct { uint8_t tx_gpio, tx, rx_gpio, rx, af; } pins[] = {
		{ 0, 9, 0, 10, 7 }, { 0, 2, 0, 3, 7 }, { 1, 10, 1, 11, 7 }, { 2, 12, 3, 2, 8 },
	};
	for (unsigned k = 0; k < 2; k++) {
		unsigned pin = k ? pins[port].rx : pins[port].tx;
		unsigned g = k ? pins[port].rx_gpio : pins[port].tx_gpio;
		uint32_t gpio = 0x40020000u + 0x400u * g;
		RCC_AHB1ENR |= 1u << g;
		REG32(gpio + 0x00) = (REG32(gpio + 0x00) & ~(3u << (2 * pin))) | (2u << (2 * pin));
		volatile uint32_t *afr = &REG32(gpio + 0x20 + 4 * (pin / 8));
		*afr = (*afr & ~(15u << (4 * (pin % 8)))) | ((uint32_t)pins[port].af << (4 * (pin % 8)));
	}
	/* USART1 on APB2, USART2/3 and UART5 on APB1 (RM0090 section 2.3); OVER8 = 0 */
	uint32_t pclk = port == 0 ? stm32_clocks.pclk2_hz : stm32_clocks.pclk1_hz;
	u->BRR = (pclk + UART_BAUD / 2) / UART_BAUD;
	u->CR1 |= USART_CR1_UE | USART_CR1_TE;
}

void uart_init(void)
{
	for (unsigned i = 0; i < BOARD_UART_MAX; i++) {
		uart_tx_enable(i);
		uarts[i]->CR1 |= USART_CR1_RE | USART_CR1_RXNEIE;
		cm4_rx_init(i, uart_irq[i]);
	}
}

/* One byte per interrupt: QEMU's USARTs have no baud-rate timing and refill DR as soon as it
 * is read, so a draining loop would never end during a paste. Returning after each byte lets
 * SysTick in between; the still-pending RX interrupt tail-chains straight back. */
static void uart_rx_isr(unsigned port)
{
	stm32_usart_t *u = uarts[port];
	uint32_t sr = u->SR;
	/* ring full: the byte stays in DR until the main loop makes room (flow control) */
	if ((sr & USART_SR_RXNE) && !(sr & USART_SR_ORE) && cm4_rx_hold_if_full(port))
		return;
	if (sr & USART_SR_ORE)                    /* hardware overrun: a byte was lost */
		cm4_rx_overrun(port);
	if (sr & (USART_SR_RXNE | USART_SR_ORE)) {  /* SR then DR read clears RXNE and ORE */
		uint8_t byte = (uint8_t)u->DR;
		if (sr & USART_SR_RXNE)
			cm4_rx_put(port, byte);
	}
	/* QEMU 7.2 (hw/char/stm32f2xx_usart.c) delivers the next byte inside the DR read and then
	 * lowers the IRQ line, so RXNE can be set with no interrupt pending: input would stall.
	 * Pend the IRQ again by hand; on silicon this only costs a spurious entry. */
	if (u->SR & USART_SR_RXNE)
		NVIC_ISPR(uart_irq[port] >> 5) = 1u << (uart_irq[port] & 31);
}

void USART1_IRQHandler(void) { uart_rx_isr(0); }
void USART2_IRQHandler(void) { uart_rx_isr(1); }
void USART3_IRQHandler(void) { uart_rx_isr(2); }
#if BOARD_UART_MAX > 3
void UART5_IRQHandler(void) { uart_rx_isr(3); }
#endif

static void uart_putc(stm32_usart_t *u, uint8_t c)
{
	while (!(u->SR & USART_SR_TXE))
		;
	u->DR = c;
}

void board_uart_write(unsigned port, const void *data, size_t len)
{
	if (port >= BOARD_UART_MAX)
		return;
	const uint8_t *p = data;
	while (len--)
		uart_putc(uarts[port], *p++);
}

void board_flush(void)
{
	for (unsigned i = 0; i < BOARD_UART_MAX; i++)
		if (uarts[i]->CR1 & USART_CR1_TE)
			while (!(uarts[i]->SR & USART_SR_TC))
				;
}

void board_fault_puts(const char *s)
{
	stm32_usart_t *u = uarts[BOARD_UART_CONSOLE];
	if (!(u->CR1 & USART_CR1_TE))         /* fault before board_init() */
		uart_tx_enable(BOARD_UART_CONSOLE);
	while (*s)
		uart_putc(u, (uint8_t)*s++);
}
