/* The G3-PLC MAC receive and transmit paths in one call each (ITU-T G.9903 clause 9 over
 * IEEE 802.15.4-2006): what modules/plc/mac.ts does per frame with the TypeScript codec, done
 * here without building a frame object.
 *
 * Receive: decode (macframe.c), then the MAC layer's checks in its order: ACK, beacon request and
 * beacon are handed back; then destination filter, duplicate (source, sequence number) within the
 * duplicate window, security level and key id mode (ENC-MIC-32, mode 1 only), key, replay (frame
 * counter not above the last authentic one from that source), counter overflow, CCM* open in place
 * (drivers/crypto, mbed TLS); only an authentic (or unsecured) frame updates the source's state.
 * The result is a status and a few integers; the payload stays in the caller's buffer.
 *
 * Transmit: MHR + payload + CCM* seal (or the MHR + payload unsecured) into the caller's buffer.
 *
 * State (keys, drop counters, the per-source table of frame counters and sequence numbers) lives
 * in one caller-owned buffer, 4-byte aligned: a header, a hash index and up to max_sources
 * entries. The caller may hand a longer copy of the same buffer later (the table grows in place,
 * entries keep their index): capacity = what fits, at most max_sources (the manifest bound). When
 * the table is full below that bound, macrx_receive returns MACRX_GROW before touching anything.
 * At max_sources the least recently heard source is evicted (ties: the oldest entry), as mac.ts. */
#ifndef METERFW_MACRX_H
#define METERFW_MACRX_H

#include <stddef.h>
#include <stdint.h>

#include "macframe.h"

/* Statuses of macrx_receive. Drops are MACRX_DROP + reason. */
#define MACRX_DATA           0   /* deliver: for us, new, authentic (or unsecured) */
#define MACRX_ACK            1   /* an ACK: the real-time MAC's business */
#define MACRX_BEACON_REQUEST 2
#define MACRX_BEACON         3   /* src short and PAN in the result, payload in place */
#define MACRX_GROW           4   /* the table is full below max_sources: grow the state, call again */
#define MACRX_DROP        0x10

/* Drop reasons: the order of MacDropReason (modules/plc/mac.ts). */
#define MACRX_D_MALFORMED      0
#define MACRX_D_TRUNCATED      1
#define MACRX_D_NOT_FOR_US     2
#define MACRX_D_WRONG_PAN      3
#define MACRX_D_DUPLICATE      4
#define MACRX_D_REPLAY         5
#define MACRX_D_MIC_FAILURE    6
#define MACRX_D_UNKNOWN_KEY    7
#define MACRX_D_UNSUPPORTED    8
#define MACRX_D_COUNTER_OVERFLOW 9
#define MACRX_D_COUNT         10

/* Result fields (a uint32_t array; the XS binding hands it as a Uint32Array). */
enum {
	MACRX_R_TYPE, MACRX_R_SEQ, MACRX_R_SRC_MODE, MACRX_R_SRC_SHORT, MACRX_R_SRC_PAN,
	MACRX_R_DST_MODE, MACRX_R_DST_SHORT, MACRX_R_DST_PAN, MACRX_R_LEVEL, MACRX_R_KEY_ID_MODE,
	MACRX_R_KEY_INDEX, MACRX_R_FRAME_COUNTER, MACRX_R_PREV_COUNTER, MACRX_R_PAYLOAD_OFFSET,
	MACRX_R_PAYLOAD_LENGTH, MACRX_R_REASON, MACRX_R_ERROR_AT, MACRX_R_EVICTED,
	MACRX_R_COUNT
};

#define MACRX_KEYS 2           /* G3 GMK index 0 and 1 */
#define MACRX_MAX_SOURCES 0xFFFE

/* The PIB values the receive filter reads (G.9903 MAC PIB). */
typedef struct {
	uint16_t pan, short_addr;
	uint8_t ext[8];               /* most significant byte first */
	uint8_t promiscuous;
	uint32_t dup_ttl_ms;          /* macDuplicateDetectionTTL */
} macrx_pib_t;

/* One frame to send: a data frame from us, PAN id compression when both addresses are present. */
typedef struct {
	uint8_t seq, dst_mode, src_mode, ack_request, secure, key_index;
	uint16_t dst_pan, dst_short, src_short;
	uint8_t dst_ext[8], src_ext[8];
	uint32_t frame_counter;
} macrx_tx_t;

/* Bytes of a state holding `capacity` sources (capacity <= max_sources). */
size_t macrx_state_size(unsigned max_sources, unsigned capacity);
/* Initialises state[0..length): no keys, no sources, counters 0. max_length bounds a received
 * MPDU (0: MACFRAME_MAX_LENGTH). Returns MACFRAME_OK or MACFRAME_E_PARAM (bad bound, too small,
 * misaligned). */
int macrx_init(void *state, size_t length, unsigned max_sources, unsigned max_length);
/* Sets (key != NULL) or removes a GMK. MACFRAME_E_PARAM on a bad index or state. */
int macrx_set_key(void *state, size_t length, unsigned index, const uint8_t *key);
/* Drop counters (MACRX_D_COUNT), the number of sources, evictions; NULL on a bad state. */
const uint32_t *macrx_drops(const void *state, size_t length);
unsigned macrx_sources(const void *state, size_t length);
/* Forgets every source (frame counters, sequence numbers): a new PAN or a new start. */
int macrx_clear_sources(void *state, size_t length);

/* Receives frame[0..length) (the MPDU without FCS): returns a status; result[MACRX_R_COUNT] gets
 * the fields, ext_out[16] the destination and source EUI-64 (MSB first) when extended. A secured
 * frame is decrypted in place: its plaintext is frame[payload offset .. + payload length).
 * Drops are counted in the state. -1 on a bad state (nothing else touched). */
int macrx_receive(void *state, size_t state_length, const macrx_pib_t *pib, uint64_t now,
                  uint8_t *frame, size_t length, uint32_t result[MACRX_R_COUNT], uint8_t ext_out[16]);

/* Length of the frame macrx_transmit writes for tx and a payload of payload_length (0: refused). */
size_t macrx_tx_length(const macrx_tx_t *tx, size_t payload_length);
/* Writes the frame (MHR, payload, MIC) to out[0..capacity); payload may not overlap out. A
 * secured frame is sealed with the state's key tx->key_index (ENC-MIC-32, key id mode 1). Returns
 * MACFRAME_OK, MACFRAME_E_PARAM (a field out of range, no such key, longer than max_length) or
 * MACFRAME_E_SPACE. */
int macrx_transmit(const void *state, size_t state_length, const macrx_tx_t *tx, const uint8_t *payload,
                   size_t payload_length, uint8_t *out, size_t capacity, size_t *written);

#endif
