/* 802.15.4-2006 MAC frame codec, G3-PLC profile (see macframe.h). */
#include <string.h>

#include "macframe.h"
#include "crc.h"

/* Frame control field, 7.2.1.1 (16 bits, little-endian on the wire). */
#define FCF_TYPE_MASK      0x0007u  /* bits 0-2 */
#define FCF_SECURITY       0x0008u  /* bit 3 */
#define FCF_PENDING        0x0010u  /* bit 4 */
#define FCF_ACK_REQUEST    0x0020u  /* bit 5 */
#define FCF_PAN_COMPRESS   0x0040u  /* bit 6 */
#define FCF_DST_MODE_SHIFT 10       /* bits 10-11 */
#define FCF_VERSION_SHIFT  12       /* bits 12-13 */
#define FCF_SRC_MODE_SHIFT 14       /* bits 14-15 */
/* Security control, 7.6.2.2: bits 0-2 level, 3-4 key identifier mode, 5-7 reserved. */
#define SECCTL_LEVEL_MASK  0x07u
#define SECCTL_KEYID_SHIFT 3
#define SECCTL_RESERVED    0xE0u

static const char *const reason_names[MACFRAME_REASONS] = {
	"ok", "truncated", "tooLong", "type", "addrMode", "version", "panIdCompression", "noAddress",
	"ack", "secLevel", "secReserved", "secVersion", "fcs", "param", "space",
};

const char *macframe_reason_name(int reason)
{
	return reason >= 0 && reason < MACFRAME_REASONS ? reason_names[reason] : "?";
}

unsigned macframe_mic_length(unsigned level)
{
	static const uint8_t mic[4] = { 0, 4, 8, 16 };
	return mic[level & 3u];
}

/* Key source length by key identifier mode (table 96, the key index byte apart). */
static unsigned key_source_length(unsigned mode)
{
	return mode == 2 ? 4 : mode == 3 ? 8 : 0;
}

typedef struct { const uint8_t *p; size_t n, at; } reader_t;

#define NEED(r, k) do { if ((r)->n - (r)->at < (size_t)(k)) return MACFRAME_E_TRUNCATED; } while (0)

static uint16_t get16(reader_t *r)
{
	uint16_t v = (uint16_t)(r->p[r->at] | (r->p[r->at + 1] << 8));
	r->at += 2;
	return v;
}

/* EUI-64 on the wire least significant byte first; kept most significant first. */
static void get_ext(reader_t *r, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[7 - i] = r->p[r->at + i];
	r->at += 8;
}

static int read_address(reader_t *r, unsigned mode, uint16_t *short_addr, uint8_t ext[8])
{
	if (mode == MACFRAME_ADDR_SHORT) {
		NEED(r, 2);
		*short_addr = get16(r);
	} else if (mode == MACFRAME_ADDR_EXT) {
		NEED(r, 8);
		get_ext(r, ext);
	}
	return MACFRAME_OK;
}

