// PHY model: airtime of a G3-PLC CENELEC-A frame, SNR -> frame error rate, LQI.
import {
  Modulation,
  PHY_BITS_PER_CARRIER,
  PHY_CARRIERS_PER_GROUP,
  PHY_CONV_RATE_INV,
  PHY_CONV_TAIL_BITS,
  PHY_FCH_SYMBOLS,
  PHY_FL_SYMBOL_UNIT,
  PHY_MAX_PAYLOAD_SYMBOLS,
  PHY_PREAMBLE_SYMBOLS,
  PHY_PREAMBLE_SYMBOL_US,
  PHY_RS_MAX_BLOCK,
  PHY_RS_PARITY_NORMAL,
  PHY_RS_PARITY_ROBO,
  PHY_ROBO_REPETITION,
  PHY_SYMBOL_US,
  PHY_TONE_MAP_ALL,
} from './phy-const.js';

/** Length of the MAC FCS the modem appends to the MPDU it is given. */
export const FCS_BYTES = 2;

export interface Airtime {
  /** Payload symbols (multiple of 4), 0 for an ACK. */
  symbols: number;
  /** Preamble + FCH + payload, microseconds. */
  us: number;
}

export function carriersOf(toneMap: number): number {
  let n = 0;
  for (let m = toneMap & PHY_TONE_MAP_ALL; m; m >>= 1) n += m & 1;
  return n * PHY_CARRIERS_PER_GROUP;
}

/** Largest PSDU (MPDU + FCS) one RS block can carry in this mode. */
export function maxPsduBytes(mod: Modulation): number {
  return PHY_RS_MAX_BLOCK - (mod === Modulation.ROBO ? PHY_RS_PARITY_ROBO : PHY_RS_PARITY_NORMAL);
}

/**
 * Payload symbols for a PSDU of `psduBytes` (MPDU + FCS):
 * RS parity, rate-1/2 convolutional code with tail, x4 repetition in ROBO,
 * padded by the interleaver to whole symbols, then to the FL unit of 4 symbols.
 * Returns undefined if the frame does not fit (one RS block, 252 symbols).
 */
export function payloadSymbols(psduBytes: number, mod: Modulation, toneMap = PHY_TONE_MAP_ALL): number | undefined {
  const carriers = carriersOf(toneMap);
  if (carriers === 0 || psduBytes < 1 || psduBytes > maxPsduBytes(mod)) return undefined;
  const parity = mod === Modulation.ROBO ? PHY_RS_PARITY_ROBO : PHY_RS_PARITY_NORMAL;
  let bits = ((psduBytes + parity) * 8 + PHY_CONV_TAIL_BITS) * PHY_CONV_RATE_INV;
  if (mod === Modulation.ROBO) bits *= PHY_ROBO_REPETITION;
  const perSymbol = carriers * (PHY_BITS_PER_CARRIER[mod] ?? 1);
  const raw = Math.ceil(bits / perSymbol);
  const symbols = Math.ceil(raw / PHY_FL_SYMBOL_UNIT) * PHY_FL_SYMBOL_UNIT;
  return symbols <= PHY_MAX_PAYLOAD_SYMBOLS ? symbols : undefined;
}

const HEADER_US = PHY_PREAMBLE_SYMBOLS * PHY_PREAMBLE_SYMBOL_US + PHY_FCH_SYMBOLS * PHY_SYMBOL_US;

/** Airtime of a data frame whose MPDU (without FCS) is `mpduBytes` long. */
export function frameAirtime(mpduBytes: number, mod: Modulation, toneMap = PHY_TONE_MAP_ALL): Airtime | undefined {
  const symbols = payloadSymbols(mpduBytes + FCS_BYTES, mod, toneMap);
  if (symbols === undefined) return undefined;
  return { symbols, us: Math.round(HEADER_US + symbols * PHY_SYMBOL_US) };
}

export function ackAirtime(): Airtime {
  return { symbols: 0, us: Math.round(HEADER_US) };
}

/**
 * SNR -> frame error rate. A documented model, not a measured one:
 * a logistic curve per modulation, FER_ref(snr) = 1 / (1 + exp(k (snr - snr50))),
 * for a reference frame of REF_SYMBOLS payload symbols, scaled to the frame's
 * length as FER = 1 - (1 - FER_ref)^(symbols / REF_SYMBOLS).
 * snr50 (dB) sits where G3 CENELEC-A modems are commonly reported to need
 * about 50 % of their margin: ROBO ~1 dB, DBPSK ~4, DQPSK ~7, D8PSK ~11.
 */
export const FER_CURVE: Readonly<Record<Modulation, { snr50: number; k: number }>> = {
  [Modulation.ROBO]: { snr50: 1, k: 1.5 },
  [Modulation.DBPSK]: { snr50: 4, k: 1.5 },
  [Modulation.DQPSK]: { snr50: 7, k: 1.5 },
  [Modulation.D8PSK]: { snr50: 11, k: 1.5 },
};
export const FER_REF_SYMBOLS = 40;

export function frameErrorRate(snrDb: number, mod: Modulation, symbols: number): number {
  const c = FER_CURVE[mod];
  const ref = 1 / (1 + Math.exp(c.k * (snrDb - c.snr50)));
  const n = Math.max(symbols, PHY_FL_SYMBOL_UNIT) / FER_REF_SYMBOLS;
  return 1 - (1 - ref) ** n;
}

/** An ACK is FCH-only, sent in the FCH's super-robust coding: ROBO curve, 4 symbols. */
export function ackErrorRate(snrDb: number): number {
  return frameErrorRate(snrDb, Modulation.ROBO, PHY_FL_SYMBOL_UNIT);
}

/**
 * LQI from SNR, the G3 convention: 0.25 dB steps from -10 dB,
 * LQI = (SNR + 10) x 4 clamped to 0..255 (SNR = LQI / 4 - 10).
 */
export function lqiFromSnr(snrDb: number): number {
  return Math.max(0, Math.min(255, Math.round((snrDb + 10) * 4)));
}
