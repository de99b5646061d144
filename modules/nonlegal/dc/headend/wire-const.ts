// Head-end link constants (docs/headend.md). Frame on the backhaul UART:
//   SYNC0 SYNC1 | length u16 BE | body[length] | CRC-32 u32 BE over length and body
// CRC-32 is the IEEE 802.3 one (reflected 0x04C11DB7, init and final xor 0xFFFFFFFF), as zlib's.
export const SYNC0 = 0xc3;
export const SYNC1 = 0x5a;
/** sync (2) + length (2) + CRC (4) */
export const FRAME_OVERHEAD = 8;
/** The length field's ceiling; a config's maxFrame may only lower it. */
export const BODY_MAX = 0xffff;

// Message types (body[0]). Concentrator -> head-end below 0x80, head-end -> concentrator above.
/** id u32 | encoding u8 | rawLength u16 | records (raw or raw deflate) */
export const MSG_BATCH = 0x01;
/** id u32 | alarm (20 bytes) */
export const MSG_ALARM = 0x02;
/** id u32 | status u8 */
export const MSG_ACK = 0x81;
/** (empty): the head-end connected; the concentrator resends what is unacknowledged */
export const MSG_HELLO = 0x82;

export const ENC_RAW = 0;
/** RFC 1951 raw deflate (no zlib header) */
export const ENC_DEFLATE = 1;

/** ACK status: stored (or already stored: idempotent) */
export const ACK_STORED = 0;
/** ACK status: the upload could not be decoded; the concentrator drops it (counted) */
export const ACK_REJECTED = 1;

// Record kinds in a batch
export const KIND_PROFILE = 0;
export const KIND_REGISTER = 1;
export const KIND_EVENT = 2;
/** The energy balance of one interval (dc/balance.ts; values: docs/headend.md) */
export const KIND_BALANCE = 3;

/** kind u8 | meter 8 | obis 6 | captureS u32 | n u8 | n x float64 BE */
export const RECORD_HEAD = 20;
/** meter 8 | code u16 | eventS u32 | receivedS u32 | count u16 */
export const ALARM_SIZE = 20;
/** Values per record: the n field's ceiling. */
export const VALUES_MAX = 255;
