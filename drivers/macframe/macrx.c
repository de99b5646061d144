/* G3-PLC MAC receive and transmit paths in one call each (see macrx.h). */
#include <string.h>

#include "macrx.h"
#include "crypto.h"

#define MAGIC 0x4D525831u   /* "MRX1" */
#define SHORT_BROADCAST 0xFFFFu
#define SHORT_NONE 0xFFFEu
#define PAN_BROADCAST 0xFFFFu
#define SEC_LEVEL_ENC_MIC_32 5u
#define KEY_ID_MODE_INDEX 1u
#define COMMAND_BEACON_REQUEST 0x07u
#define F_FC_VALID 0x01u

typedef struct {
	uint32_t magic, max_sources, buckets, max_length;
	uint32_t count, next_order, evicted, key_set;
	uint32_t drops[MACRX_D_COUNT];
	uint8_t key[MACRX_KEYS][16];
} head_t;

/* One source: the address it is known by (mac.ts macAddrKey), its last authentic frame counter,
 * last sequence number and when it was last heard (ms). */
typedef struct {
	uint8_t addr[8];        /* EUI-64 MSB first, or the short address in [0..1], rest 0 */
	uint32_t fc;
	uint32_t time_lo, time_hi;
	uint32_t order;         /* creation order: the eviction tie-break (Map insertion order) */
	uint16_t next;          /* next entry in the bucket's chain, index + 1; 0 ends it */
	uint8_t mode, flags, dsn, pad[3];
} source_t;

typedef struct {
	head_t *h;
	uint16_t *heads;
	source_t *src;
	unsigned capacity;
} view_t;

static size_t heads_bytes(unsigned buckets)
{
	return ((size_t)buckets * 2u + 3u) & ~(size_t)3u;
}

static unsigned buckets_for(unsigned max_sources)
{
	unsigned b = 8;
	while (b < max_sources / 2u && b < 0x8000u)
		b <<= 1;
	return b;
}

size_t macrx_state_size(unsigned max_sources, unsigned capacity)
{
	if (capacity > max_sources)
		capacity = max_sources;
	return sizeof(head_t) + heads_bytes(buckets_for(max_sources)) + (size_t)capacity * sizeof(source_t);
}

static int view_of(const void *state, size_t length, view_t *v)
{
	if (!state || ((uintptr_t)state & 3u) || length < sizeof(head_t))
		return 0;
	v->h = (head_t *)(uintptr_t)state;
	if (v->h->magic != MAGIC || v->h->max_sources == 0 || v->h->max_sources > MACRX_MAX_SOURCES ||
	    v->h->buckets != buckets_for(v->h->max_sources))
		return 0;
	size_t off = sizeof(head_t) + heads_bytes(v->h->buckets);
	if (length < off)
		return 0;
	size_t cap = (length - off) / sizeof(source_t);
	v->capacity = cap > v->h->max_sources ? v->h->max_sources : (unsigned)cap;
	if (v->h->count > v->capacity)
		return 0;
	v->heads = (uint16_t *)(void *)((uint8_t *)state + sizeof(head_t));
	v->src = (source_t *)(void *)((uint8_t *)state + off);
	return 1;
}

int macrx_init(void *state, size_t length, unsigned max_sources, unsigned max_length)
{
	if (!state || ((uintptr_t)state & 3u) || max_sources == 0 || max_sources > MACRX_MAX_SOURCES ||
	    length < macrx_state_size(max_sources, 0))
		return MACFRAME_E_PARAM;
	memset(state, 0, macrx_state_size(max_sources, 0));
	head_t *h = state;
	h->magic = MAGIC;
	h->max_sources = max_sources;
	h->buckets = buckets_for(max_sources);
	h->max_length = max_length == 0 || max_length > MACFRAME_MAX_LENGTH ? MACFRAME_MAX_LENGTH : max_length;
	return MACFRAME_OK;
}

int macrx_set_key(void *state, size_t length, unsigned index, const uint8_t *key)
{
	view_t v;
	if (!view_of(state, length, &v) || index >= MACRX_KEYS)
		return MACFRAME_E_PARAM;
	if (key) {
		memcpy(v.h->key[index], key, 16);
		v.h->key_set |= 1u << index;
	} else {
		memset(v.h->key[index], 0, 16);
		v.h->key_set &= ~(1u << index);
	}
	return MACFRAME_OK;
}

