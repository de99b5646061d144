/* libFuzzer harness: drivers/plcmodem (the modem-port framing and parser). The first byte
 * picks a chunk size (1..64) and whether the reader drains the queue; the rest is the byte
 * stream from the modem. Checks: every byte is either consumed or refused for flow control
 * only (queue full), the counters add up (accepted frames plus dropped bytes never exceed the
 * bytes fed), queued messages respect the type's length bounds, and a frame re-encoded from a
 * queued message passes the parser again unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plcmodem.h"

static plcm_t m, again;

static void check_msg(const plcm_msg_t *q)
{
	if (q->length > PLCM_MAX_PAYLOAD || !(q->type & 0x80))
		abort();
	static uint8_t frame[PLCM_MAX_FRAME];
	size_t n = plcm_encode(q->type, q->payload, q->length, frame, sizeof frame);
	if (n != PLCM_HEADER + q->length + PLCM_CRC)
		abort();
	plcm_init(&again);
	if (plcm_feed(&again, frame, n) != n)
		abort();
	const plcm_msg_t *r = plcm_peek(&again);
	if (!r || r->type != q->type || r->length != q->length || memcmp(r->payload, q->payload, q->length) ||
	    again.stats.dropped_bytes || again.fill)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (data[0] & 63) + 1;
	int drain = !(data[0] & 64);
	const uint8_t *p = data + 1;
	size_t n = size - 1, at = 0, accepted = 0;
	plcm_init(&m);
	while (at < n) {
		size_t k = n - at < chunk ? n - at : chunk;
		uint8_t *c = malloc(k);
		memcpy(c, p + at, k);
		size_t used = plcm_feed(&m, c, k);
		free(c);
		if (used > k)
			abort();
		if (used < k && plcm_room(&m))
			abort();                       /* refused bytes only when the queue is full */
		at += used;
		const plcm_msg_t *q;
		while ((q = plcm_peek(&m))) {
			check_msg(q);
			accepted += PLCM_HEADER + q->length + PLCM_CRC;
			if (!drain && m.count == PLCMODEM_QUEUE)
				break;
			plcm_pop(&m);
		}
		if (!drain && m.count == PLCMODEM_QUEUE && !plcm_room(&m))
			break;
	}
	if (m.fill > PLCM_MAX_FRAME || m.stats.dropped_bytes > at)
		abort();
	if (drain && accepted + m.stats.dropped_bytes + m.fill != at)
		abort();
	return 0;
}
