// G3-PLC MAC constants (ITU-T G.9903 clause 9 "MAC sublayer", profiling IEEE 802.15.4-2006).
// The modem (emulator/medium, PROTOCOL.md) carries the MPDU from the frame control field on,
// without the G3 segment control field and without FCS: this matches pcap DLT 195 (802.15.4).

/** Frame control bits 0-2, 802.15.4-2006 7.2.1.1.1. */
export enum MacFrameType {
  BEACON = 0, // 0b000
  DATA = 1, // 0b001
  ACK = 2, // 0b010
  COMMAND = 3, // 0b011
}

/** Frame control field bit masks (16 bits, little-endian on the wire), 802.15.4-2006 7.2.1.1. */
export const FCF_TYPE_MASK = 0x0007; // bits 0-2
export const FCF_SECURITY = 0x0008; // bit 3
export const FCF_FRAME_PENDING = 0x0010; // bit 4
export const FCF_ACK_REQUEST = 0x0020; // bit 5
export const FCF_PAN_ID_COMPRESSION = 0x0040; // bit 6
export const FCF_DST_MODE_SHIFT = 10; // bits 10-11
export const FCF_VERSION_SHIFT = 12; // bits 12-13
export const FCF_SRC_MODE_SHIFT = 14; // bits 14-15

/** Addressing modes, 802.15.4-2006 table 80. 0b01 is reserved. */
export enum AddrMode {
  NONE = 0,
  SHORT = 2,
  EXTENDED = 3,
}

/** Frame version: 0 = 802.15.4-2003, 1 = 802.15.4-2006 (required with security). */
export const FRAME_VERSION_2003 = 0;
export const FRAME_VERSION_2006 = 1;

/** Security levels, 802.15.4-2006 table 95. G3 uses 5 = ENC-MIC-32 (G.9903 9.3.x). */
export const SEC_LEVEL_NONE = 0;
export const SEC_LEVEL_ENC_MIC_32 = 5;
/** MIC length by security level (0..7). */
export const MIC_LENGTH = [0, 4, 8, 16, 0, 4, 8, 16] as const;

/** Security control: bits 0-2 level, bits 3-4 key identifier mode, 802.15.4-2006 7.6.2.2. */
export const SECCTL_LEVEL_MASK = 0x07;
export const SECCTL_KEYID_SHIFT = 3;
/** Key id mode 1: key index only (1 octet); G3 uses key index = GMK index (0 or 1). */
export const KEY_ID_MODE_INDEX = 1;
/** Key identifier field length by key id mode, 802.15.4-2006 table 96. */
export const KEY_ID_LENGTH = [0, 1, 5, 9] as const;

/** MAC command identifiers, 802.15.4-2006 table 82; G3 adds the tone map response. */
export enum MacCommand {
  BEACON_REQUEST = 0x07,
  TONE_MAP_RESPONSE = 0x0a, // G.9903 9.3.x (G3-specific)
}

export const SHORT_BROADCAST = 0xffff;
/** "No short address": use the extended one (802.15.4). */
export const SHORT_NONE = 0xfffe;
export const PAN_BROADCAST = 0xffff;

/** Upper bound of an MPDU (without FCS) this codec accepts: G3 aMaxPHYPacketSize is 400 octets. */
export const MAC_MAX_FRAME_LENGTH = 400;

/** Superframe specification of a G3 beacon: BO = SO = 15 (non-beacon-enabled PAN), 7.2.2.1.2. */
export const SUPERFRAME_NONBEACON = 0x0fff; // BO 15, SO 15, final CAP slot 15
export const SUPERFRAME_PAN_COORDINATOR = 0x4000; // bit 14
export const SUPERFRAME_ASSOCIATION_PERMIT = 0x8000; // bit 15

/** PIB defaults (G.9903 MAC PIB table). */
export const MAC_DEFAULT_MAX_FRAME_RETRIES = 5;
/** macNeighbourTableEntryTTL (minutes in G3), here in ms. */
export const MAC_DEFAULT_NEIGHBOUR_TTL_MS = 255 * 60_000;
/** macTMRTTL: tone map validity (minutes in G3), here in ms. */
export const MAC_DEFAULT_TONE_MAP_TTL_MS = 2 * 60_000;
/** Window in which a repeated (source, DSN) is a retransmission, not a new frame. */
export const MAC_DEFAULT_DUPLICATE_WINDOW_MS = 5_000;
export const MAC_DEFAULT_MAX_NEIGHBOURS = 64;
export const MAC_DEFAULT_MAX_DEVICES = 256;