static int decode_body(reader_t *r, macframe_t *f)
{
	int e;
	NEED(r, 2);
	unsigned fcf = get16(r);
	unsigned type = fcf & FCF_TYPE_MASK;
	unsigned dm = (fcf >> FCF_DST_MODE_SHIFT) & 3u, sm = (fcf >> FCF_SRC_MODE_SHIFT) & 3u;
	unsigned version = (fcf >> FCF_VERSION_SHIFT) & 3u;
	r->at = 0;   /* the FCF's own faults are reported at offset 0 (1 for the version) */
	if (type > MACFRAME_COMMAND)
		return MACFRAME_E_TYPE;
	if (dm == 1 || sm == 1)
		return MACFRAME_E_ADDR_MODE;
	if (version > 1) {
		r->at = 1;
		return MACFRAME_E_VERSION;
	}
	if ((fcf & FCF_PAN_COMPRESS) && (dm == 0 || sm == 0))
		return MACFRAME_E_PAN_COMPRESSION;
	if ((fcf & FCF_SECURITY) && version == 0)
		return MACFRAME_E_SEC_VERSION;
	r->at = 2;
	f->type = (uint8_t)type;
	f->version = (uint8_t)version;
	f->flags = (uint8_t)(((fcf & FCF_SECURITY) ? MACFRAME_F_SECURITY : 0) | ((fcf & FCF_PENDING) ? MACFRAME_F_PENDING : 0) |
	                     ((fcf & FCF_ACK_REQUEST) ? MACFRAME_F_ACK_REQUEST : 0) | ((fcf & FCF_PAN_COMPRESS) ? MACFRAME_F_PAN_COMPRESSION : 0));
	f->dst_mode = (uint8_t)dm;
	f->src_mode = (uint8_t)sm;
	NEED(r, 1);
	f->seq = r->p[r->at++];
	if (type == MACFRAME_ACK) {
		r->at = 0;
		if (dm || sm || (fcf & FCF_SECURITY))
			return MACFRAME_E_ACK;
		r->at = 3;
		if (r->n != 3)
			return MACFRAME_E_ACK;
		f->header_length = f->payload_offset = 3;
		return MACFRAME_OK;
	}
	if (dm) {
		NEED(r, 2);
		f->dst_pan = get16(r);
		if ((e = read_address(r, dm, &f->dst_short, f->dst_ext)) != MACFRAME_OK)
			return e;
	}
	if (sm) {
		if (fcf & FCF_PAN_COMPRESS)
			f->src_pan = f->dst_pan;
		else {
			NEED(r, 2);
			f->src_pan = get16(r);
		}
		if ((e = read_address(r, sm, &f->src_short, f->src_ext)) != MACFRAME_OK)
			return e;
	}
	if (!dm && !sm && type == MACFRAME_DATA) {
		r->at = 0;
		return MACFRAME_E_NO_ADDRESS;
	}
	if (fcf & FCF_SECURITY) {
		size_t at = r->at;
		NEED(r, 1);
		unsigned sc = r->p[r->at++];
		f->sec_level = (uint8_t)(sc & SECCTL_LEVEL_MASK);
		f->key_id_mode = (uint8_t)((sc >> SECCTL_KEYID_SHIFT) & 3u);
		if (f->sec_level == 0) {
			r->at = at;
			return MACFRAME_E_SEC_LEVEL;
		}
		if (sc & SECCTL_RESERVED) {
			r->at = at;
			return MACFRAME_E_SEC_RESERVED;
		}
		NEED(r, 4);
		f->frame_counter = (uint32_t)r->p[r->at] | ((uint32_t)r->p[r->at + 1] << 8) |
		                   ((uint32_t)r->p[r->at + 2] << 16) | ((uint32_t)r->p[r->at + 3] << 24);
		r->at += 4;
		f->key_source_len = (uint8_t)key_source_length(f->key_id_mode);
		NEED(r, f->key_source_len);
		memcpy(f->key_source, r->p + r->at, f->key_source_len);
		r->at += f->key_source_len;
		if (f->key_id_mode) {
			NEED(r, 1);
			f->key_index = r->p[r->at++];
		}
		f->mic_length = (uint16_t)macframe_mic_length(f->sec_level);
	}
	f->header_length = (uint16_t)r->at;
	NEED(r, f->mic_length);
	f->payload_offset = (uint16_t)r->at;
	f->payload_length = (uint16_t)(r->n - r->at - f->mic_length);
	return MACFRAME_OK;
}

int macframe_decode(const uint8_t *frame, size_t length, int fcs, size_t max_length,
                    macframe_t *out, size_t *error_at)
{
	reader_t r = { frame, length, 0 };
	int e = MACFRAME_OK;
	memset(out, 0, sizeof *out);
	if (max_length == 0 || max_length > MACFRAME_MAX_LENGTH)
		max_length = MACFRAME_MAX_LENGTH;
	if (fcs) {
		if (length < 2)
			e = MACFRAME_E_TRUNCATED;
		else {
			r.n = length - 2;
			if (r.n > max_length)
				e = MACFRAME_E_TOO_LONG;
			else if (crc16_kermit(0, frame, r.n) != (uint16_t)(frame[r.n] | (frame[r.n + 1] << 8))) {
				r.at = r.n;
				e = MACFRAME_E_FCS;
			}
		}
	} else if (length > max_length)
		e = MACFRAME_E_TOO_LONG;
	if (e == MACFRAME_OK)
		e = decode_body(&r, out);
	if (error_at)
		*error_at = r.at;
	return e;
}

