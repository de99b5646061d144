/* XS binding of the board's UARTs (uart.h) for GENERIC (modules/generic/platform.ts): the
 * console, and the ports drivers/uart/serial.ts opens as ECMA-419 serial. Script learns of
 * received bytes from the event loop (xsruntime.c), which asks uart_listening(). */
#include "xsruntime.h"
#include "board.h"
#include "uart.h"

#include <string.h>

static uint8_t listening[BOARD_UART_MAX];

int uart_listening(unsigned port)
{
	return port < BOARD_UART_MAX && listening[port];
}

void xs_uart_listen(xsMachine *the)
{
	int port = xsToInteger(xsArg(0));
	if (port < 0 || port >= BOARD_UART_MAX)
		xsRangeError("uart %d", port);
	listening[port] = (uint8_t)xsTest(xsArg(1));
}

void xs_uart_read(xsMachine *the)
{
	int port = xsToInteger(xsArg(0));
	int max = xsToInteger(xsArg(1));
	if (port < 0 || port >= BOARD_UART_MAX)
		xsRangeError("uart %d", port);
	if (max < 0 || max > 4096)
		max = 4096;
	size_t available = board_uart_available(port);
	if ((size_t)max > available)
		max = (int)available;
	xsResult = xsArrayBuffer(NULL, max);
	size_t got = board_uart_read(port, xsToArrayBuffer(xsResult), max);
	if (got < (size_t)max)
		xsSetArrayBufferLength(xsResult, (xsIntegerValue)got);
}

void xs_uart_write(xsMachine *the)
{
	int port = xsToInteger(xsArg(0));
	if (port < 0 || port >= BOARD_UART_MAX)
		xsRangeError("uart %d", port);
	if (xsTypeOf(xsArg(1)) == xsStringType) {
		const char *s = xsToString(xsArg(1));
		board_uart_write(port, s, strlen(s));
		return;
	}
	void *data;
	size_t length;
	runtime_buffer(the, &xsArg(1), &data, &length);
	board_uart_write(port, data, length);
}

void xs_uart_dropped(xsMachine *the)
{
	int port = xsToInteger(xsArg(0));
	if (port < 0 || port >= BOARD_UART_MAX)
		xsRangeError("uart %d", port);
	xsResult = xsNumber(board_uart_dropped(port));
}
