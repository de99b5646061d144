/* Linux host: the firmware's time source, and the simulated clock of the power-line medium.
 *
 * Three modes:
 *  - real:   time is the process's monotonic clock (the default, and what boards always do);
 *  - wait:   the modem port is connected but the medium has not said READY yet: time stands
 *            still (at 0 after boot), so that what a node does before it is attached does not
 *            depend on how long the host took to boot it. Without a READY within
 *            SIM_WAIT_LIMIT_MS of wall time (no medium behind the socket) time runs again,
 *            except with --sim-clock (the medium is known to run the simulated clock): then
 *            the node waits for READY however long a loaded host takes to boot it, since a
 *            node whose clock ran in real time before READY starts ahead of the network;
 *  - sim:    the medium said READY with simClock=1: time is the medium's. It moves only when a
 *            TIME(t) message arrives on the modem port; the event loop runs everything due at t
 *            (received frames, timers) and then reports its next deadline with
 *            board_settled(), which answers IDLE(deadline) to the medium (PROTOCOL.md).
 *
 * The modem port's receive stream passes through sim_clock_tap() on its way to the UART ring:
 * it reads READY messages (forwarded unchanged: the modem driver needs them too) and consumes
 * TIME messages, which belong to the host's clock and never reach the driver. The tap follows
 * frame boundaries (a header with a known type and a length within its bounds is skipped whole),
 * so bytes inside a received frame's payload are never taken for a TIME message. Everything
 * else is forwarded byte for byte in order.
 *
 * The port is not trusted to say only what the protocol allows (issue 16: a READY at any time
 * stopped a running meter's clock, TIME = 2^64-1 set it to garbage). A READY is taken only as
 * the answer of the handshake: once after the port is attached, once after each RESET the node
 * sends (PROTOCOL.md: RESET is answered by READY); any other READY is refused, counted and not
 * forwarded. A TIME is taken only on the simulated clock, never backwards, and never beyond the
 * deadline the node announced in its last IDLE or SIM_TIME_MAX_STEP_MS past its current time,
 * whichever is later (the medium wakes a node at its deadline or earlier, docs/port-control.md);
 * a refused TIME is counted, owes no IDLE and moves nothing. */
#define _GNU_SOURCE
#include "board.h"
#include "simclock.h"
#include "plcmodem.h"   /* the port's framing: one with the driver's (drivers/plcmodem) */
#include "crc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define TIME_NEVER UINT64_MAX

enum { MODE_REAL, MODE_WAIT, MODE_SIM };

static int mode = MODE_REAL;
static int wait_unlimited;      /* --sim-clock: no real-time fallback while waiting for READY */
static uint64_t base_us;        /* time at real_base (real mode), or the current time */
static uint64_t real_base;      /* monotonic us when base_us was taken */
static uint64_t wait_since;     /* monotonic us when wait mode started */
static int owe_idle;            /* a TIME was consumed and not yet answered */
static int handshake_open;      /* a READY is expected: the port was attached or the node sent RESET */
static uint64_t announced = TIME_NEVER; /* the deadline (us) of the last IDLE sent */
static int modem_fd = -1;
static sim_clock_write_t modem_write; /* the port's output, as it is (the host's UART) */
static sim_clock_stats_t stats;

/* output held while asleep */
#define SIM_HOLD_SIZE 4096
static uint8_t held[SIM_HOLD_SIZE];
static size_t held_len;

/* tap state */
static uint8_t head[PLCM_HEADER + 10 + PLCM_CRC]; /* the longest frame the tap keeps: READY */
static unsigned have;
static uint32_t skip;

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void sim_clock_init(void)
{
	real_base = mono_us();
	base_us = 0;
	mode = MODE_REAL;
}

uint64_t sim_clock_us(void)
{
	if (mode == MODE_REAL)
		return base_us + (mono_us() - real_base);
	return base_us;
}

/* Switch to real time, continuing from the current reading (never backwards). */
static void go_real(void)
{
	if (mode == MODE_REAL)
		return;
	base_us = sim_clock_us();
	real_base = mono_us();
	mode = MODE_REAL;
	owe_idle = 0;
}

