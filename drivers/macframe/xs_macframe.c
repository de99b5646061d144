/* XS bindings of the MAC frame codec (drivers/macframe/macframe.ts), and the secured-frame hot
 * path: encode + CCM* seal, and CCM* open of a decoded frame, each in one call (drivers/crypto,
 * mbed TLS). A frame crosses as a flat Uint32Array of fields (order: MF_* below) plus a 24-byte
 * Uint8Array holding the destination EUI-64, the source EUI-64 and the key source (most
 * significant byte first). Codec failures are returned as reason numbers (macframe.h), never
 * thrown: the PLC part turns them into its DecodeError / EncodeError. A pointer from
 * runtime_buffer dies at the next allocation, so results are allocated first. */
#include <string.h>

#include "xs.h"
#include "xsruntime.h"
#include "macframe.h"
#include "crypto.h"

enum {
	MF_TYPE, MF_FLAGS, MF_VERSION, MF_SEQ, MF_DST_MODE, MF_SRC_MODE, MF_DST_PAN, MF_SRC_PAN,
	MF_DST_SHORT, MF_SRC_SHORT, MF_SEC_LEVEL, MF_KEY_ID_MODE, MF_KEY_INDEX, MF_FRAME_COUNTER,
	MF_HEADER_LENGTH, MF_PAYLOAD_OFFSET, MF_PAYLOAD_LENGTH, MF_MIC_LENGTH, MF_ERROR_AT,
	MF_FIELDS
};
#define MF_EXT_BYTES 24

typedef struct { uint8_t *p; size_t n; } bytes_t;

static bytes_t arg(xsMachine *the, int i, size_t min, const char *what)
{
	bytes_t b;
	void *p;
	runtime_buffer(the, &xsArg(i), &p, &b.n);
	b.p = p;
	if (b.n < min)
		xsRangeError("macframe: %s too short", what);
	return b;
}

static void fields_out(xsMachine *the, int i, const macframe_t *f, size_t error_at)
{
	uint32_t v[MF_FIELDS] = {
		f->type, f->flags, f->version, f->seq, f->dst_mode, f->src_mode, f->dst_pan, f->src_pan,
		f->dst_short, f->src_short, f->sec_level, f->key_id_mode, f->key_index, f->frame_counter,
		f->header_length, f->payload_offset, f->payload_length, f->mic_length, (uint32_t)error_at,
	};
	memcpy(arg(the, i, sizeof v, "fields").p, v, sizeof v);
	uint8_t *x = arg(the, i + 1, MF_EXT_BYTES, "ext").p;
	memcpy(x, f->dst_ext, 8);
	memcpy(x + 8, f->src_ext, 8);
	memcpy(x + 16, f->key_source, 8);
}

static void fields_in(xsMachine *the, int i, macframe_t *f)
{
	uint32_t v[MF_FIELDS];
	memcpy(v, arg(the, i, sizeof v, "fields").p, sizeof v);
	memset(f, 0, sizeof *f);
	/* every narrowing is checked: a value that does not fit is a parameter error */
	if (v[MF_TYPE] > 7 || v[MF_FLAGS] > 0x0F || v[MF_VERSION] > 3 || v[MF_SEQ] > 0xFF || v[MF_DST_MODE] > 3 ||
	    v[MF_SRC_MODE] > 3 || v[MF_DST_PAN] > 0xFFFF || v[MF_SRC_PAN] > 0xFFFF || v[MF_DST_SHORT] > 0xFFFF ||
	    v[MF_SRC_SHORT] > 0xFFFF || v[MF_SEC_LEVEL] > 7 || v[MF_KEY_ID_MODE] > 3 || v[MF_KEY_INDEX] > 0xFF)
		f->type = 0xFF;   /* macframe_header_length() refuses it */
	else {
		f->type = (uint8_t)v[MF_TYPE];
		f->flags = (uint8_t)v[MF_FLAGS];
		f->version = (uint8_t)v[MF_VERSION];
		f->seq = (uint8_t)v[MF_SEQ];
		f->dst_mode = (uint8_t)v[MF_DST_MODE];
		f->src_mode = (uint8_t)v[MF_SRC_MODE];
		f->dst_pan = (uint16_t)v[MF_DST_PAN];
		f->src_pan = (uint16_t)v[MF_SRC_PAN];
		f->dst_short = (uint16_t)v[MF_DST_SHORT];
		f->src_short = (uint16_t)v[MF_SRC_SHORT];
		f->sec_level = (uint8_t)v[MF_SEC_LEVEL];
		f->key_id_mode = (uint8_t)v[MF_KEY_ID_MODE];
		f->key_index = (uint8_t)v[MF_KEY_INDEX];
		f->frame_counter = v[MF_FRAME_COUNTER];
	}
	const uint8_t *x = arg(the, i + 1, MF_EXT_BYTES, "ext").p;
	memcpy(f->dst_ext, x, 8);
	memcpy(f->src_ext, x + 8, 8);
	memcpy(f->key_source, x + 16, 8);
}

static size_t max_arg(xsMachine *the, int i)
{
	xsIntegerValue m = xsToInteger(xsArg(i));
	return m > 0 && m <= MACFRAME_MAX_LENGTH ? (size_t)m : MACFRAME_MAX_LENGTH;
}

/* (frame, fields, ext, fcs, maxLength) -> reason; fills fields and ext */
void xs_macframe_decode(xsMachine *the)
{
	macframe_t f;
	size_t at = 0;
	bytes_t b = arg(the, 0, 0, "frame");
	int e = macframe_decode(b.p, b.n, xsToBoolean(xsArg(3)), max_arg(the, 4), &f, &at);
	fields_out(the, 1, &f, at);
	xsResult = xsInteger(e);
}

