/* PLC modem port: framing and parsing (PROTOCOL.md). No byte stuffing: a frame is found by its
 * SOF, its header is checked (known type, length within the type's bounds) before the payload
 * is awaited, and the CRC after; a rejected SOF is dropped alone and the search resumes at the
 * next byte, so a good frame that follows garbage is still found. */
#include "plcmodem.h"
#include "crc.h"

#include <string.h>

void plcm_init(plcm_t *m)
{
	memset(m, 0, sizeof(*m));
}

int plcm_bounds(uint8_t type, size_t *min, size_t *max)
{
	switch (type) {
	case PLCM_READY:           *min = 10; *max = 10; return 1;
	case PLCM_DATA_CONFIRM:    *min = 11; *max = 11; return 1;
	case PLCM_DATA_INDICATION: *min = 11; *max = PLCM_MAX_PAYLOAD; return 1;
	case PLCM_TIME:            *min = 8;  *max = 8;  return 1;
	case PLCM_ERROR:           *min = 1;  *max = 128; return 1;
	default: return 0;
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static plcmodem_time_hook_t time_hook;
static void *time_context;

void plcmodem_set_time_hook(plcmodem_time_hook_t hook, void *context)
{
	time_hook = hook;
	time_context = context;
}

static void shift(plcm_t *m, size_t n)
{
	memmove(m->buf, m->buf + n, m->fill - n);
	m->fill -= n;
}

static void reject(plcm_t *m, uint32_t *counter)
{
	if (counter)
		(*counter)++;
	m->stats.dropped_bytes++;
	shift(m, 1);
}

/* Takes every complete frame out of buf while the queue has room. */
static void parse(plcm_t *m)
{
	while (m->fill && m->count < PLCMODEM_QUEUE) {
		if (m->buf[0] != PLCM_SOF) {
			size_t skip = 1;
			while (skip < m->fill && m->buf[skip] != PLCM_SOF)
				skip++;
			m->stats.dropped_bytes += (uint32_t)skip;
			shift(m, skip);
			continue;
		}
		if (m->fill < PLCM_HEADER)
			return;
		size_t min, max, len = (size_t)m->buf[2] << 8 | m->buf[3];
		if (!plcm_bounds(m->buf[1], &min, &max)) {
			reject(m, &m->stats.unknown_type);
			continue;
		}
		if (len < min || len > max) {
			reject(m, &m->stats.bad_length);
			continue;
		}
		size_t total = PLCM_HEADER + len + PLCM_CRC;
		if (m->fill < total)
			return;
		if (crc32_ieee(0, m->buf + 1, 3 + len) != be32(m->buf + PLCM_HEADER + len)) {
			reject(m, &m->stats.bad_crc);
			continue;
		}
		if (m->buf[1] == PLCM_TIME && time_hook)
			time_hook(be64(m->buf + PLCM_HEADER), time_context);
		plcm_msg_t *q = &m->queue[(m->head + m->count) % PLCMODEM_QUEUE];
		q->type = m->buf[1];
		q->length = (uint16_t)len;
		memcpy(q->payload, m->buf + PLCM_HEADER, len);
		m->count++;
		m->stats.frames++;
		shift(m, total);
	}
}

size_t plcm_room(const plcm_t *m)
{
	return m->count < PLCMODEM_QUEUE ? sizeof(m->buf) - m->fill : 0;
}

size_t plcm_feed(plcm_t *m, const uint8_t *data, size_t len)
{
	size_t used = 0;
	while (used < len) {
		size_t room = plcm_room(m);
		if (!room)
			break;
		size_t n = len - used < room ? len - used : room;
		memcpy(m->buf + m->fill, data + used, n);
		m->fill += n;
		used += n;
		parse(m);
	}
	return used;
}

const plcm_msg_t *plcm_peek(const plcm_t *m)
{
	return m->count ? &m->queue[m->head] : NULL;
}

void plcm_pop(plcm_t *m)
{
	if (!m->count)
		return;
	m->head = (m->head + 1) % PLCMODEM_QUEUE;
	m->count--;
	parse(m);   /* frames that waited for room */
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

size_t plcm_encode(uint8_t type, const uint8_t *payload, size_t len, uint8_t *out, size_t out_size)
{
	if (len > 0xFFFF || out_size < PLCM_HEADER + len + PLCM_CRC)
		return 0;
	out[0] = PLCM_SOF;
	out[1] = type;
	put16(out + 2, (uint16_t)len);
	if (len)
		memcpy(out + PLCM_HEADER, payload, len);
	put32(out + PLCM_HEADER + len, crc32_ieee(0, out + 1, 3 + len));
	return PLCM_HEADER + len + PLCM_CRC;
}

size_t plcm_hello(uint8_t out[10], uint8_t kind, const uint8_t eui64[8])
{
	out[0] = PLCM_VERSION;
	out[1] = kind;
	memcpy(out + 2, eui64, 8);
	return 10;
}

size_t plcm_set_address(uint8_t out[4], uint16_t pan, uint16_t short_addr)
{
	put16(out, pan);
	put16(out + 2, short_addr);
	return 4;
}

size_t plcm_idle(uint8_t out[8], uint64_t until_us)
{
	put32(out, (uint32_t)(until_us >> 32));
	put32(out + 4, (uint32_t)until_us);
	return 8;
}

size_t plcm_data_request_header(uint8_t out[13], uint8_t handle, uint8_t modulation, uint8_t tone_map,
	uint8_t flags, uint8_t dst_mode, const uint8_t dst[8])
{
	out[0] = handle;
	out[1] = modulation;
	out[2] = tone_map;
	out[3] = flags;
	out[4] = dst_mode;
	memcpy(out + 5, dst, 8);
	return 13;
}