void sim_clock_attach_modem(int fd, sim_clock_write_t write)
{
	modem_fd = fd;
	modem_write = write;
	/* attached at power-up, before the runtime starts: the node's time begins at 0 */
	base_us = 0;
	mode = MODE_WAIT;
	wait_since = mono_us();
	handshake_open = 1;
}

void sim_clock_node_reset(void)
{
	handshake_open = 1;
}

void sim_clock_modem_closed(void)
{
	modem_fd = -1;
	held_len = 0;
	go_real();
}

int sim_clock_simulated(void)
{
	return mode == MODE_SIM;
}

void sim_clock_wait_unlimited(void)
{
	wait_unlimited = 1;
}

void sim_clock_poll(void)
{
	if (mode == MODE_WAIT && !wait_unlimited && mono_us() - wait_since >= (uint64_t)SIM_WAIT_LIMIT_MS * 1000u) {
		stats.wait_expired++;
		go_real();
	}
}

const sim_clock_stats_t *sim_clock_stats(void)
{
	stats.mode = mode == MODE_SIM ? "sim" : mode == MODE_WAIT ? "wait" : "real";
	return &stats;
}

/* SYS CLOCK: the clock's mode and counters, one line. */
const char *board_clock_text(void)
{
	static char text[320];
	const sim_clock_stats_t *s = sim_clock_stats();
	snprintf(text, sizeof(text), "mode=%s readies=%u times=%u idles=%u ignored=%u badCrc=%u resync=%u "
		"waitExpired=%u held=%u holdOverflow=%u refusedReady=%u refusedTime=%u", s->mode,
		(unsigned)s->readies, (unsigned)s->times, (unsigned)s->idles, (unsigned)s->ignored,
		(unsigned)s->bad_crc, (unsigned)s->resync, (unsigned)s->wait_expired, (unsigned)s->held,
		(unsigned)s->hold_overflow, (unsigned)s->refused_ready, (unsigned)s->refused_time);
	return text;
}

#define SIM_EPOCH_S 1767225600u   /* 2026-01-01T00:00:00Z */

/* What SYS TIME added to the clock below (board_set_time_ms), ms. */
static int64_t time_offset_ms;

/* The host's own clock, us since 1970: the system's, or the simulated one */
static int64_t host_time_us(void)
{
	/* with --sim-clock the wait for READY is part of the simulated run: its date too (what the
	 * node draws from Date.now() while it boots must not depend on when it booted) */
	if (mode != MODE_SIM && !(mode == MODE_WAIT && wait_unlimited)) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	}
	return (int64_t)SIM_EPOCH_S * 1000000 + (int64_t)base_us;
}

int lin_gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	int64_t us = host_time_us() + time_offset_ms * 1000;
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
	return 0;
}

/* SYS TIME: Date reads now_ms from this moment on (the boards' equivalent is in syscalls.c). */
void board_set_time_ms(int64_t now_ms)
{
	time_offset_ms = now_ms - host_time_us() / 1000;
}

