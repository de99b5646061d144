// A counter that must never repeat (a nonce's counter) kept as a reserved bound in a power-fail-safe
// record of the NVRAM (./nvrecord.ts): NON-LEGAL's DLMS invocation counters (nonlegal/meter/ic-store.ts)
// and the PLC part's G3 MAC frame counter (plc/fc-store.ts), each in its own part's NVRAM area.
// Its own module so that a board where neither part keeps one (the STM32F405) does not load it.
import type { TwoSlotRecord } from './nvrecord.js';

/** What a ReservedCounter started from: its record's state, or 'absent' (no non-volatile NVRAM). */
export type CounterSource = 'new' | 'ok' | 'corrupt' | 'absent';

/**
 * A counter that must never be used twice (with the same key: a nonce's counter), kept as a
 * reserved bound in a TwoSlotRecord (u32 little-endian at byte 8, the rest of the payload 0):
 * every value used is below the stored bound, and using one that reaches it first writes a bound
 * `block` higher, before the value goes out. After a reset the counter restarts at the stored
 * bound, so above every value used before, whatever the cut tore (the record keeps the previous
 * bound then). A blank record starts at 0; without a record (`rec` undefined: no non-volatile
 * NVRAM) or with a corrupt one the caller's fallback chooses the start.
 */
export class ReservedCounter {
  /** Every value used so far is below this (stored, unless `source` is 'absent'). */
  bound = 0;
  /** Bounds written since boot. */
  writes = 0;
  source: CounterSource = 'absent';

  constructor(
    private readonly rec: TwoSlotRecord | undefined,
    private readonly block: number,
    private readonly fallback: (source: 'corrupt' | 'absent') => number,
  ) {
    if (!(Number.isInteger(block) && block >= 1)) throw new RangeError(`block ${block}`);
  }

  /** The first value free after a reset; reserves it (a write) before returning it. */
  start(): number {
    const { rec } = this;
    if (rec?.load()) this.bound = rec.view.getUint32(8, true);
    const source = (this.source = rec ? rec.status : 'absent');
    if (source === 'corrupt' || source === 'absent') this.bound = this.fallback(source) >>> 0;
    const first = this.bound;
    this.reserve(first);
    return first;
  }

  /** Called with each value before it is used: writes a bound `block` ahead when it is reached. */
  reserve(n: number): void {
    if (n < this.bound) return;
    this.bound = Math.min(0xffffffff, n + this.block);
    const { rec } = this;
    if (!rec) return;
    rec.bytes.fill(0);
    rec.view.setUint32(8, this.bound, true);
    rec.save();
    this.writes++;
  }
}
