/* Linux host: time source and the medium's simulated clock (simclock.c). */
#ifndef LIN_SIMCLOCK_H
#define LIN_SIMCLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	const char *mode;       /* "real", "wait" or "sim" */
	uint32_t readies;       /* READY messages seen */
	uint32_t times;         /* TIME messages taken (the clock moved to them) */
	uint32_t idles;         /* IDLE messages sent */
	uint32_t ignored;       /* TIME outside the simulated clock */
	uint32_t bad_crc;       /* READY/TIME-shaped frames with a bad CRC (forwarded to the driver) */
	uint32_t resync;        /* headers rejected (unknown type, bad length): rescanned */
	uint32_t wait_expired;  /* no READY in time: real time resumed */
	uint32_t held;          /* modem writes held while asleep */
	uint32_t hold_overflow; /* writes sent at once because the hold buffer was full */
	uint32_t refused_ready; /* READY outside the handshake: not taken, not forwarded */
	uint32_t refused_time;  /* TIME backwards or beyond its bound: not taken */
} sim_clock_stats_t;

/* Without --sim-clock: no READY within this much wall time after the modem port is connected
 * (nothing behind the socket) and the node's time runs in real time. */
#define SIM_WAIT_LIMIT_MS 5000u

/* The farthest a TIME may move the clock past its current reading when the node announced no
 * later deadline (manifest platforms.lin defines; docs/port-control.md). */
#ifndef SIM_TIME_MAX_STEP_MS
#define SIM_TIME_MAX_STEP_MS 86400000u
#endif

void sim_clock_init(void);
/* Microseconds since reset on the current clock; never goes backwards. */
uint64_t sim_clock_us(void);
/* Writes bytes to the modem port as they are, past the hold (the host's UART, board.c). */
typedef void (*sim_clock_write_t)(const void *data, size_t len);
/* The modem port is connected (fd, written with write): time stands still until the medium's READY. */
void sim_clock_attach_modem(int fd, sim_clock_write_t write);
void sim_clock_modem_closed(void);
/* The node sent RESET on the modem port: the READY that answers it is expected. */
void sim_clock_node_reset(void);
int sim_clock_simulated(void);
/* --sim-clock: the medium runs the simulated clock; wait for its READY however long the host
 * takes to boot (no real-time fallback, which would make the node's clock depend on wall time). */
void sim_clock_wait_unlimited(void);
/* Called while idling: ends the wait for READY after its wall-time limit. */
void sim_clock_poll(void);
/* Filters n bytes received on the modem port into out (room for n + 18 bytes): returns the
 * count to hand to the driver. */
size_t sim_clock_tap(const uint8_t *in, size_t n, uint8_t *out);
#define SIM_CLOCK_TAP_SLACK 18
/* Everything due has run: answer the pending TIME with IDLE(deadline or none). */
void sim_clock_settled(int armed, uint32_t deadline_ms);
const sim_clock_stats_t *sim_clock_stats(void);
/* Modem port output while asleep on the simulated clock (between an IDLE, or the READY, and the
 * next TIME): held and sent when the next TIME wakes the node, so the medium only ever receives
 * requests from awake nodes (PROTOCOL.md: stamped with the TIME they follow). Returns 1 when held. */
int sim_clock_hold(const void *data, size_t len);

#endif
