// G3-PLC real-time MAC constants and PIB defaults (ITU-T G.9903, MAC clause:
// "MAC constants" table and "MAC PIB attributes"; CSMA/CA per IEEE 802.15.4-2006
// unslotted, extended by G3 with a high-priority contention window).
import { PHY_ACK_US, PHY_MAX_PAYLOAD_SYMBOLS, PHY_SYMBOL_US } from './phy-const.js';

/** aSlotTime: 2 data symbols (1390 us). */
export const MAC_SLOT_SYMBOLS = 2;
export const MAC_SLOT_US = MAC_SLOT_SYMBOLS * PHY_SYMBOL_US;
/** aCIFS, CENELEC-A: 8 symbols of contention interframe space. */
export const MAC_CIFS_US = 8 * PHY_SYMBOL_US;
/** aRIFS, CENELEC-A: 8 symbols between the end of a frame and its ACK. */
export const MAC_RIFS_US = 8 * PHY_SYMBOL_US;
/** aAckTime: preamble + FCH. */
export const MAC_ACK_US = PHY_ACK_US;
/** aEIFS = symbol x (aMaxFrameSize + aRIFS + aCIFS) + aAckTime. */
export const MAC_EIFS_US = PHY_SYMBOL_US * (PHY_MAX_PAYLOAD_SYMBOLS + 8 + 8) + PHY_ACK_US;

/** PIB defaults (G.9903 MAC PIB table). */
export const MAC_DEFAULT_MIN_BE = 3;
export const MAC_DEFAULT_MAX_BE = 8;
export const MAC_DEFAULT_MAX_CSMA_BACKOFFS = 50;
export const MAC_DEFAULT_MAX_FRAME_RETRIES = 5;
/** macHighPriorityWindowSize, in slots. */
export const MAC_DEFAULT_HIGH_PRIORITY_WINDOW = 7;

/** 802.15.4 / G3 MAC status codes carried in DATA.confirm. */
export enum MacStatus {
  SUCCESS = 0x00,
  CHANNEL_ACCESS_FAILURE = 0xe1,
  FRAME_TOO_LONG = 0xe5,
  INVALID_PARAMETER = 0xe8,
  NO_ACK = 0xe9,
  TRANSACTION_OVERFLOW = 0xf1,
  RESET = 0xfe, // emulator: request flushed by RESET
}

export const SHORT_ADDR_BROADCAST = 0xffff;
/** Short address of a node that has none yet (802.15.4: 0xFFFE = use extended). */
export const SHORT_ADDR_NONE = 0xfffe;
