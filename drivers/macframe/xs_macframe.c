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
#include "macrx.h"
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

/* ---- the receive and transmit paths in one call each (macrx.h) ----
 * The state is a script-owned ArrayBuffer (modules/plc/mac-native.ts MacRxTx): its pointer is
 * taken after the last allocation of a call and never kept. */

static double number_arg(xsMachine *the, int i, double max, const char *what)
{
	double d = xsToNumber(xsArg(i));
	if (!(d >= 0 && d <= max))
		xsRangeError("macrx: %s out of range", what);
	return d;
}

/* (maxSources, capacity) -> bytes of a state */
void xs_macrx_state_size(xsMachine *the)
{
	unsigned max = (unsigned)number_arg(the, 0, MACRX_MAX_SOURCES, "maxSources");
	unsigned cap = (unsigned)number_arg(the, 1, MACRX_MAX_SOURCES, "capacity");
	xsResult = xsInteger((xsIntegerValue)macrx_state_size(max, cap));
}

/* (state, maxSources, maxLength) -> reason */
void xs_macrx_init(xsMachine *the)
{
	unsigned max = (unsigned)number_arg(the, 1, MACRX_MAX_SOURCES, "maxSources");
	unsigned len = (unsigned)number_arg(the, 2, MACFRAME_MAX_LENGTH, "maxLength");
	bytes_t s = arg(the, 0, 0, "state");
	xsResult = xsInteger(macrx_init(s.p, s.n, max, len));
}

/* (state, index, key | undefined) -> reason */
void xs_macrx_set_key(xsMachine *the)
{
	unsigned index = (unsigned)number_arg(the, 1, 255, "key index");
	const uint8_t *key = NULL;
	if (xsTypeOf(xsArg(2)) != xsUndefinedType) {
		bytes_t k = arg(the, 2, 0, "key");
		if (k.n != CRYPTO_KEY_LEN)
			xsRangeError("macrx: key is 16 bytes");
		key = k.p;
	}
	bytes_t s = arg(the, 0, 0, "state");
	xsResult = xsInteger(macrx_set_key(s.p, s.n, index, key));
}

/* (state, out: Uint32Array of MACRX_D_COUNT + 2) -> reason: drops by reason, sources, evictions */
void xs_macrx_counters(xsMachine *the)
{
	bytes_t s = arg(the, 0, 0, "state");
	const uint32_t *d = macrx_drops(s.p, s.n);
	bytes_t o = arg(the, 1, (MACRX_D_COUNT + 1) * sizeof(uint32_t), "counters");
	if (!d) {
		xsResult = xsInteger(MACFRAME_E_PARAM);
		return;
	}
	uint32_t v[MACRX_D_COUNT + 1];
	memcpy(v, d, MACRX_D_COUNT * sizeof(uint32_t));
	v[MACRX_D_COUNT] = macrx_sources(s.p, s.n);
	memcpy(o.p, v, sizeof v);
	xsResult = xsInteger(MACFRAME_OK);
}

/* (state) -> reason */
void xs_macrx_clear(xsMachine *the)
{
	bytes_t s = arg(the, 0, 0, "state");
	xsResult = xsInteger(macrx_clear_sources(s.p, s.n));
}

/* (state, frame, result: Uint32Array(MACRX_R_COUNT), ext: Uint8Array(16), now, pan, short,
 *  ourExt: Uint8Array(8), promiscuous, dupTtl) -> status (macrx.h). The frame is decrypted in
 * place; nothing is allocated. */
void xs_macrx_receive(xsMachine *the)
{
	macrx_pib_t pib;
	double now = xsToNumber(xsArg(4));
	pib.pan = (uint16_t)xsToInteger(xsArg(5));
	pib.short_addr = (uint16_t)xsToInteger(xsArg(6));
	pib.promiscuous = (uint8_t)xsToBoolean(xsArg(8));
	double ttl = xsToNumber(xsArg(9));
	pib.dup_ttl_ms = ttl >= 4294967295.0 ? 0xFFFFFFFFu : ttl > 0 ? (uint32_t)ttl : 0;
	memcpy(pib.ext, arg(the, 7, 8, "our EUI-64").p, 8);
	bytes_t r = arg(the, 2, MACRX_R_COUNT * sizeof(uint32_t), "result");
	bytes_t x = arg(the, 3, 16, "ext");
	bytes_t f = arg(the, 1, 0, "frame");
	bytes_t s = arg(the, 0, 0, "state");
	uint32_t res[MACRX_R_COUNT];
	int st = macrx_receive(s.p, s.n, &pib, now > 0 && now < 9007199254740992.0 ? (uint64_t)now : 0, f.p, f.n, res, x.p);
	if (st < 0)
		xsRangeError("macrx: not a receive state");
	memcpy(r.p, res, sizeof res);
	xsResult = xsInteger(st);
}

static void address_arg(xsMachine *the, int i, int ext_i, uint8_t *mode, uint16_t *short_addr, uint8_t ext[8])
{
	xsIntegerValue a = xsToInteger(xsArg(i));
	if (a >= 0 && a <= 0xFFFF) {
		*mode = MACFRAME_ADDR_SHORT;
		*short_addr = (uint16_t)a;
	} else if (a == -1) {
		*mode = MACFRAME_ADDR_EXT;
		memcpy(ext, arg(the, ext_i, 8, "EUI-64").p, 8);
	} else
		*mode = MACFRAME_ADDR_NONE;
}

/* (state, payload, seq, dstPan, dst, dstExt, src, srcExt, flags, frameCounter, keyIndex) ->
 * ArrayBuffer | reason. dst/src: a short address, -1 for the EUI-64 in dstExt/srcExt, -2 for
 * none; flags: 1 ACK request, 2 secured (ENC-MIC-32, key id mode 1, the state's key). */
void xs_macrx_transmit(xsMachine *the)
{
	macrx_tx_t tx;
	memset(&tx, 0, sizeof tx);
	tx.seq = (uint8_t)xsToInteger(xsArg(2));
	tx.dst_pan = (uint16_t)xsToInteger(xsArg(3));
	address_arg(the, 4, 5, &tx.dst_mode, &tx.dst_short, tx.dst_ext);
	address_arg(the, 6, 7, &tx.src_mode, &tx.src_short, tx.src_ext);
	xsIntegerValue flags = xsToInteger(xsArg(8));
	tx.ack_request = (flags & 1) != 0;
	tx.secure = (flags & 2) != 0;
	tx.frame_counter = (uint32_t)number_arg(the, 9, 4294967295.0, "frame counter");
	tx.key_index = (uint8_t)number_arg(the, 10, 255, "key index");
	size_t n, total = macrx_tx_length(&tx, arg(the, 1, 0, "payload").n);
	if (total == 0 || total > MACFRAME_MAX_LENGTH) {
		xsResult = xsInteger(MACFRAME_E_PARAM);
		return;
	}
	xsResult = xsArrayBuffer(NULL, (xsIntegerValue)total);
	uint8_t *out = xsToArrayBuffer(xsResult);
	bytes_t p = arg(the, 1, 0, "payload");
	bytes_t s = arg(the, 0, 0, "state");
	int e = macrx_transmit(s.p, s.n, &tx, p.p, p.n, out, total, &n);
	if (e != MACFRAME_OK)
		xsResult = xsInteger(e);
}
