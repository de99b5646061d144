// The G3 MAC frame counter (mac.ts pib.macFrameCounter) kept over power cuts in the PLC part's
// NVRAM area (GENERIC driver "plcstore": 32 bytes just before NON-LEGAL's, drivers/nvram/nvram.ts).
// A frame counter must never repeat under one key (G.9903 MAC security, after IEEE 802.15.4:
// CCM*'s nonce is the source address and the counter, so a repeat reuses the key stream), and a
// node's neighbours drop every secured frame whose counter is not above the last one they took
// from it (mac.ts replay table): a node restarting at 0 would go unheard until a rekey. So the
// counter is a reserved bound (ReservedCounter, generic/shared/counter.ts, shared with
// NON-LEGAL's DLMS invocation counters): every counter used is below the stored bound, reaching
// it writes a bound FC_BLOCK higher first, and at boot the counter restarts at the stored bound.
// Record (area-relative, little-endian), two 16-byte copies written alternately (a torn write
// damages only the copy being written): 0 magic "PLF1", 4 seq, 8 bound (u32), 12 CRC-32 of 0..11;
// the second copy at 16.
import type { RunServiceFn } from '../generic/services.js';
import { TwoSlotRecord, persistentArea, type Crc32, type Nvram } from '../generic/shared/nvrecord.js';
import { ReservedCounter } from '../generic/shared/counter.js';

/**
 * Frame counters reserved by one NVRAM write. A cut skips at most FC_BLOCK counters (nothing is
 * sent with them, no frame is lost): 2^32 / 64 = 67 M cuts before the space runs out. The write,
 * one 16-byte FRAM burst and a CRC of 12 bytes, comes once per 64 secured frames: the CENELEC-A
 * band carries at most a few tens of frames a second (a data frame's airtime alone is tens of
 * ms), so under one write a second, 6 x 10^8 in 20 years at that rate, far inside an FRAM's
 * 10^12..10^14 write endurance. A smaller block buys nothing the endurance needs; a larger one
 * only skips more counters per cut.
 */
export const FC_BLOCK = 64;
export const FC_MAGIC = 0x3146_4c50; // "PLF1"
export const FC_SLOT = 16;
/** Where a corrupt record restarts the counter: the upper half (see fallback). */
export const FC_CORRUPT_BASE = 0x8000_0000;

/** Where the counter came from at boot: the record's state, or why there is none. */
export type FcSource = 'restored' | 'new' | 'corrupt' | 'volatile' | 'absent';

/** The frame counter's record in a PLC NVRAM area (two FC_SLOT copies from 0). */
export function fcRecord(nv: Nvram, crc: Crc32): TwoSlotRecord {
  return new TwoSlotRecord(nv, crc, 0, FC_SLOT, FC_SLOT, FC_MAGIC);
}

/**
 * The start when no stored bound can be trusted. A corrupt record (both copies bad, which one
 * torn write cannot do) leaves the bound unknown and no start provably safe: the counter starts
 * at a random point of the upper half, above every counter of a history that started at 0 and
 * stayed under 2^31 (68 years at a frame a second), so its frames neither repeat nor look like
 * replays; it is traced as a warning and shown in PLC STATS, for the head-end to rekey the PAN.
 * Without a non-volatile NVRAM the counter cannot survive a reset: a random start in the lower
 * quarter (as NON-LEGAL's invocation counters) rather than 0, which would repeat at every reset.
 */
export function fcFallback(source: 'corrupt' | 'absent', random: () => number): number {
  const r = random() & 0x3fff_ffff;
  return source === 'corrupt' ? FC_CORRUPT_BASE + r : r;
}

export interface FrameCounterStore {
  readonly counter: ReservedCounter;
  readonly source: FcSource;
  readonly start: number;
}

/**
 * Opens the record in the "plcstore" area and returns the counter's start (the stored bound, or
 * the fallback), traced like NON-LEGAL's counters; `random` is the stack's random source.
 */
export function frameCounterStore(rs: RunServiceFn, random: () => number): FrameCounterStore {
  const area = persistentArea(rs, 'plcstore');
  const rec = area.kind === 'file' ? fcRecord(area.nv, area.crc) : undefined;
  const missing: FcSource = area.kind === 'volatile' ? 'volatile' : 'absent';
  const counter = new ReservedCounter(rec, FC_BLOCK, (s) => fcFallback(s, random));
  const start = counter.start();
  const source: FcSource = counter.source === 'ok' ? 'restored' : counter.source === 'absent' ? missing : counter.source;
  if (source === 'corrupt')
    rs('trace', 2, `MAC frame counter record corrupt: restarts at ${start} (upper half), bound ${counter.bound}; rekey the PAN`);
  else if (rec)
    rs('trace', 3, `MAC frame counter ${source === 'new' ? 'new record' : 'restored'}: starts at ${start}, bound ${counter.bound}`);
  else
    rs(
      'trace',
      3,
      `MAC frame counter not kept (${missing === 'volatile' ? 'volatile NVRAM, no backing file' : 'no NVRAM area'}): random start ${start}`,
    );
  return { counter, source, start };
}
