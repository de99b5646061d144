/*
 * The board's UARTs (driver folder drivers/uart): port 0 the shell's console, 1 the optical port
 * or host link, 2 the PLC modem, 3 the concentrator's backhaul where the manifest gives the board
 * one (board.h: BOARD_UART_*). What every board provides is board.h's board_uart_write / read /
 * available / dropped; the code for each sits here, selected by the fragment's "platforms":
 *   lin/uart.c            stdin/stdout, Unix-domain sockets, a TCP listener (lin)
 *   cortex-m4/uart_rx.c   the receive rings the boards' RX interrupts fill (every Cortex-M4 board)
 *   mps2-an386/uart.c     CMSDK APB UART (ARM DDI 0479)
 *   stm32/uart.c          STM32F4 USART (RM0090 section 30): stm32f405 and stm32f429
 * xs_uart.c binds them for script (modules/generic/platform.ts: xs_uart_*; drivers/uart/serial.ts).
 */
#ifndef UART_H
#define UART_H

#include <stddef.h>
#include <stdint.h>

/* board_init(): every port's receive side (rings, RX interrupt or file descriptors) and transmit. */
void uart_init(void);

/* xs_uart.c: whether script listens on a port (the event loop's onReadable, xsruntime.c). */
int uart_listening(unsigned port);

#endif
