// HDLC constants, IEC 62056-46 (DLMS UA Green Book ch. 8).

export const HDLC_FLAG = 0x7e;
/** Frame format type 3: 1010 S LLL LLLLLLLL (S = segmentation, L = 11-bit frame length). */
export const HDLC_FORMAT_TYPE3 = 0xa000;
export const HDLC_SEGMENT_BIT = 0x0800;
export const HDLC_LENGTH_MASK = 0x07ff;
export const HDLC_MAX_FRAME_LENGTH = 2047;

/** Control field (P/F bit 0x10 cleared). I: RRR P SSS 0; S: RRR P/F xx01; U: MMM P/F MM11. */
export const HdlcControl = Object.freeze({
  RR: 0x01,
  RNR: 0x05,
  SNRM: 0x83,
  DISC: 0x43,
  UA: 0x63,
  DM: 0x0f,
  FRMR: 0x87,
  UI: 0x03,
  PF: 0x10,
} as const);

/** LLC header for the information field of I/UI frames carrying DLMS APDUs (62056-46 / Green Book 8.4.1). */
export const LLC_REQUEST = Uint8Array.of(0xe6, 0xe6, 0x00);
export const LLC_RESPONSE = Uint8Array.of(0xe6, 0xe7, 0x00);

/** SNRM/UA parameter negotiation field (ISO/IEC 13239 format 0x81, group 0x80). */
export const HdlcParam = Object.freeze({
  FORMAT_ID: 0x81,
  GROUP_ID: 0x80,
  MAX_INFO_TX: 0x05,
  MAX_INFO_RX: 0x06,
  WINDOW_TX: 0x07,
  WINDOW_RX: 0x08,
} as const);
/** Defaults when a parameter is absent (62056-46 6.4.4.4.3.2). */
export const HDLC_DEFAULT_MAX_INFO = 128;
export const HDLC_DEFAULT_WINDOW = 1;
/** HDLC setup (class 23) inter_octet_time_out default, ms (62056-46 6.4.4.4.3.3). */
export const HDLC_DEFAULT_INTER_OCTET_MS = 25;

/** Reserved addresses (Green Book 8.4.2.3). */
export const HdlcAddressValue = Object.freeze({
  CLIENT_NO_STATION: 0x00,
  CLIENT_MANAGEMENT: 0x01,
  CLIENT_PUBLIC: 0x10,
  CLIENT_ALL_STATION: 0x7f,
  SERVER_MANAGEMENT_LOGICAL_DEVICE: 0x01,
  SERVER_ALL_STATION: 0x3fff,
  SERVER_ALL_STATION_1BYTE: 0x7f,
} as const);