size_t macframe_header_length(const macframe_t *f)
{
	size_t n = 3;
	unsigned dm = f->dst_mode, sm = f->src_mode;
	if (f->type > MACFRAME_COMMAND || dm == 1 || dm > 3 || sm == 1 || sm > 3 || f->version > 1)
		return 0;
	if ((f->flags & MACFRAME_F_PAN_COMPRESSION) && (!dm || !sm))
		return 0;
	if (f->type == MACFRAME_ACK && (dm || sm || (f->flags & MACFRAME_F_SECURITY)))
		return 0;
	if (dm)
		n += 2 + (dm == MACFRAME_ADDR_SHORT ? 2 : 8);
	if (sm)
		n += ((f->flags & MACFRAME_F_PAN_COMPRESSION) ? 0 : 2) + (sm == MACFRAME_ADDR_SHORT ? 2 : 8);
	if (f->flags & MACFRAME_F_SECURITY) {
		if (f->sec_level == 0 || f->sec_level > 7 || f->key_id_mode > 3 || f->version == 0)
			return 0;
		n += 5 + key_source_length(f->key_id_mode) + (f->key_id_mode ? 1 : 0);
	}
	return n;
}

static uint8_t *put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put_address(uint8_t *p, unsigned mode, uint16_t short_addr, const uint8_t ext[8])
{
	if (mode == MACFRAME_ADDR_SHORT)
		return put16(p, short_addr);
	for (int i = 0; i < 8; i++)
		p[i] = ext[7 - i];
	return p + 8;
}

int macframe_encode(const macframe_t *f, const uint8_t *payload, size_t payload_length,
                    const uint8_t *mic, int fcs, size_t max_length,
                    uint8_t *out, size_t capacity, size_t *length)
{
	size_t h = macframe_header_length(f);
	size_t m = (f->flags & MACFRAME_F_SECURITY) ? macframe_mic_length(f->sec_level) : 0;
	if (max_length == 0 || max_length > MACFRAME_MAX_LENGTH)
		max_length = MACFRAME_MAX_LENGTH;
	*length = 0;
	if (h == 0 || (m && !mic) || (payload_length && !payload) || (f->type == MACFRAME_ACK && payload_length))
		return MACFRAME_E_PARAM;
	if (f->type == MACFRAME_DATA && !f->dst_mode && !f->src_mode)
		return MACFRAME_E_PARAM;
	size_t total = h + payload_length + m;
	if (total > max_length)
		return MACFRAME_E_PARAM;
	if (total + (fcs ? 2 : 0) > capacity)
		return MACFRAME_E_SPACE;
	/* the payload first: it may already sit in place, or overlap where the header goes */
	memmove(out + h, payload, payload_length);
	unsigned fcf = f->type | ((unsigned)f->dst_mode << FCF_DST_MODE_SHIFT) | ((unsigned)f->src_mode << FCF_SRC_MODE_SHIFT) |
	               ((unsigned)f->version << FCF_VERSION_SHIFT);
	if (f->flags & MACFRAME_F_SECURITY) fcf |= FCF_SECURITY;
	if (f->flags & MACFRAME_F_PENDING) fcf |= FCF_PENDING;
	if (f->flags & MACFRAME_F_ACK_REQUEST) fcf |= FCF_ACK_REQUEST;
	if (f->flags & MACFRAME_F_PAN_COMPRESSION) fcf |= FCF_PAN_COMPRESS;
	uint8_t *p = put16(out, fcf);
	*p++ = f->seq;
	if (f->dst_mode) {
		p = put16(p, f->dst_pan);
		p = put_address(p, f->dst_mode, f->dst_short, f->dst_ext);
	}
	if (f->src_mode) {
		if (!(f->flags & MACFRAME_F_PAN_COMPRESSION))
			p = put16(p, f->src_pan);
		p = put_address(p, f->src_mode, f->src_short, f->src_ext);
	}
	if (f->flags & MACFRAME_F_SECURITY) {
		*p++ = (uint8_t)(f->sec_level | (f->key_id_mode << SECCTL_KEYID_SHIFT));
		p = put16(put16(p, f->frame_counter & 0xFFFFu), f->frame_counter >> 16);
		memcpy(p, f->key_source, key_source_length(f->key_id_mode));
		p += key_source_length(f->key_id_mode);
		if (f->key_id_mode)
			*p++ = f->key_index;
	}
	if (m)
		memmove(out + h + payload_length, mic, m);
	if (fcs)
		put16(out + total, crc16_kermit(0, out, total));
	*length = total + (fcs ? 2 : 0);
	return MACFRAME_OK;
}
