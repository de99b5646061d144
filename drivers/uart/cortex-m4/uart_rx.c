/* The receive side of the boards' UARTs, the same on every Cortex-M4 board: one ring per port
 * filled by the board's RX interrupt, receive flow control (the interrupt is masked while the
 * ring is full, leaving the byte in the UART, and unmasked once the main loop made room), and
 * the drop counters. The board's ISR (drivers/uart/<board>/uart.c) only talks to its UART registers and calls these. */
#include "board.h"
#include "cm4.h"
#include "ringbuf.h"

#ifndef BOARD_UART_RX_SIZE
#define BOARD_UART_RX_SIZE 512
#endif
_Static_assert(RINGBUF_IS_POW2(BOARD_UART_RX_SIZE), "BOARD_UART_RX_SIZE must be a power of two");

static uint8_t rx_storage[BOARD_UART_MAX][BOARD_UART_RX_SIZE];
static ringbuf_t rx_ring[BOARD_UART_MAX];
static volatile uint32_t rx_dropped[BOARD_UART_MAX];
static volatile uint8_t rx_held[BOARD_UART_MAX];   /* RX interrupt masked: ring was full */
static uint8_t rx_irq[BOARD_UART_MAX];

void cm4_rx_init(unsigned port, unsigned irq)
{
	ringbuf_init(&rx_ring[port], rx_storage[port], BOARD_UART_RX_SIZE);
	rx_dropped[port] = 0;
	rx_held[port] = 0;
	rx_irq[port] = (uint8_t)irq;
	NVIC_IPR(irq) = 0x80;   /* below SysTick: a flood must not stop the clock */
	cm4_irq_enable(irq);
}

int cm4_rx_hold_if_full(unsigned port)
{
	if (ringbuf_count(&rx_ring[port]) <= rx_ring[port].mask)
		return 0;
	rx_held[port] = 1;
	cm4_irq_mask(rx_irq[port]);
	return 1;
}

void cm4_rx_put(unsigned port, uint8_t byte)
{
	if (!ringbuf_put(&rx_ring[port], byte))
		rx_dropped[port]++;
}

void cm4_rx_overrun(unsigned port)
{
	rx_dropped[port]++;
}

size_t board_uart_read(unsigned port, void *buf, size_t max)
{
	if (port >= BOARD_UART_MAX)
		return 0;
	size_t n = ringbuf_read(&rx_ring[port], buf, max);
	if (n && rx_held[port]) {
		rx_held[port] = 0;
		cm4_irq_unmask_pend(rx_irq[port]);
	}
	return n;
}

size_t board_uart_available(unsigned port)
{
	return port < BOARD_UART_MAX ? ringbuf_count(&rx_ring[port]) : 0;
}

uint32_t board_uart_dropped(unsigned port)
{
	return port < BOARD_UART_MAX ? rx_dropped[port] : 0;
}

int board_rx_pending(void)
{
	for (unsigned i = 0; i < BOARD_UART_MAX; i++)
		if (ringbuf_count(&rx_ring[i]))
			return 1;
	return 0;
}
