/* The UARTs of QEMU mps2-an386: CMSDK APB UART (ARM DDI 0479, "Cortex-M System Design Kit TRM")
 * x3 (x4 where the manifest gives the board a backhaul UART, BOARD_UART_MAX 4). Transmit is
 * polled; receive is one byte per RX interrupt into the rings of cortex-m4/uart_rx.c. */
#include <stdint.h>
#include "board.h"
#include "cm4.h"
#include "uart.h"

#define UART_BAUD     115200u
#define UART_PCLK_HZ  25000000u   /* the UARTs' clock: cpuclk (QEMU `info qtree`; board.c CPU_HZ) */

/* CMSDK APB UART */
typedef struct {
	volatile uint32_t DATA;
	volatile uint32_t STATE;
	volatile uint32_t CTRL;
	volatile uint32_t INTSTATUS;          /* write 1 to clear (INTCLEAR) */
	volatile uint32_t BAUDDIV;
} cmsdk_uart_t;

#define UART_STATE_TXFULL  (1u << 0)
#define UART_STATE_RXFULL  (1u << 1)
#define UART_STATE_RXOVR   (1u << 3)
#define UART_CTRL_TXEN     (1u << 0)
#define UART_CTRL_RXEN     (1u << 1)
#define UART_CTRL_RXINTEN  (1u << 3)
#define UART_INT_RX        (1u << 1)
#define UART_INT_RXOVR     (1u << 3)

/* UARTn RX interrupt is IRQ 2n (TX is 2n+1); QEMU hw/arm/mps2.c, AN386 TRM table 4-2. */
static cmsdk_uart_t *const uarts[BOARD_UART_MAX] = {
	(cmsdk_uart_t *)0x40004000u,          /* UART0: serial0, console */
	(cmsdk_uart_t *)0x40005000u,          /* UART1: serial1 */
	(cmsdk_uart_t *)0x40006000u,          /* UART2: serial2 */
#if BOARD_UART_MAX > 3
	(cmsdk_uart_t *)0x40007000u,          /* UART3: serial3, the concentrator's backhaul */
#endif
};
#if BOARD_UART_MAX > 3
static const uint8_t uart_rx_irq[BOARD_UART_MAX] = { 0, 2, 4, 18 };   /* UART3 RX: IRQ 18 (QEMU hw/arm/mps2.c) */
#else
static const uint8_t uart_rx_irq[BOARD_UART_MAX] = { 0, 2, 4 };
#endif

static void uart_tx_enable(cmsdk_uart_t *u)
{
	/* QEMU ignores a UART whose BAUDDIV is below 16 (the CMSDK minimum). */
	u->BAUDDIV = UART_PCLK_HZ / UART_BAUD;
	u->CTRL |= UART_CTRL_TXEN;
}

void uart_init(void)
{
	for (unsigned i = 0; i < BOARD_UART_MAX; i++) {
		cmsdk_uart_t *u = uarts[i];
		uart_tx_enable(u);
		u->INTSTATUS = UART_INT_RX | UART_INT_RXOVR;
		u->CTRL |= UART_CTRL_RXEN | UART_CTRL_RXINTEN;
		cm4_rx_init(i, uart_rx_irq[i]);
	}
}

/* One byte per interrupt: QEMU's UARTs have no baud-rate timing and refill DATA as soon as it
 * is read, so a draining loop would never end during a paste. Returning after each byte lets
 * SysTick in between; the still-pending RX interrupt tail-chains straight back. */
static void uart_rx_isr(unsigned port)
{
	cmsdk_uart_t *u = uarts[port];
	/* Clear before reading: a byte that lands after the read raises the interrupt again. */
	u->INTSTATUS = UART_INT_RX | UART_INT_RXOVR;
	if (u->STATE & UART_STATE_RXOVR) {        /* hardware overrun: a byte was lost */
		u->STATE = UART_STATE_RXOVR;
		cm4_rx_overrun(port);
	}
	/* ring full: the byte stays in the UART until the main loop makes room (flow control) */
	if ((u->STATE & UART_STATE_RXFULL) && !cm4_rx_hold_if_full(port))
		cm4_rx_put(port, (uint8_t)u->DATA);
}

void UART0RX_Handler(void) { uart_rx_isr(0); }
void UART1RX_Handler(void) { uart_rx_isr(1); }
void UART2RX_Handler(void) { uart_rx_isr(2); }
#if BOARD_UART_MAX > 3
void UART3RX_Handler(void) { uart_rx_isr(3); }
#else
void UART3RX_Handler(void) { }
#endif

void board_uart_write(unsigned port, const void *data, size_t len)
{
	if (port >= BOARD_UART_MAX)
		return;
	cmsdk_uart_t *u = uarts[port];
	const uint8_t *p = data;
	while (len--) {
		while (u->STATE & UART_STATE_TXFULL)
			;
		u->DATA = *p++;
	}
}

void board_flush(void)
{
	for (unsigned i = 0; i < BOARD_UART_MAX; i++)
		if (uarts[i]->CTRL & UART_CTRL_TXEN)
			while (uarts[i]->STATE & UART_STATE_TXFULL)
				;
}

void board_fault_puts(const char *s)
{
	cmsdk_uart_t *u = uarts[BOARD_UART_CONSOLE];
	if (!(u->CTRL & UART_CTRL_TXEN))      /* fault before board_init() */
		uart_tx_enable(u);
	while (*s) {
		while (u->STATE & UART_STATE_TXFULL)
			;
		u->DATA = (uint8_t)*s++;
	}
}