int64_t board_time_offset_ms(void)
{
	return time_offset_ms;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Returns 1 when the READY is the handshake's (then forwarded to the driver), 0 when refused. */
static int on_ready(const uint8_t *payload)
{
	uint64_t now = be64(payload + 2);
	if (!handshake_open) {
		stats.refused_ready++;
		return 0;
	}
	handshake_open = 0;
	stats.readies++;
	if (payload[1]) {
		/* simulated: the medium's time from now on; a node attached late starts at the
		 * run's current time, which is never behind ours (ours stood still) */
		if (mode != MODE_SIM) {
			uint64_t cur = sim_clock_us();
			base_us = now > cur ? now : cur;
		}
		mode = MODE_SIM;
	}
	else
		go_real();
	return 1;
}

static void on_time(const uint8_t *payload)
{
	uint64_t now = be64(payload);
	if (mode != MODE_SIM) {
		stats.ignored++;   /* TIME on a real-time medium: meaningless */
		return;
	}
	uint64_t step = (uint64_t)SIM_TIME_MAX_STEP_MS * 1000u;
	uint64_t limit = base_us > TIME_NEVER - step ? TIME_NEVER : base_us + step;
	if (announced != TIME_NEVER && announced > limit)
		limit = announced;
	if (now < base_us || now > limit) {
		stats.refused_time++;
		return;
	}
	stats.times++;
	base_us = now;
	owe_idle = 1;
	if (held_len) {
		modem_write(held, held_len);
		held_len = 0;
	}
}

int sim_clock_hold(const void *data, size_t len)
{
	if (mode != MODE_SIM || owe_idle || modem_fd < 0)
		return 0;
	if (len > SIM_HOLD_SIZE - held_len) {
		stats.hold_overflow++;
		/* keep the stream in order: what is held goes first */
		modem_write(held, held_len);
		held_len = 0;
		return 0;
	}
	memcpy(held + held_len, data, len);
	held_len += len;
	stats.held++;
	return 1;
}

/* One byte through the tap. A rejected header or a bad CRC gives the SOF to the driver and
 * scans the held bytes again from the byte after it, as the port decoders do (PROTOCOL.md), so
 * that a real message after garbage is still found; that rescan is at most 17 bytes deep. */
static void tap_byte(uint8_t b, uint8_t *out, size_t *o)
{
	if (skip) {
		out[(*o)++] = b;
		skip--;
		return;
	}
	if (have == 0) {
		if (b == PLCM_SOF)
			head[have++] = b;
		else
			out[(*o)++] = b;
		return;
	}
	head[have++] = b;
	if (have < 4)
		return;
	uint8_t type = head[1];
	size_t len = ((size_t)head[2] << 8) | head[3], min, max;
	if (have == PLCM_HEADER) {
		if (!plcm_bounds(type, &min, &max) || len < min || len > max) {
			stats.resync++;
			goto rescan;
		}
		if (type != PLCM_TIME && type != PLCM_READY) {
			/* not the clock's: forward, with the frame's body untouched */
			memcpy(out + *o, head, have);
			*o += have;
			have = 0;
			skip = (uint32_t)(len + PLCM_CRC);
		}
		return;
	}
	if (have < PLCM_HEADER + len + PLCM_CRC)
		return;
	const uint8_t *c = head + PLCM_HEADER + len;
	uint32_t crc = ((uint32_t)c[0] << 24) | ((uint32_t)c[1] << 16) | ((uint32_t)c[2] << 8) | c[3];
	if (crc32_ieee(0, head + 1, 3 + len) != crc) {
		stats.bad_crc++;
		goto rescan;
	}
	if (type == PLCM_TIME)
		on_time(head + PLCM_HEADER);   /* consumed: the clock's, not the driver's */
	else if (on_ready(head + PLCM_HEADER)) {
		memcpy(out + *o, head, have);
		*o += have;
	}
	have = 0;
	return;
rescan:
	{
		uint8_t again[sizeof(head)];
		unsigned n = have - 1;
		memcpy(again, head + 1, n);
		out[(*o)++] = head[0];
		have = 0;
		for (unsigned i = 0; i < n; i++)
			tap_byte(again[i], out, o);
	}
}

size_t sim_clock_tap(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		tap_byte(in[i], out, &o);
	return o;
}

void sim_clock_settled(int armed, uint32_t deadline_ms)
{
	uint8_t idle[8], frame[PLCM_HEADER + sizeof(idle) + PLCM_CRC];
	if (!owe_idle || modem_fd < 0)
		return;
	owe_idle = 0;
	/* The deadline is in board milliseconds, which are the medium's microseconds / 1000. */
	uint64_t until = armed ? (uint64_t)deadline_ms * 1000u : TIME_NEVER;
	/* PROTOCOL.md: a deadline not after the current time means the next microsecond */
	announced = !armed ? TIME_NEVER : until > base_us ? until : base_us + 1;
	size_t n = plcm_encode(PLCM_IDLE, idle, plcm_idle(idle, until), frame, sizeof(frame));
	modem_write(frame, n);
	stats.idles++;
}
