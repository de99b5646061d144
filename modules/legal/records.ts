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

export interface Nvram {
  read(offset: number, view: ArrayBufferView): void;
  write(offset: number, view: ArrayBufferView): void;
  info(): string;
}
export interface Crc32 { reset(): unknown; checksum(bytes: BufferLike): number }

/** CRC-32 of bytes [0, n) of view. */
export function crcOf(crc: Crc32, bytes: Uint8Array, n: number): number {
  crc.reset();
  return crc.checksum(bytes.subarray(0, n)) >>> 0;
}

/** 0 valid, 1 blank, 2 corrupt: the record in bytes, CRC-32 in its last 4 bytes. */
export function check(crc: Crc32, bytes: Uint8Array, view: DataView, magicOk: boolean): number {
  const n = bytes.length - 4;
  if (magicOk && view.getUint32(n, true) === crcOf(crc, bytes, n)) return 0;
  const b = bytes[0]!;
  if ((b === 0xff || b === 0) && bytes.every((x) => x === b)) return 1;
  return 2;
}

/** Of two records written alternately at base and base + stride (magic at byte 0, seq at 4,
 * CRC last), reads the newest valid one into bytes: its seq (0: none) and the corrupt slots. */
export function loadNewest(nv: Nvram, crc: Crc32, base: number, stride: number, bytes: Uint8Array, view: DataView, magic: number): { seq: number; dropped: number } {
  let seq = 0, best = -1, dropped = 0;
  for (let k = 0; k < 2; k++) {
    nv.read(base + k * stride, bytes);
    const state = check(crc, bytes, view, view.getUint32(0, true) === magic);
    if (state === 2) dropped++;
    if (state === 0 && view.getUint32(4, true) >= seq) {
      seq = view.getUint32(4, true);
      best = k;
    }
  }
  if (best >= 0) nv.read(base + best * stride, bytes);
  return { seq, dropped };
}

// Billing record: 0 magic, 4 seq, 8 clock ms (f64), 16 registers x7 (f64, micro-units),
// 72 LED active count, 76 LED reactive count, 80 flags (bit 0: load relay open; 0 in records of
// firmware before it: closed), 84 CRC-32 of bytes 0..83.
export class BillingStore {
  seq = 0;           // of the newest valid record (0: none)
  dropped = 0;       // corrupt slots found at boot
  clock = 0;         // meter clock of the record found at boot, ms
  relayOpen = false; // the load relay's state, restored and saved with the registers
  readonly values = new Float64Array(9);   // 7 registers, 2 LED counts, as restored / saved
  private readonly bytes = new Uint8Array(BILL_SIZE);
  private readonly view = new DataView(this.bytes.buffer);

  constructor(private readonly nv: Nvram, private readonly crc: Crc32) {}

  /** Finds the newest valid record; true when there was one. */
  load(): boolean {
    const { bytes, view } = this;
    const found = loadNewest(this.nv, this.crc, 0, BILL_SLOT, bytes, view, BILL_MAGIC);
    this.dropped += found.dropped;
    if (!found.seq) return false;
    this.seq = found.seq;
    this.clock = view.getFloat64(8, true);
    this.relayOpen = (view.getUint32(80, true) & 1) === 1;
    for (let k = 0; k < 9; k++) this.values[k] = k < 7 ? view.getFloat64(16 + 8 * k, true) : view.getUint32(72 + 4 * (k - 7), true);
    return true;
  }

  /** Saves registers (7, micro-units) and LED counts into the older slot. */
  save(clock: number, energy: Float64Array, offset: number, counts: Float64Array): void {
    const { bytes, view } = this;
    const seq = this.seq + 1;
    view.setUint32(0, BILL_MAGIC, true);
    view.setUint32(4, seq, true);
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
    view.setUint32(84, crcOf(this.crc, bytes, 84), true);
    this.nv.write((seq & 1) * BILL_SLOT, bytes);   // the older slot
    this.seq = seq;
  }
}
