// Events in progress, kept in the NVRAM (two alternating OPEN_SIZE copies, layout.ts) so that a
// power cut does not lose them: the event log journals an event when it ends, with its start
// and duration; one that is still running when the power fails is journaled at the next boot,
// ending at the last second the meter saved (the moment of the failure, to one second), just
// before POWER_FAIL. Written only when an event starts or ends.
// Record: 0 magic, 4 seq, 8 bit mask of open slots, 10 reserved, 12 + 16 * slot: type (u8),
// phase (u8), reserved (u16), value (i32), start ms (f64); 156 CRC-32 of bytes 0..155.
import { OPEN_SIZE, OPEN_MAGIC, type Nvram, type Crc32 } from './records.js';
import { TwoSlotRecord } from '../generic/shared/nvrecord.js';
import type { Layout } from './layout.js';

/** Slots: 0..2 sag/swell/interruption on L1..L3, 3..5 over/undervoltage on L1..L3, 6 reverse
 * energy, 7 terminal cover, 8 magnetic field. */
export const OPEN_SLOTS = 9;

export type OpenEvent = { readonly type: number; readonly phase: number; readonly start: number; readonly value: number };

export class OpenEvents {
  seq = 0;
  dropped = 0; // corrupt slots found at boot
  readonly open: (OpenEvent | undefined)[] = [];
  private readonly rec: TwoSlotRecord;

  constructor(nv: Nvram, crc: Crc32, layout: Layout) {
    const [a, b] = layout.open;
    this.rec = new TwoSlotRecord(nv, crc, a, b - a, OPEN_SIZE, OPEN_MAGIC);
    for (let k = 0; k < OPEN_SLOTS; k++) this.open.push(undefined);
  }

  /** Reads the events that were open when the meter last wrote the record. */
  load(): void {
    const { rec } = this,
      { view } = rec;
    const found = rec.load();
    this.dropped = rec.dropped;
    this.seq = rec.seq;
    if (!found) return;
    const mask = view.getUint16(8, true);
    for (let k = 0; k < OPEN_SLOTS; k++) {
      const o = 12 + 16 * k;
      this.open[k] =
        mask & (1 << k)
          ? Object.freeze({
              type: view.getUint8(o),
              phase: view.getUint8(o + 1),
              value: view.getInt32(o + 4, true),
              start: view.getFloat64(o + 8, true),
            })
          : undefined;
    }
  }

  /** Opens (e) or closes (undefined) a slot; saves when that changes anything. */
  set(slot: number, e: OpenEvent | undefined): void {
    if (!e && !this.open[slot]) return;
    this.open[slot] = e;
    this.save();
  }

  /** Closes every slot. */
  clear(): void {
    if (!this.open.some((e) => e)) return;
    for (let k = 0; k < OPEN_SLOTS; k++) this.open[k] = undefined;
    this.save();
  }

  private save(): void {
    const { rec } = this,
      { bytes, view } = rec;
    bytes.fill(0);
    let mask = 0;
    for (let k = 0; k < OPEN_SLOTS; k++) {
      const e = this.open[k];
      if (!e) continue;
      mask |= 1 << k;
      const o = 12 + 16 * k;
      view.setUint8(o, e.type);
      view.setUint8(o + 1, e.phase);
      view.setInt32(o + 4, Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(e.value))), true);
      view.setFloat64(o + 8, e.start, true);
    }
    view.setUint16(8, mask, true);
    rec.save();
    this.seq = rec.seq;
  }
}
