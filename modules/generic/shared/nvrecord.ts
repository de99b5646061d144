// Power-fail-safe records in the NVRAM (drivers/nvram/nvram.ts: an FRAM model whose multi-byte writes a
// power cut can tear, in 16-byte bursts), shared by every part that keeps state there: LEGAL's
// billing and open-event records and journal, NON-LEGAL's invocation counters and DRBG seed, the
// PLC part's MAC frame counter. Each part reaches only its own NVRAM area (nvramArea), so sharing
// this code shares no bytes. Under generic/shared/, so any part may import it: the exports are
// hardened, the instances are each store's own.
//
// A record carries a CRC-32 (IEEE, the crc driver) of its bytes in its last 4 bytes. A record that
// is neither valid nor blank (all 0xFF as delivered, or all 0x00) is corrupt: callers count it.
// TwoSlotRecord keeps one record as two copies written alternately (magic at byte 0, sequence
// number at 4, payload, CRC last): a torn write damages only the copy being written, never the
// newest valid one, and at load the valid copy with the higher sequence number wins. A save
// always writes the copy that does not hold the newest valid record, whatever wrote it.
// A counter that must never repeat is kept in such a record by ReservedCounter (./counter.ts).
// With a witness (LEGAL's billing record), every save also writes the same bytes to a third
// place after the copy: once a save has returned, its record is in two places (the copy and the
// witness), so a corruption of either leaves it whole; at load the valid one of the three with the
// highest sequence number wins. The caller keeps the three far apart (modules/legal/layout.ts).

import type { RunServiceFn } from '../services.js';

export interface Nvram {
  read(offset: number, view: ArrayBufferView): void;
  write(offset: number, view: ArrayBufferView): void;
  /** Bytes of the area. */
  capacity(): number;
  info(): string;
}
export interface Crc32 {
  reset(): unknown;
  checksum(bytes: BufferLike): number;
}

export const RECORD_VALID = 0,
  RECORD_BLANK = 1,
  RECORD_CORRUPT = 2;

/** CRC-32 of bytes [0, n). */
export function crcOf(crc: Crc32, bytes: Uint8Array, n: number): number {
  crc.reset();
  return crc.checksum(bytes.subarray(0, n)) >>> 0;
}

/** RECORD_VALID, RECORD_BLANK or RECORD_CORRUPT: the record in bytes, its CRC-32 in the last 4. */
export function check(crc: Crc32, bytes: Uint8Array, view: DataView, magicOk: boolean): number {
  const n = bytes.length - 4;
  if (magicOk && view.getUint32(n, true) === crcOf(crc, bytes, n)) return RECORD_VALID;
  const b = bytes[0]!;
  if ((b === 0xff || b === 0) && bytes.every((x) => x === b)) return RECORD_BLANK;
  return RECORD_CORRUPT;
}

/**
 * One record of `size` bytes kept in two copies at base and base + stride. The caller fills the
 * payload (bytes 8 .. size - 5) through `view`/`bytes` and calls save(); load() leaves the newest
 * valid copy there.
 */
export class TwoSlotRecord {
  /** Sequence number of the newest valid copy (0: none). */
  seq = 0;
  /** Corrupt copies found by load(). */
  dropped = 0;
  /** After load(): 'ok', 'new' (every copy blank) or 'corrupt' (no valid copy, not all blank). */
  status: 'ok' | 'new' | 'corrupt' = 'new';
  /** After load(): the newest valid record was found only in the witness (both copies lost or older). */
  fromWitness = false;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private slot = 0; // the copy holding the newest valid record; from blank, copy n & 1 gets seq n

  /** witness: offset of a third copy written after each save (-1: none). */
  constructor(
    private readonly nv: Nvram,
    private readonly crc: Crc32,
    private readonly base: number,
    private readonly stride: number,
    size: number,
    private readonly magic: number,
    private readonly witness = -1,
  ) {
    if (!(size >= 12 && size <= stride)) throw new RangeError(`record of ${size} bytes in slots of ${stride}`);
    if (witness >= 0 && [base, base + stride].some((at) => witness < at + size && witness + size > at))
      throw new RangeError(`witness at ${witness} overlaps a copy`);
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Reads the newest valid copy into bytes; true when there is one. */
  load(): boolean {
    const { bytes, view } = this;
    let best = -1,
      corrupt = 0,
      copySeq = 0,
      copy = -1;
    this.seq = 0;
    for (let k = 0; k < (this.witness >= 0 ? 3 : 2); k++) {
      this.nv.read(this.at(k), bytes);
      const state = check(this.crc, bytes, view, view.getUint32(0, true) === this.magic);
      if (state === RECORD_CORRUPT) corrupt++;
      if (state !== RECORD_VALID) continue;
      const seq = view.getUint32(4, true);
      if (best < 0 || seq > this.seq) {
        this.seq = seq;
        best = k;
      }
      if (k < 2 && (copy < 0 || seq > copySeq)) {
        copySeq = seq;
        copy = k;
      }
    }
    this.dropped += corrupt;
    this.status = best >= 0 ? 'ok' : corrupt ? 'corrupt' : 'new';
    this.fromWitness = best === 2 && copySeq < this.seq;
    if (best < 0) return false;
    // the next save goes over the copy without the newest valid record (both lost: copy seq & 1
    // holds it, as from blank)
    this.slot = copy >= 0 ? copy : this.seq & 1;
    this.nv.read(this.at(best), bytes);
    return true;
  }

  private at(k: number): number {
    return k < 2 ? this.base + k * this.stride : this.witness;
  }

  /** Seals bytes (magic, next sequence number, CRC) and writes them over the older copy, then the witness. */
  save(): void {
    const { bytes, view } = this;
    const n = bytes.length - 4,
      seq = this.seq + 1;
    view.setUint32(0, this.magic, true);
    view.setUint32(4, seq, true);
    view.setUint32(n, crcOf(this.crc, bytes, n), true);
    const slot = this.slot ^ 1;
    this.nv.write(this.base + slot * this.stride, bytes);
    this.slot = slot;
    if (this.witness >= 0) this.nv.write(this.witness, bytes);
    this.seq = seq;
    this.status = 'ok';
  }
}

/** A part's NVRAM area that survives a reset, with a CRC-32 for its records. */
export type PersistentArea = { kind: 'file'; nv: Nvram; crc: Crc32 } | { kind: 'volatile' | 'absent' };

/**
 * Opens the NVRAM area granted to the calling part as `driver` (GENERIC's "nvstore", "plcstore"),
 * if it survives a reset: 'volatile' when it has no backing file (it forgets at reset, so a
 * counter kept there would come back), 'absent' when the board binds none or it is empty.
 */
export function persistentArea(rs: RunServiceFn, driver: string): PersistentArea {
  try {
    const nv = rs('driver.get', driver) as Nvram;
    const info = nv.info();
    if (info.startsWith('kind=volatile')) return { kind: 'volatile' };
    if (!info.startsWith('kind=file') || !/size=[1-9]/.test(info)) return { kind: 'absent' };
    const c = rs('driver.get', 'crc') as { CRC32: new (p: number, i: number, ri: boolean, ro: boolean, x: number) => Crc32 };
    return { kind: 'file', nv, crc: new c.CRC32(0x04c11db7, 0xffffffff, true, true, 0xffffffff) };
  } catch {
    return { kind: 'absent' }; // not granted, or not bound on this board
  }
}
