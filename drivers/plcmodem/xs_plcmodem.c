/* XS binding of the PLC modem driver on the board's modem UART (BOARD_UART_MODEM, UART2).
 * Script (modules/generic/plcmodem.ts) calls poll() from the runtime's onReadable hook: bytes
 * move from the UART ring into the parser only while the message queue has room, so a slow
 * reader stalls the UART (flow control) instead of losing frames. take() hands out one message
 * as an ArrayBuffer: type byte, then the payload as on the wire. */
#include <stdlib.h>
#include <string.h>

#include "xs.h"
#include "xsruntime.h"
#include "board.h"
#include "plcmodem.h"
#include "crc.h"

static plcm_t *modem;   /* allocated on open: boards without the PLC stack pay nothing */

static plcm_t *state(xsMachine *the)
{
	if (!modem)
		xsUnknownError("plcmodem: not open");
	return modem;
}

/* Short control messages (at most 10 bytes of payload). */
static void send(uint8_t type, const uint8_t *payload, size_t len)
{
	uint8_t frame[PLCM_HEADER + 16 + PLCM_CRC];
	size_t n = plcm_encode(type, payload, len, frame, sizeof(frame));
	board_uart_write(BOARD_UART_MODEM, frame, n);
	if (modem)
		modem->stats.sent++;
}

void plcmodem_send_idle(uint64_t until_us)
{
	uint8_t p[8];
	send(PLCM_IDLE, p, plcm_idle(p, until_us));
}

void xs_plcmodem_open(xsMachine *the)
{
	if (!modem) {
		modem = malloc(sizeof(*modem));
		if (!modem)
			xsUnknownError("plcmodem: no memory");
	}
	plcm_init(modem);
}

/* () -> messages queued */
void xs_plcmodem_poll(xsMachine *the)
{
	plcm_t *m = state(the);
	uint8_t chunk[64];
	for (;;) {
		size_t room = plcm_room(m);
		size_t n = board_uart_available(BOARD_UART_MODEM);
		if (!room || !n)
			break;
		if (n > room) n = room;
		if (n > sizeof(chunk)) n = sizeof(chunk);
		n = board_uart_read(BOARD_UART_MODEM, chunk, n);
		if (!n)
			break;
		plcm_feed(m, chunk, n);
	}
	xsResult = xsInteger((xsIntegerValue)m->count);
}

/* () -> ArrayBuffer [type, payload...] | undefined */
void xs_plcmodem_take(xsMachine *the)
{
	plcm_t *m = state(the);
	const plcm_msg_t *msg = plcm_peek(m);
	if (!msg)
		return;
	xsResult = xsArrayBuffer(NULL, (xsIntegerValue)msg->length + 1);
	uint8_t *p = xsToArrayBuffer(xsResult);
	p[0] = msg->type;
	memcpy(p + 1, msg->payload, msg->length);
	plcm_pop(m);
}

static const uint8_t *bytes8(xsMachine *the, int i, const char *what)
{
	void *p;
	size_t n;
	runtime_buffer(the, &xsArg(i), &p, &n);
	if (n != 8)
		xsRangeError("%s: 8 bytes", what);
	return p;
}

static unsigned u8arg(xsMachine *the, int i, const char *what)
{
	xsIntegerValue v = xsToInteger(xsArg(i));
	if (v < 0 || v > 255)
		xsRangeError("%s: 0..255", what);
	return (unsigned)v;
}

/* (eui64, kind) */
void xs_plcmodem_hello(xsMachine *the)
{
	uint8_t p[10];
	state(the);
	unsigned kind = u8arg(the, 1, "kind");
	send(PLCM_HELLO, p, plcm_hello(p, (uint8_t)kind, bytes8(the, 0, "eui64")));
}