const uint32_t *macrx_drops(const void *state, size_t length)
{
	view_t v;
	return view_of(state, length, &v) ? v.h->drops : NULL;
}

unsigned macrx_sources(const void *state, size_t length)
{
	view_t v;
	return view_of(state, length, &v) ? v.h->count : 0;
}

int macrx_clear_sources(void *state, size_t length)
{
	view_t v;
	if (!view_of(state, length, &v))
		return MACFRAME_E_PARAM;
	memset(v.heads, 0, (size_t)v.h->buckets * 2u);
	v.h->count = 0;
	return MACFRAME_OK;
}

static unsigned hash(unsigned mode, const uint8_t addr[8], unsigned buckets)
{
	uint32_t x = 2166136261u ^ mode;
	for (int i = 0; i < 8; i++)
		x = (x ^ addr[i]) * 16777619u;
	return (x ^ (x >> 16)) & (buckets - 1u);
}

static source_t *find(view_t *v, unsigned mode, const uint8_t addr[8], unsigned *bucket)
{
	*bucket = hash(mode, addr, v->h->buckets);
	for (unsigned i = v->heads[*bucket]; i != 0; i = v->src[i - 1].next) {
		source_t *s = &v->src[i - 1];
		if (s->mode == mode && memcmp(s->addr, addr, 8) == 0)
			return s;
	}
	return NULL;
}

static void unlink_entry(view_t *v, unsigned index)
{
	source_t *s = &v->src[index];
	uint16_t *p = &v->heads[hash(s->mode, s->addr, v->h->buckets)];
	while (*p != 0 && *p != index + 1u)
		p = &v->src[*p - 1u].next;
	if (*p)
		*p = s->next;
}

static uint64_t time_of(const source_t *s)
{
	return ((uint64_t)s->time_hi << 32) | s->time_lo;
}

/* A new entry for (mode, addr), evicting the least recently heard at max_sources. */
static source_t *create(view_t *v, unsigned mode, const uint8_t addr[8], unsigned bucket, uint32_t *evicted)
{
	unsigned at;
	if (v->h->count < v->capacity)
		at = v->h->count++;
	else {
		at = 0;
		for (unsigned i = 1; i < v->h->count; i++) {
			uint64_t ti = time_of(&v->src[i]), ta = time_of(&v->src[at]);
			if (ti < ta || (ti == ta && v->src[i].order < v->src[at].order))
				at = i;
		}
		unlink_entry(v, at);
		v->h->evicted++;
		*evicted = 1;
		bucket = hash(mode, addr, v->h->buckets);
	}
	source_t *s = &v->src[at];
	memset(s, 0, sizeof *s);
	s->mode = (uint8_t)mode;
	memcpy(s->addr, addr, 8);
	s->order = v->h->next_order++;
	s->next = v->heads[bucket];
	v->heads[bucket] = (uint16_t)(at + 1u);
	return s;
}

static int drop(view_t *v, unsigned reason)
{
	v->h->drops[reason]++;
	return MACRX_DROP + (int)reason;
}

static int for_us(const macframe_t *f, const macrx_pib_t *p)
{
	if (p->promiscuous)
		return 1;
	if (f->dst_mode == MACFRAME_ADDR_NONE)
		return f->type == MACFRAME_BEACON;
	if (f->dst_pan != PAN_BROADCAST && f->dst_pan != p->pan)
		return 0;
	if (f->dst_mode == MACFRAME_ADDR_SHORT)
		return f->dst_short == SHORT_BROADCAST || (f->dst_short == p->short_addr && f->dst_short != SHORT_NONE);
	return memcmp(f->dst_ext, p->ext, 8) == 0;
}

/* The nonce's source address: the EUI-64, or PAN id || 00 ff fe 00 || short (mac-frame.ts). */
static void nonce_source(uint8_t out[8], unsigned mode, uint16_t short_addr, const uint8_t ext[8], unsigned pan)
{
	if (mode == MACFRAME_ADDR_EXT) {
		memcpy(out, ext, 8);
		return;
	}
	if (mode != MACFRAME_ADDR_SHORT)
		short_addr = SHORT_NONE;
	out[0] = (uint8_t)(pan >> 8);
	out[1] = (uint8_t)pan;
	out[2] = 0x00;
	out[3] = 0xFF;
	out[4] = 0xFE;
	out[5] = 0x00;
	out[6] = (uint8_t)(short_addr >> 8);
	out[7] = (uint8_t)short_addr;
}

