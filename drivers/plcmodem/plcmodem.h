/* PLC modem port driver (emulator/medium/PROTOCOL.md, version 1): framing, resync with counted
 * drops, a bounded queue of received messages, and encoders for every node -> modem message.
 * Frame: SOF 0x7E | type u8 | length u16 BE | payload | CRC-32 BE (IEEE, over type..payload).
 * The parser is I/O-free (plcm_feed); xs_plcmodem.c binds it to the board's modem UART. */
#ifndef METERFW_PLCMODEM_H
#define METERFW_PLCMODEM_H

#include <stddef.h>
#include <stdint.h>

#define PLCM_SOF          0x7E
#define PLCM_VERSION      1
#define PLCM_HEADER       4      /* SOF, type, length */
#define PLCM_CRC          4

/* node -> modem */
#define PLCM_HELLO        0x01
#define PLCM_SET_ADDRESS  0x02
#define PLCM_DATA_REQUEST 0x03
#define PLCM_RESET        0x04
#define PLCM_IDLE         0x05
/* modem -> node */
#define PLCM_READY        0x80
#define PLCM_DATA_CONFIRM 0x81
#define PLCM_DATA_INDICATION 0x82
#define PLCM_TIME         0x83
#define PLCM_ERROR        0x8F

/* Largest MPDU the stack handles (G3 aMaxPHYPacketSize 400, FCS excluded). */
#ifndef PLCM_MAX_MPDU
#define PLCM_MAX_MPDU     400
#endif
/* Largest payload accepted from the modem: an indication header (10) and an MPDU. */
#define PLCM_MAX_PAYLOAD  (10 + PLCM_MAX_MPDU)
#define PLCM_MAX_FRAME    (PLCM_HEADER + PLCM_MAX_PAYLOAD + PLCM_CRC)
/* Received messages waiting for script; when full the parser stops reading (flow control). */
#ifndef PLCMODEM_QUEUE
#define PLCMODEM_QUEUE    8
#endif

typedef struct {
	uint8_t type;
	uint16_t length;
	uint8_t payload[PLCM_MAX_PAYLOAD];
} plcm_msg_t;

typedef struct {
	uint32_t frames;          /* accepted messages */
	uint32_t dropped_bytes;   /* every byte not part of an accepted frame */
	uint32_t bad_crc;
	uint32_t bad_length;
	uint32_t unknown_type;
	uint32_t sent;            /* messages sent to the modem */
} plcm_stats_t;

typedef struct {
	uint8_t buf[PLCM_MAX_FRAME];
	size_t fill;
	plcm_msg_t queue[PLCMODEM_QUEUE];
	unsigned head, count;
	plcm_stats_t stats;
} plcm_t;

/* Payload length bounds of a modem -> node message type: 1 and *min, *max set, or 0 when the
 * type is not one a node receives. A header is checked against them before its payload is
 * awaited (the driver's parser, and the lin host's clock tap, hosts/lin/simclock.c). */
int plcm_bounds(uint8_t type, size_t *min, size_t *max);

void plcm_init(plcm_t *m);
/* Parses up to len bytes; returns how many it consumed (fewer when the queue is full). */
size_t plcm_feed(plcm_t *m, const uint8_t *data, size_t len);
/* Bytes plcm_feed can take now without stalling (0 when the queue is full). */
size_t plcm_room(const plcm_t *m);
/* Oldest queued message, or NULL; plcm_pop releases it. */
const plcm_msg_t *plcm_peek(const plcm_t *m);
void plcm_pop(plcm_t *m);

/* Frames one message into out (PLCM_HEADER + len + PLCM_CRC bytes); returns that size, or 0. */
size_t plcm_encode(uint8_t type, const uint8_t *payload, size_t len, uint8_t *out, size_t out_size);

/* Payload builders for node -> modem messages (big-endian fields, PROTOCOL.md). */
size_t plcm_hello(uint8_t out[10], uint8_t kind, const uint8_t eui64[8]);
size_t plcm_set_address(uint8_t out[4], uint16_t pan, uint16_t short_addr);
size_t plcm_idle(uint8_t out[8], uint64_t until_us);
/* DATA_REQUEST header (13 bytes) before the frame; dst: 8 bytes, EUI-64 or short in the low 2. */
size_t plcm_data_request_header(uint8_t out[13], uint8_t handle, uint8_t modulation, uint8_t tone_map,
	uint8_t flags, uint8_t dst_mode, const uint8_t dst[8]);

/* Simulated clock (PROTOCOL.md "Simulated clock"): a host may set a hook that the driver calls
 * with every TIME(now) it parses, before script sees the message, e.g. to drive board_millis()
 * from the medium's clock; plcmodem_send_idle answers with IDLE(until). Both are no-ops for
 * boards, whose medium runs in real time. */
typedef void (*plcmodem_time_hook_t)(uint64_t now_us, void *context);
void plcmodem_set_time_hook(plcmodem_time_hook_t hook, void *context);
void plcmodem_send_idle(uint64_t until_us);

#endif
