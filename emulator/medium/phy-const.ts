// G3-PLC PHY constants, CENELEC-A band (35.9..90.6 kHz).
// Source: ITU-T G.9903 (G3-PLC), PHY clause for the CENELEC-A bandplan
// (system parameters, frame structure, FEC and modulation sub-clauses).
// Clause references are by subject because the numbering moved between
// the 2012, 2014 and 2017 editions.

/** Sampling frequency: 400 kHz (G.9903 PHY, "system parameters"). */
export const PHY_SAMPLE_RATE_HZ = 400_000;
/** FFT size N = 256 -> carrier spacing 1.5625 kHz. */
export const PHY_FFT_SIZE = 256;
/** Cyclic prefix N_CP = 30 samples. */
export const PHY_CP_SAMPLES = 30;
/** Overlapped (windowed) samples between symbols N_O = 8. */
export const PHY_OVERLAP_SAMPLES = 8;

/** Preamble symbol: 256 samples, no cyclic prefix -> 640 us. */
export const PHY_PREAMBLE_SYMBOL_US = (PHY_FFT_SIZE * 1e6) / PHY_SAMPLE_RATE_HZ; // 640
/** Data/FCH symbol: (256 + 30 - 8) samples = 278 -> 695 us. */
export const PHY_SYMBOL_US = ((PHY_FFT_SIZE + PHY_CP_SAMPLES - PHY_OVERLAP_SAMPLES) * 1e6) / PHY_SAMPLE_RATE_HZ; // 695

/** Preamble: 8 SYNCP + 1.5 SYNCM symbols ("preamble" sub-clause). */
export const PHY_PREAMBLE_SYMBOLS = 9.5;
/** Frame control header: 13 symbols in CENELEC-A ("frame control header"). */
export const PHY_FCH_SYMBOLS = 13;

/** Carriers used in CENELEC-A: 36 (indices 23..58 of the 256-point FFT). */
export const PHY_CARRIERS = 36;
/** Tone map: 6 bits, each bit enables a group of 6 carriers ("tone map" in the FCH). */
export const PHY_TONE_GROUPS = 6;
export const PHY_CARRIERS_PER_GROUP = 6;
export const PHY_TONE_MAP_ALL = 0x3f;

/** FL field of the FCH counts the payload in units of 4 symbols (N_S = FL x 4). */
export const PHY_FL_SYMBOL_UNIT = 4;
/** FL is 6 bits: at most 63 x 4 = 252 payload symbols (aMaxFrameSize). */
export const PHY_MAX_PAYLOAD_SYMBOLS = 252;

/** Reed-Solomon over GF(256), n <= 255 ("Reed-Solomon encoder"). */
export const PHY_RS_MAX_BLOCK = 255;
/** Parity bytes 2t: t = 8 in normal mode (RS(255,239)). */
export const PHY_RS_PARITY_NORMAL = 16;
/** Parity bytes 2t: t = 4 in robust (ROBO) mode. */
export const PHY_RS_PARITY_ROBO = 8;
/** Convolutional code: rate 1/2, constraint length 7, 6 zero tail bits. */
export const PHY_CONV_RATE_INV = 2;
export const PHY_CONV_TAIL_BITS = 6;
/** ROBO: each coded bit repeated 4 times ("repetition code"). */
export const PHY_ROBO_REPETITION = 4;

/** Modulation of the payload (values of the FCH MOD field, D8PSK added in 2014+). */
export enum Modulation {
  ROBO = 0,
  DBPSK = 1,
  DQPSK = 2,
  D8PSK = 3,
}
export const MODULATION_NAMES = ['ROBO', 'DBPSK', 'DQPSK', 'D8PSK'] as const;
/** Bits per carrier per symbol; ROBO is DBPSK with 4x repetition. */
export const PHY_BITS_PER_CARRIER: readonly number[] = [1, 1, 2, 3];

/** An ACK/NACK is preamble + FCH only: 9.5 x 640 + 13 x 695 = 15115 us. */
export const PHY_ACK_US = PHY_PREAMBLE_SYMBOLS * PHY_PREAMBLE_SYMBOL_US + PHY_FCH_SYMBOLS * PHY_SYMBOL_US;
