// Power-fail-safe records in the NVRAM (generic/nvram.ts, an FRAM model whose multi-byte
// writes a power cut can tear). Layout (bytes, little-endian):
//   0    billing slot A (BILL_SIZE)      the registers, the LED counts and the meter clock;
//   96   billing slot B                   written alternately: a torn write damages only the
//                                         slot being written, the other holds the previous one
//   192  open-events slot A (OPEN_SIZE)  events in progress (openevents.ts), alternately too
//   352  open-events slot B
//   512  event journal, EVENT_SIZE each  (eventlog.ts) up to the end of the NVRAM
// Every record carries a sequence number and a CRC-32 (IEEE, the crc driver) of its bytes;
// at boot the newest valid billing record wins. A record that is neither valid nor blank
// (all 0xFF as delivered, or all 0x00) is counted as dropped and traced.

export const BILL_SIZE = 88, BILL_SLOT = 96, OPEN_BASE = 192, OPEN_SIZE = 160, LOG_BASE = 512, EVENT_SIZE = 32;
const BILL_MAGIC = 0x4c4c4942;   // "BILL"
export const EVENT_MAGIC = 0xe71a;

export { crcOf, check, type Nvram, type Crc32 } from '../generic/shared/nvrecord.js';
import { TwoSlotRecord, type Nvram, type Crc32 } from '../generic/shared/nvrecord.js';

// Billing record: 0 magic, 4 seq, 8 clock ms (f64), 16 registers x7 (f64, micro-units),
// 72 LED active count, 76 LED reactive count, 80 flags (bit 0: load relay open; 0 in records of
// firmware before it: closed), 84 CRC-32 of bytes 0..83.
export class BillingStore {
  seq = 0;           // of the newest valid record (0: none)
  dropped = 0;       // corrupt slots found at boot
  clock = 0;         // meter clock of the record found at boot, ms
  relayOpen = false; // the load relay's state, restored and saved with the registers
  readonly values = new Float64Array(9);   // 7 registers, 2 LED counts, as restored / saved
  private readonly rec: TwoSlotRecord;

  constructor(nv: Nvram, crc: Crc32) {
    this.rec = new TwoSlotRecord(nv, crc, 0, BILL_SLOT, BILL_SIZE, BILL_MAGIC);
  }

  /** Finds the newest valid record; true when there was one. */
  load(): boolean {
    const { rec } = this, { view } = rec;
    const found = rec.load();
    this.dropped = rec.dropped;
    if (!found) return false;
    this.seq = rec.seq;
    this.clock = view.getFloat64(8, true);
    this.relayOpen = (view.getUint32(80, true) & 1) === 1;
    for (let k = 0; k < 9; k++) this.values[k] = k < 7 ? view.getFloat64(16 + 8 * k, true) : view.getUint32(72 + 4 * (k - 7), true);
    return true;
  }

  /** Saves registers (7, micro-units) and LED counts into the older slot. */
  save(clock: number, energy: Float64Array, offset: number, counts: Float64Array): void {
    const { rec } = this, { view } = rec;
    view.setFloat64(8, clock, true);
    for (let k = 0; k < 7; k++) {
      const v = energy[offset + k]!;
      if (v < this.values[k]!) throw new Error('register went backwards');   // cannot happen: the DSP only adds
      view.setFloat64(16 + 8 * k, v, true);
      this.values[k] = v;
    }
    view.setUint32(72, counts[0]!, true);
    view.setUint32(76, counts[1]!, true);
    view.setUint32(80, this.relayOpen ? 1 : 0, true);
    rec.save();   // CRC-32 at 84, over the older slot
    this.seq = rec.seq;
  }
}
