/* The lin host's UARTs: UART0 is stdin/stdout (the shell); the other UARTs are optional
 * Unix-domain socket connections given on the command line (main.c: --uart1, --modem), or (the
 * concentrator's backhaul) a TCP port on 127.0.0.1 that this process listens on, taking one
 * connection at a time and the next one when it closes. Reads are non-blocking into per-port
 * ring buffers of the same size as on the boards, so overflow behaves (and is counted) the same
 * way. The modem port goes through the simulated clock's tap (hosts/lin/simclock.c). */
#define _GNU_SOURCE
#include "board.h"
#include "ringbuf.h"
#include "simclock.h"
#include "plcmodem.h"
#include "uart.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#ifndef BOARD_UART_RX_SIZE
#define BOARD_UART_RX_SIZE 512
#endif

typedef struct {
	int in, out;        /* file descriptors, -1 when absent */
	int listener;       /* listening TCP socket (lin_uart_listen_tcp), -1 when none */
	int eof;
	uint32_t dropped;
	ringbuf_t rx;
	uint8_t storage[BOARD_UART_RX_SIZE];
} lin_uart_t;

static lin_uart_t uarts[BOARD_UART_MAX];

static int connect_unix(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un addr;
	if (fd < 0)
		return -1;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void uart_write_raw(unsigned port, const void *data, size_t len);

/* the simulated clock's output on the modem port (IDLE, and what it held) */
static void modem_write_raw(const void *data, size_t len)
{
	uart_write_raw(BOARD_UART_MODEM, data, len);
}

int lin_uart_attach(unsigned port, const char *path)
{
	if (port >= BOARD_UART_MAX)
		return -1;
	int fd = connect_unix(path);
	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	uarts[port].in = uarts[port].out = fd;
	if (port == BOARD_UART_MODEM)
		sim_clock_attach_modem(fd, modem_write_raw);
	return 0;
}

int lin_uart_listen_tcp(unsigned port, unsigned tcp_port)
{
	if (port >= BOARD_UART_MAX || tcp_port == 0 || tcp_port > 65535)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)tcp_port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	uarts[port].listener = fd;
	return 0;
}

/* A listening UART without a peer takes the next connection. */
static void accept_peer(unsigned port)
{
	lin_uart_t *u = &uarts[port];
	int fd = accept(u->listener, NULL, NULL);
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	u->in = u->out = fd;
	u->eof = 0;
}

void uart_init(void)
{
	for (int i = 0; i < BOARD_UART_MAX; i++) {
		uarts[i].in = uarts[i].out = -1;
		uarts[i].listener = -1;
		ringbuf_init(&uarts[i].rx, uarts[i].storage, sizeof(uarts[i].storage));
	}
	uarts[0].in = 0;
	uarts[0].out = 1;
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
}

/* Moves what the OS has for this port into its ring. */
static void pump(unsigned port)
{
	lin_uart_t *u = &uarts[port];
	uint8_t raw[256], tapped[256 + SIM_CLOCK_TAP_SLACK], *buf = raw;
	if (u->in < 0 || u->eof)
		return;
	for (;;) {
		/* Take from the OS only what the ring can hold: the pipe or socket holds the rest
		 * (flow control), so nothing is lost however fast the sender writes. The modem port's
		 * clock tap may release up to SIM_CLOCK_TAP_SLACK bytes it held back. */
		size_t room = (size_t)u->rx.mask + 1 - ringbuf_count(&u->rx);
		if (port == BOARD_UART_MODEM)
			room = room > SIM_CLOCK_TAP_SLACK ? room - SIM_CLOCK_TAP_SLACK : 0;
		if (room == 0)
			break;
		ssize_t n = read(u->in, raw, room < sizeof(raw) ? room : sizeof(raw));
		if (n > 0 && port == BOARD_UART_MODEM) {
			n = (ssize_t)sim_clock_tap(raw, (size_t)n, tapped);
			buf = tapped;
			if (n == 0)
				continue;
		}
		if (n > 0) {
			size_t put = 0;
			while (put < (size_t)n && ringbuf_put(&u->rx, buf[put]))
				put++;
			u->dropped += (uint32_t)((size_t)n - put);
			if (put < (size_t)n)
				break;
			continue;
		}
		if (n == 0 && u->listener >= 0) {
			/* the far end hung up: the line is idle until the next connection */
			close(u->in);
			u->in = u->out = -1;
			break;
		}
		if (n == 0) {
			u->eof = 1;
			if (port == BOARD_UART_MODEM)
				sim_clock_modem_closed();   /* medium gone: real time again */
			if (port == BOARD_UART_CONSOLE && ringbuf_count(&u->rx) == 0)
				exit(0);   /* console closed: the simulated node powers off */
		}
		break;
	}
}

void board_uart_write(unsigned port, const void *data, size_t len)
{
	/* on the simulated clock, what a sleeping node sends waits for its next TIME */
	/* a RESET (SOF, type 0x04, length 0: sent whole by the driver) opens a new handshake */
	const uint8_t *b = data;
	if (port == BOARD_UART_MODEM && len == PLCM_HEADER + PLCM_CRC && b[0] == PLCM_SOF && b[1] == PLCM_RESET && b[2] == 0 && b[3] == 0)
		sim_clock_node_reset();
	if (port == BOARD_UART_MODEM && sim_clock_hold(data, len))
		return;
	uart_write_raw(port, data, len);
}

static void uart_write_raw(unsigned port, const void *data, size_t len)
{
	if (port >= BOARD_UART_MAX || uarts[port].out < 0)
		return;
	const uint8_t *p = data;
	while (len) {
		ssize_t n = write(uarts[port].out, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
		else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pfd = { uarts[port].out, POLLOUT, 0 };
			poll(&pfd, 1, 100);
		}
		else
			return;   /* peer gone: a UART with nothing attached */
	}
}

size_t board_uart_available(unsigned port)
{
	if (port >= BOARD_UART_MAX)
		return 0;
	pump(port);
	return ringbuf_count(&uarts[port].rx);
}

size_t board_uart_read(unsigned port, void *buf, size_t max)
{
	if (port >= BOARD_UART_MAX)
		return 0;
	return ringbuf_read(&uarts[port].rx, buf, max);
}

uint32_t board_uart_dropped(unsigned port)
{
	return port < BOARD_UART_MAX ? uarts[port].dropped : 0;
}

void board_idle(uint32_t max_ms)
{
	struct pollfd fds[BOARD_UART_MAX];
	int n = 0;
	for (int i = 0; i < BOARD_UART_MAX; i++) {
		int fd = uarts[i].in >= 0 && !uarts[i].eof ? uarts[i].in : uarts[i].in < 0 ? uarts[i].listener : -1;
		if (fd >= 0) {
			fds[n].fd = fd;
			fds[n].events = POLLIN;
			fds[n].revents = 0;
			n++;
		}
	}
	if (uarts[0].eof && ringbuf_count(&uarts[0].rx) == 0)
		exit(0);
	/* On the simulated clock, waiting does not bring a deadline closer: only the medium's next
	 * TIME (or other input) does. Wake now and then all the same, for the console's sake. */
	if (sim_clock_simulated())
		max_ms = 1000;
	sim_clock_poll();
	if (poll(fds, (nfds_t)n, (int)max_ms) > 0) {
		for (int i = 0; i < BOARD_UART_MAX; i++) {
			if (uarts[i].in < 0 && uarts[i].listener >= 0)
				accept_peer((unsigned)i);
			pump((unsigned)i);   /* notices end of input on the console too */
		}
	}
}
