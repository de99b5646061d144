// Power-fail-safe records in the NVRAM (drivers/nvram/nvram.ts, an FRAM model whose multi-byte
// writes a power cut can tear): their sizes and magics here, their places in layout.ts.
//   billing record (BILL_SIZE)     the registers, the LED counts and the meter clock, in two
//                                   copies written alternately (a torn write damages only the copy
//                                   being written, the other holds the previous one) and a witness
//                                   written after each (the newest record is always in two places)
//   open-events record (OPEN_SIZE) events in progress (openevents.ts), two copies alternately
//   event journal, EVENT_SIZE each (eventlog.ts)
// Every record carries a sequence number and a CRC-32 (IEEE, the crc driver) of its bytes;
// at boot the newest valid billing record wins. A record that is neither valid nor blank
// (all 0xFF as delivered, or all 0x00) is counted as dropped and traced.

import { BILL_SIZE, BILL_MAGIC, type Layout } from './layout.js';
// the records' sizes and magics belong to the layout (layout.ts); re-exported for the records' users
export { BILL_SIZE, OPEN_SIZE, EVENT_SIZE, BILL_MAGIC, OPEN_MAGIC, EVENT_MAGIC } from './layout.js';
/** Billing flags (byte 80): the load relay is open; the registers restarted after every copy was lost. */
const RELAY_OPEN = 1,
  REGISTERS_LOST = 2;

export { crcOf, check, type Nvram, type Crc32 } from '../generic/shared/nvrecord.js';
import { TwoSlotRecord, type Nvram, type Crc32 } from '../generic/shared/nvrecord.js';

// Billing record: 0 magic, 4 seq, 8 clock ms (f64), 16 registers x7 (f64, micro-units),
// 72 LED active count, 76 LED reactive count, 80 flags (bit 0: load relay open, 0 in records of
// firmware before it: closed; bit 1: the registers restarted from 0 after every copy and the
// witness were lost, kept in every later record), 84 CRC-32 of bytes 0..83.
export class BillingStore {
  seq = 0; // of the newest valid record (0: none)
  dropped = 0; // corrupt slots found at boot
  clock = 0; // meter clock of the record found at boot, ms
  relayOpen = false; // the load relay's state, restored and saved with the registers
  lost = false; // the registers restarted after a total loss (legal.ts logs REGISTERS_LOST)
  readonly values = new Float64Array(9); // 7 registers, 2 LED counts, as restored / saved
  private readonly rec: TwoSlotRecord;

  constructor(nv: Nvram, crc: Crc32, layout: Layout) {
    const [a, b] = layout.bill;
    this.rec = new TwoSlotRecord(nv, crc, a, b - a, BILL_SIZE, BILL_MAGIC, layout.witness);
  }

  /** After load(): 'ok', 'new' (never saved) or 'corrupt' (copies and witness all lost). */
  get status(): 'ok' | 'new' | 'corrupt' {
    return this.rec.status;
  }
  /** After load(): the record came from the witness (both copies lost or older). */
  get fromWitness(): boolean {
    return this.rec.fromWitness;
  }

  /** Finds the newest valid record; true when there was one. */
  load(): boolean {
    const { rec } = this,
      { view } = rec;
    const found = rec.load();
    this.dropped = rec.dropped;
    if (!found) return false;
    this.seq = rec.seq;
    this.clock = view.getFloat64(8, true);
    const flags = view.getUint32(80, true);
    this.relayOpen = (flags & RELAY_OPEN) !== 0;
    this.lost = (flags & REGISTERS_LOST) !== 0;
    for (let k = 0; k < 9; k++) this.values[k] = k < 7 ? view.getFloat64(16 + 8 * k, true) : view.getUint32(72 + 4 * (k - 7), true);
    return true;
  }

  /** Saves registers (7, micro-units) and LED counts into the older slot. */
  save(clock: number, energy: Float64Array, offset: number, counts: Float64Array): void {
    const { rec } = this,
      { view } = rec;
    view.setFloat64(8, clock, true);
    for (let k = 0; k < 7; k++) {
      const v = energy[offset + k]!;
      if (v < this.values[k]!) throw new Error('register went backwards'); // cannot happen: the DSP only adds
      view.setFloat64(16 + 8 * k, v, true);
      this.values[k] = v;
    }
    view.setUint32(72, counts[0]!, true);
    view.setUint32(76, counts[1]!, true);
    view.setUint32(80, (this.relayOpen ? RELAY_OPEN : 0) | (this.lost ? REGISTERS_LOST : 0), true);
    rec.save(); // CRC-32 at 84, over the older copy, then the witness
    this.seq = rec.seq;
  }
}