int macrx_receive(void *state, size_t state_length, const macrx_pib_t *pib, uint64_t now,
                  uint8_t *frame, size_t length, uint32_t r[MACRX_R_COUNT], uint8_t ext_out[16])
{
	view_t v;
	macframe_t f;
	size_t at = 0;
	if (!view_of(state, state_length, &v))
		return -1;
	memset(r, 0, MACRX_R_COUNT * sizeof r[0]);
	if (v.h->count == v.capacity && v.capacity < v.h->max_sources)
		return MACRX_GROW;
	int e = macframe_decode(frame, length, 0, v.h->max_length, &f, &at);
	r[MACRX_R_REASON] = (uint32_t)e;
	r[MACRX_R_ERROR_AT] = (uint32_t)at;
	if (e == MACFRAME_E_TRUNCATED)
		return drop(&v, MACRX_D_TRUNCATED);
	if (e != MACFRAME_OK)
		return drop(&v, MACRX_D_MALFORMED);
	int secured = (f.flags & MACFRAME_F_SECURITY) != 0;
	r[MACRX_R_TYPE] = f.type;
	r[MACRX_R_SEQ] = f.seq;
	r[MACRX_R_SRC_MODE] = f.src_mode;
	r[MACRX_R_SRC_SHORT] = f.src_short;
	r[MACRX_R_SRC_PAN] = f.src_pan;
	r[MACRX_R_DST_MODE] = f.dst_mode;
	r[MACRX_R_DST_SHORT] = f.dst_short;
	r[MACRX_R_DST_PAN] = f.dst_pan;
	r[MACRX_R_LEVEL] = secured ? f.sec_level : 0;
	r[MACRX_R_KEY_ID_MODE] = f.key_id_mode;
	r[MACRX_R_KEY_INDEX] = f.key_index;
	r[MACRX_R_FRAME_COUNTER] = f.frame_counter;
	r[MACRX_R_PAYLOAD_OFFSET] = f.payload_offset;
	r[MACRX_R_PAYLOAD_LENGTH] = f.payload_length;
	memcpy(ext_out, f.dst_ext, 8);
	memcpy(ext_out + 8, f.src_ext, 8);
	if (f.type == MACFRAME_ACK)
		return MACRX_ACK;
	if (f.type == MACFRAME_COMMAND && !secured && f.payload_length == 1 && frame[f.payload_offset] == COMMAND_BEACON_REQUEST)
		return MACRX_BEACON_REQUEST;
	if (f.type == MACFRAME_BEACON)
		return f.src_mode == MACFRAME_ADDR_SHORT ? MACRX_BEACON : drop(&v, MACRX_D_MALFORMED);
	if (!for_us(&f, pib)) {
		v.h->drops[MACRX_D_NOT_FOR_US]++;
		return MACRX_DROP + MACRX_D_NOT_FOR_US;
	}
	uint8_t addr[8] = { 0 };
	if (f.src_mode == MACFRAME_ADDR_EXT)
		memcpy(addr, f.src_ext, 8);
	else if (f.src_mode == MACFRAME_ADDR_SHORT) {
		addr[0] = (uint8_t)f.src_short;
		addr[1] = (uint8_t)(f.src_short >> 8);
	}
	unsigned bucket;
	source_t *s = find(&v, f.src_mode, addr, &bucket);
	if (s && s->dsn == f.seq && (int64_t)(now - time_of(s)) < (int64_t)pib->dup_ttl_ms)
		return drop(&v, MACRX_D_DUPLICATE);
	if (secured) {
		if (f.sec_level != SEC_LEVEL_ENC_MIC_32 || f.key_id_mode != KEY_ID_MODE_INDEX)
			return drop(&v, MACRX_D_UNSUPPORTED);
		if (f.key_index >= MACRX_KEYS || !(v.h->key_set & (1u << f.key_index)))
			return drop(&v, MACRX_D_UNKNOWN_KEY);
		if (s && (s->flags & F_FC_VALID) && f.frame_counter <= s->fc) {
			r[MACRX_R_PREV_COUNTER] = s->fc;
			return drop(&v, MACRX_D_REPLAY);
		}
		if (f.frame_counter == 0xFFFFFFFFu)
			return drop(&v, MACRX_D_COUNTER_OVERFLOW);
		unsigned pan = f.src_mode ? f.src_pan : f.dst_mode ? f.dst_pan : pib->pan;
		uint8_t src8[8], nonce[CRYPTO_CCM_NONCE_LEN];
		nonce_source(src8, f.src_mode, f.src_short, f.src_ext, pan);
		crypto_ccm_nonce(nonce, src8, f.frame_counter, f.sec_level);
		if (crypto_ccm_star_open(v.h->key[f.key_index], nonce, f.sec_level, frame, f.header_length, f.payload_length,
		                         frame + f.payload_offset + f.payload_length) != CRYPTO_OK)
			return drop(&v, MACRX_D_MIC_FAILURE);
	}
	/* only an authentic (or deliberately unsecured) frame updates the source's state */
	if (!s)
		s = create(&v, f.src_mode, addr, bucket, &r[MACRX_R_EVICTED]);
	s->dsn = f.seq;
	s->time_lo = (uint32_t)now;
	s->time_hi = (uint32_t)(now >> 32);
	if (secured) {
		s->fc = f.frame_counter;
		s->flags |= F_FC_VALID;
	}
	return MACRX_DATA;
}

