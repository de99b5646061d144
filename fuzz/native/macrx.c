/* libFuzzer harness: drivers/macframe/macrx.c, the one-call MAC receive and transmit paths (with
 * macframe.c and the CCM* of drivers/crypto over mbed TLS). The first input byte picks the table
 * bound (1..8 sources), which GMKs are set and promiscuous mode; then frames follow, each as a
 * length byte and that many bytes (the last one takes what is left), each received at a later
 * millisecond. Every receive answers a known status; a delivered payload lies inside the frame;
 * the table grows to its bound and no further; the drop counters add up to the drops answered.
 * Every delivered payload is sent again through macrx_transmit (secured, key 0) to a second
 * state, which must deliver it unchanged. The state grows into exact-size copies, so ASan
 * catches a read past it; each frame is an exact-size copy too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macrx.h"

static const uint8_t KEY0[16] = { 0xAF, 0x4D, 0x6D, 0xCC, 0xF1, 0xFE, 0x1B, 0xBC, 0x3A, 0xD6, 0xC8, 0xB4, 0xC8, 0x00, 0x0A, 0x01 };
static const uint8_t KEY1[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF };

typedef struct {
	uint32_t *p;
	size_t len;
	unsigned capacity, max;
} st_t;

static void st_new(st_t *s, unsigned max)
{
	s->max = max;
	s->capacity = 1;
	s->len = macrx_state_size(max, 1);
	s->p = malloc(s->len);
	if (macrx_init(s->p, s->len, max, 0) != MACFRAME_OK)
		abort();
}

static void st_grow(st_t *s)
{
	if (s->capacity >= s->max)
		abort();   /* GROW at the bound */
	s->capacity = s->capacity * 2 > s->max ? s->max : s->capacity * 2;
	size_t len = macrx_state_size(s->max, s->capacity);
	uint32_t *n = malloc(len);
	memcpy(n, s->p, s->len);
	free(s->p);
	s->p = n;
	s->len = len;
}

static int receive(st_t *s, const macrx_pib_t *pib, uint64_t now, uint8_t *f, size_t n, uint32_t *r, uint8_t *ext)
{
	int st;
	while ((st = macrx_receive(s->p, s->len, pib, now, f, n, r, ext)) == MACRX_GROW)
		st_grow(s);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned cfg = data[0];
	st_t rx, back;
	st_new(&rx, 1 + (cfg & 7));
	st_new(&back, 4);
	if (cfg & 0x08)
		macrx_set_key(rx.p, rx.len, 0, KEY0);
	if (cfg & 0x10)
		macrx_set_key(rx.p, rx.len, 1, KEY1);
	macrx_set_key(back.p, back.len, 0, KEY0);
	macrx_pib_t pib = { .pan = 0x781D, .short_addr = 0x0002, .ext = { 1, 2, 3, 4, 5, 6, 7, 8 }, .promiscuous = (cfg & 0x20) != 0,
	                    .dup_ttl_ms = 5000 };
	macrx_pib_t pib_back = pib;
	pib_back.dup_ttl_ms = 0;
	uint32_t dropped = 0, sent = 0;
	uint64_t now = 1;
	size_t at = 1;
	while (at < size) {
		size_t n = data[at++];
		if (n > size - at)
			n = size - at;
		uint8_t *f = malloc(n ? n : 1);
		memcpy(f, data + at, n);
		at += n;
		uint32_t r[MACRX_R_COUNT];
		uint8_t ext[16];
		int st = receive(&rx, &pib, now++, f, n, r, ext);
		if (st >= MACRX_DROP) {
			if (st >= MACRX_DROP + MACRX_D_COUNT)
				abort();
			dropped++;
		} else if (st != MACRX_DATA && st != MACRX_ACK && st != MACRX_BEACON_REQUEST && st != MACRX_BEACON)
			abort();
		if ((st == MACRX_DATA || st == MACRX_BEACON) && (size_t)r[MACRX_R_PAYLOAD_OFFSET] + r[MACRX_R_PAYLOAD_LENGTH] > n)
			abort();
		if (macrx_sources(rx.p, rx.len) > rx.max)
			abort();
		if (st == MACRX_DATA) {
			/* the payload again, through the transmit path, to the second state */
			macrx_tx_t tx = { .seq = (uint8_t)sent, .dst_mode = MACFRAME_ADDR_SHORT, .src_mode = MACFRAME_ADDR_SHORT,
			                  .ack_request = 1, .secure = 1, .key_index = 0, .dst_pan = 0x781D, .dst_short = 0x0002,
			                  .src_short = (uint16_t)(r[MACRX_R_SRC_SHORT] & 0x0FFF), .frame_counter = sent };
			size_t pl = r[MACRX_R_PAYLOAD_LENGTH], want = macrx_tx_length(&tx, pl), len = 0;
			if (want == 0)
				abort();
			uint8_t *out = malloc(want);
			int e = macrx_transmit(back.p, back.len, &tx, f + r[MACRX_R_PAYLOAD_OFFSET], pl, out, want, &len);
			if (want > MACFRAME_MAX_LENGTH) {
				if (e != MACFRAME_E_PARAM)
					abort();
			} else {
				if (e != MACFRAME_OK || len != want)
					abort();
				uint32_t r2[MACRX_R_COUNT];
				uint8_t ext2[16];
				if (receive(&back, &pib_back, sent + 1, out, len, r2, ext2) != MACRX_DATA || r2[MACRX_R_PAYLOAD_LENGTH] != pl ||
				    memcmp(out + r2[MACRX_R_PAYLOAD_OFFSET], f + r[MACRX_R_PAYLOAD_OFFSET], pl) != 0)
					abort();
			}
			sent++;
			free(out);
		}
		free(f);
	}
	const uint32_t *d = macrx_drops(rx.p, rx.len);
	uint32_t sum = 0;
	for (int i = 0; i < MACRX_D_COUNT; i++)
		sum += d[i];
	if (sum != dropped)
		abort();
	free(rx.p);
	free(back.p);
	return 0;
}
