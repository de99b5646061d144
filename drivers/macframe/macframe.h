/* IEEE 802.15.4-2006 MAC frame codec as G3-PLC profiles it (ITU-T G.9903 clause 9):
 * frame control (7.2.1.1), sequence number, PAN ids with compression, 16-bit and EUI-64
 * addresses, auxiliary security header (7.6.2: security control, frame counter, key
 * identifier), payload, MIC and, when asked, the FCS (CRC-16/KERMIT, little-endian, 7.2.1.9).
 * The PLC modem port carries the MPDU without FCS (emulator/medium/PROTOCOL.md): fcs = 0 there.
 *
 * Decoding never reads outside [frame, frame + length) and never trusts a length from the wire:
 * every field is checked against what is left. Any malformed input yields a MACFRAME_E_* reason
 * and the offset where it was found; nothing is allocated. */
#ifndef METERFW_MACFRAME_H
#define METERFW_MACFRAME_H

#include <stddef.h>
#include <stdint.h>

/* Longest MPDU (without FCS) accepted or produced: G3 aMaxPHYPacketSize is 400 octets. */
#ifndef MACFRAME_MAX_LENGTH
#define MACFRAME_MAX_LENGTH 400
#endif

/* Reasons (stable numbers: the XS binding and the tests name them). */
#define MACFRAME_OK               0
#define MACFRAME_E_TRUNCATED      1   /* a field runs past the end (a longer frame may be valid) */
#define MACFRAME_E_TOO_LONG       2   /* longer than the maximum MPDU */
#define MACFRAME_E_TYPE           3   /* reserved frame type 4..7 (table 79) */
#define MACFRAME_E_ADDR_MODE      4   /* reserved addressing mode 0b01 (table 80) */
#define MACFRAME_E_VERSION        5   /* frame version 2 or 3 */
#define MACFRAME_E_PAN_COMPRESSION 6  /* PAN id compression without both addresses (7.2.1.1.5) */
#define MACFRAME_E_NO_ADDRESS     7   /* data frame without any address (7.2.1.1.6) */
#define MACFRAME_E_ACK            8   /* ACK with addresses, security or payload (7.2.2.3) */
#define MACFRAME_E_SEC_LEVEL      9   /* security enabled with level 0 (7.6.2.2.1) */
#define MACFRAME_E_SEC_RESERVED  10   /* reserved bits 5..7 of the security control set */
#define MACFRAME_E_SEC_VERSION   11   /* security enabled in a 2003 frame (G3 uses 2006 security) */
#define MACFRAME_E_FCS           12   /* FCS does not match */
#define MACFRAME_E_PARAM         13   /* encode: a field out of range */
#define MACFRAME_E_SPACE         14   /* encode: the output buffer is too small */
#define MACFRAME_REASONS         15

/* Frame types (table 79) and addressing modes (table 80). */
#define MACFRAME_BEACON  0
#define MACFRAME_DATA    1
#define MACFRAME_ACK     2
#define MACFRAME_COMMAND 3
#define MACFRAME_ADDR_NONE  0
#define MACFRAME_ADDR_SHORT 2
#define MACFRAME_ADDR_EXT   3

/* flags */
#define MACFRAME_F_SECURITY       0x01
#define MACFRAME_F_PENDING        0x02
#define MACFRAME_F_ACK_REQUEST    0x04
#define MACFRAME_F_PAN_COMPRESSION 0x08

/* One frame, flat. Extended addresses are most significant byte first (as written in text;
 * the wire has them least significant byte first). */
typedef struct {
	uint8_t type, flags, version, seq;
	uint8_t dst_mode, src_mode;
	uint16_t dst_pan, src_pan;       /* src_pan = dst_pan when compressed */
	uint16_t dst_short, src_short;
	uint8_t dst_ext[8], src_ext[8];
	/* auxiliary security header, when MACFRAME_F_SECURITY */
	uint8_t sec_level, key_id_mode, key_index, key_source_len;
	uint32_t frame_counter;
	uint8_t key_source[8];
	/* decode only: MHR length (the CCM* a data), payload and MIC positions in the frame */
	uint16_t header_length, payload_offset, payload_length, mic_length;
} macframe_t;

/* MIC length of a security level (0, 4, 8, 16). */
unsigned macframe_mic_length(unsigned level);

/* Decodes frame[0..length). With fcs, the last two bytes are the FCS and are checked.
 * max_length bounds the MPDU without FCS (0: MACFRAME_MAX_LENGTH). Returns MACFRAME_OK or a
 * reason; *error_at (may be NULL) gets the offset of the offending field. */
int macframe_decode(const uint8_t *frame, size_t length, int fcs, size_t max_length,
                    macframe_t *out, size_t *error_at);

/* Length of the MHR f describes (frame control .. auxiliary security header), or 0 when a
 * field is out of range. */
size_t macframe_header_length(const macframe_t *f);

/* Encodes f's MHR, then payload, then mic (macframe_mic_length(f->sec_level) bytes when
 * secured, else nothing), then with fcs the FCS, into out[0..capacity). payload may alias
 * out + macframe_header_length(f) (the caller built the payload in place). *length gets the
 * bytes written. Returns MACFRAME_OK, MACFRAME_E_PARAM or MACFRAME_E_SPACE. */
int macframe_encode(const macframe_t *f, const uint8_t *payload, size_t payload_length,
                    const uint8_t *mic, int fcs, size_t max_length,
                    uint8_t *out, size_t capacity, size_t *length);

/* Short name of a reason ("truncated", "fcs", ...), for traces and counters. */
const char *macframe_reason_name(int reason);

#endif