/* (fields, ext, payload, mic | undefined, fcs, maxLength) -> ArrayBuffer | reason */
void xs_macframe_encode(xsMachine *the)
{
	macframe_t f;
	size_t n, pl = arg(the, 2, 0, "payload").n;
	int fcs = xsToBoolean(xsArg(4));
	fields_in(the, 0, &f);
	size_t h = macframe_header_length(&f);
	size_t m = (f.flags & MACFRAME_F_SECURITY) ? macframe_mic_length(f.sec_level) : 0;
	if (m && (xsTypeOf(xsArg(3)) == xsUndefinedType || arg(the, 3, 0, "mic").n != m)) {
		xsResult = xsInteger(MACFRAME_E_PARAM);
		return;
	}
	if (h == 0 || h + pl + m > MACFRAME_MAX_LENGTH) {
		xsResult = xsInteger(MACFRAME_E_PARAM);
		return;
	}
	size_t cap = h + pl + m + (fcs ? 2 : 0);
	xsResult = xsArrayBuffer(NULL, (xsIntegerValue)cap);
	uint8_t *out = xsToArrayBuffer(xsResult);
	int e = macframe_encode(&f, arg(the, 2, 0, "payload").p, pl, m ? arg(the, 3, m, "mic").p : NULL, fcs,
	                        max_arg(the, 5), out, cap, &n);
	if (e != MACFRAME_OK)
		xsResult = xsInteger(e);
}

/* (fields, ext, key, nonceSource, payload, maxLength) -> ArrayBuffer | reason: the frame with its
 * payload encrypted and its MIC, CCM* with the nonce from nonceSource (8 bytes), the frame
 * counter and the level (802.15.4-2006 7.6.3.2); the MHR is the a data. */
void xs_macframe_seal(xsMachine *the)
{
	macframe_t f;
	size_t n, pl = arg(the, 4, 0, "payload").n;
	fields_in(the, 0, &f);
	size_t h = macframe_header_length(&f), m = macframe_mic_length(f.sec_level);
	if (h == 0 || !(f.flags & MACFRAME_F_SECURITY) || h + pl + m > MACFRAME_MAX_LENGTH) {
		xsResult = xsInteger(MACFRAME_E_PARAM);
		return;
	}
	xsResult = xsArrayBuffer(NULL, (xsIntegerValue)(h + pl + m));
	uint8_t *out = xsToArrayBuffer(xsResult);
	memset(out + h + pl, 0, m);
	int e = macframe_encode(&f, arg(the, 4, 0, "payload").p, pl, out + h + pl, 0, max_arg(the, 5), out, h + pl + m, &n);
	if (e != MACFRAME_OK) {
		xsResult = xsInteger(e);
		return;
	}
	uint8_t nonce[CRYPTO_CCM_NONCE_LEN];
	crypto_ccm_nonce(nonce, arg(the, 3, 8, "nonce source").p, f.frame_counter, f.sec_level);
	if (arg(the, 2, 0, "key").n != CRYPTO_KEY_LEN)
		xsRangeError("macframe: key is 16 bytes");
	if (crypto_ccm_star_seal(arg(the, 2, 16, "key").p, nonce, f.sec_level, out, h, pl, out + h + pl) != CRYPTO_OK)
		xsUnknownError("macframe: CCM* failed");
}

/* (frame, key, nonceSource, headerLength, level, frameCounter) -> plaintext ArrayBuffer |
 * undefined (MIC mismatch). headerLength and level come from a decode of the same frame. */
void xs_macframe_open(xsMachine *the)
{
	xsIntegerValue h = xsToInteger(xsArg(3)), level = xsToInteger(xsArg(4));
	double counter = xsToNumber(xsArg(5));
	bytes_t b = arg(the, 0, 0, "frame");
	if (level < 1 || level > 7 || h < 3 || (size_t)h + macframe_mic_length((unsigned)level) > b.n)
		xsRangeError("macframe: header, level or MIC out of the frame");
	if (!(counter >= 0 && counter <= 4294967295.0))
		xsRangeError("macframe: frame counter");
	uint32_t fc = (uint32_t)counter;
	if (arg(the, 1, 0, "key").n != CRYPTO_KEY_LEN)
		xsRangeError("macframe: key is 16 bytes");
	size_t m = macframe_mic_length((unsigned)level), pl = b.n - (size_t)h - m;
	xsResult = xsArrayBuffer(NULL, (xsIntegerValue)(b.n - m));
	uint8_t *work = xsToArrayBuffer(xsResult);
	b = arg(the, 0, 0, "frame");
	memcpy(work, b.p, b.n - m);
	uint8_t nonce[CRYPTO_CCM_NONCE_LEN];
	crypto_ccm_nonce(nonce, arg(the, 2, 8, "nonce source").p, fc, (unsigned)level);
	int ret = crypto_ccm_star_open(arg(the, 1, 16, "key").p, nonce, (unsigned)level, work, (size_t)h, pl, b.p + b.n - m);
	if (ret == CRYPTO_E_AUTH) {
		xsResult = xsUndefined;
		return;
	}
	if (ret != CRYPTO_OK)
		xsUnknownError("macframe: CCM* failed");
	memmove(work, work + h, pl);
	xsSetArrayBufferLength(xsResult, (xsIntegerValue)pl);
}