static void fill(const macrx_tx_t *tx, macframe_t *f)
{
	memset(f, 0, sizeof *f);
	f->type = MACFRAME_DATA;
	f->seq = tx->seq;
	f->dst_mode = tx->dst_mode;
	f->src_mode = tx->src_mode;
	f->dst_pan = f->src_pan = tx->dst_pan;
	f->dst_short = tx->dst_short;
	f->src_short = tx->src_short;
	memcpy(f->dst_ext, tx->dst_ext, 8);
	memcpy(f->src_ext, tx->src_ext, 8);
	f->flags = (uint8_t)((tx->ack_request ? MACFRAME_F_ACK_REQUEST : 0) |
	                     (tx->dst_mode && tx->src_mode ? MACFRAME_F_PAN_COMPRESSION : 0));
	if (tx->secure) {
		f->flags |= MACFRAME_F_SECURITY;
		f->version = 1;
		f->sec_level = SEC_LEVEL_ENC_MIC_32;
		f->key_id_mode = KEY_ID_MODE_INDEX;
		f->key_index = tx->key_index;
		f->frame_counter = tx->frame_counter;
	}
}

size_t macrx_tx_length(const macrx_tx_t *tx, size_t payload_length)
{
	macframe_t f;
	/* a source address needs a PAN id: without a destination there is none (mac-frame.ts) */
	if (tx->dst_mode == MACFRAME_ADDR_NONE || tx->dst_mode == 1 || tx->dst_mode > 3 || tx->src_mode == 1 || tx->src_mode > 3)
		return 0;
	fill(tx, &f);
	size_t h = macframe_header_length(&f);
	return h ? h + payload_length + (tx->secure ? macframe_mic_length(SEC_LEVEL_ENC_MIC_32) : 0) : 0;
}

int macrx_transmit(const void *state, size_t state_length, const macrx_tx_t *tx, const uint8_t *payload,
                   size_t payload_length, uint8_t *out, size_t capacity, size_t *written)
{
	view_t v;
	macframe_t f;
	*written = 0;
	size_t total = macrx_tx_length(tx, payload_length);
	if (!view_of(state, state_length, &v) || total == 0 || total > v.h->max_length)
		return MACFRAME_E_PARAM;
	if (tx->secure && (tx->key_index >= MACRX_KEYS || !(v.h->key_set & (1u << tx->key_index))))
		return MACFRAME_E_PARAM;
	if (total > capacity)
		return MACFRAME_E_SPACE;
	fill(tx, &f);
	size_t h = macframe_header_length(&f), m = total - h - payload_length;
	memset(out + h + payload_length, 0, m);
	int e = macframe_encode(&f, payload, payload_length, m ? out + h + payload_length : NULL, 0, v.h->max_length, out,
	                        capacity, written);
	if (e != MACFRAME_OK || !tx->secure)
		return e;
	uint8_t src8[8], nonce[CRYPTO_CCM_NONCE_LEN];
	nonce_source(src8, tx->src_mode, tx->src_short, tx->src_ext, tx->dst_pan);
	crypto_ccm_nonce(nonce, src8, tx->frame_counter, SEC_LEVEL_ENC_MIC_32);
	if (crypto_ccm_star_seal(v.h->key[tx->key_index], nonce, SEC_LEVEL_ENC_MIC_32, out, h, payload_length, out + h + payload_length) !=
	    CRYPTO_OK) {
		*written = 0;
		return MACFRAME_E_PARAM;
	}
	return MACFRAME_OK;
}