/* (panId, shortAddr) */
void xs_plcmodem_set_address(xsMachine *the)
{
	uint8_t p[4];
	state(the);
	xsIntegerValue pan = xsToInteger(xsArg(0)), sa = xsToInteger(xsArg(1));
	if (pan < 0 || pan > 0xFFFF || sa < 0 || sa > 0xFFFF)
		xsRangeError("address: 0..0xFFFF");
	send(PLCM_SET_ADDRESS, p, plcm_set_address(p, (uint16_t)pan, (uint16_t)sa));
}

/* (handle, modulation, toneMap, flags, dstMode, dst8, frame): DATA_REQUEST */
void xs_plcmodem_request(xsMachine *the)
{
	plcm_t *m = state(the);
	uint8_t head[13], crc_be[PLCM_CRC], frame_head[PLCM_HEADER];
	unsigned handle = u8arg(the, 0, "handle"), mod = u8arg(the, 1, "modulation"),
		tm = u8arg(the, 2, "toneMap"), flags = u8arg(the, 3, "flags"), mode = u8arg(the, 4, "dstMode");
	if (mod > 3 || (mode != 0 && mode != 2 && mode != 3))
		xsRangeError("plcmodem: modulation 0..3, dstMode 0, 2 or 3");
	plcm_data_request_header(head, (uint8_t)handle, (uint8_t)mod, (uint8_t)tm, (uint8_t)flags, (uint8_t)mode,
		bytes8(the, 5, "dst"));
	void *frame;
	size_t len;
	runtime_buffer(the, &xsArg(6), &frame, &len);
	if (len == 0 || len > PLCM_MAX_MPDU)
		xsRangeError("plcmodem: frame 1..%d bytes", PLCM_MAX_MPDU);
	/* header and CRC computed around the caller's bytes: no copy of the frame */
	size_t total = sizeof(head) + len;
	frame_head[0] = PLCM_SOF;
	frame_head[1] = PLCM_DATA_REQUEST;
	frame_head[2] = (uint8_t)(total >> 8);
	frame_head[3] = (uint8_t)total;
	uint32_t crc = crc32_ieee(0, frame_head + 1, 3);
	crc = crc32_ieee(crc, head, sizeof(head));
	crc = crc32_ieee(crc, frame, len);
	crc_be[0] = (uint8_t)(crc >> 24); crc_be[1] = (uint8_t)(crc >> 16);
	crc_be[2] = (uint8_t)(crc >> 8); crc_be[3] = (uint8_t)crc;
	board_uart_write(BOARD_UART_MODEM, frame_head, sizeof(frame_head));
	board_uart_write(BOARD_UART_MODEM, head, sizeof(head));
	board_uart_write(BOARD_UART_MODEM, frame, len);
	board_uart_write(BOARD_UART_MODEM, crc_be, sizeof(crc_be));
	m->stats.sent++;
}

void xs_plcmodem_reset(xsMachine *the)
{
	state(the);
	send(PLCM_RESET, NULL, 0);
}

/* (until us | -1 for none): IDLE, sim clock only */
void xs_plcmodem_idle(xsMachine *the)
{
	state(the);
	double t = xsToNumber(xsArg(0));
	plcmodem_send_idle(t < 0 ? UINT64_MAX : (uint64_t)t);
}

void xs_plcmodem_stats(xsMachine *the)
{
	plcm_t *m = state(the);
	xsResult = xsNewObject();
	xsSet(xsResult, xsID("frames"), xsNumber(m->stats.frames));
	xsSet(xsResult, xsID("sent"), xsNumber(m->stats.sent));
	xsSet(xsResult, xsID("droppedBytes"), xsNumber(m->stats.dropped_bytes));
	xsSet(xsResult, xsID("badCrc"), xsNumber(m->stats.bad_crc));
	xsSet(xsResult, xsID("badLength"), xsNumber(m->stats.bad_length));
	xsSet(xsResult, xsID("unknownType"), xsNumber(m->stats.unknown_type));
	xsSet(xsResult, xsID("uartDropped"), xsNumber(board_uart_dropped(BOARD_UART_MODEM)));
}
