// The legal event log: a circular journal of fixed-size records in the NVRAM (layout.ts). Each record: 0 seq, 4 type, 5 phase, 6 magic, 8 time ms since 1970
// (f64), 16 value (i32), 20 duration ms, 24 reserved, 28 CRC-32 of bytes 0..27. Records are
// written in sequence order, one slot after the other; when the journal is full the oldest is
// overwritten (counted). At boot the valid record with the highest seq is the newest; a torn
// write damages only the slot being written (the oldest record). Nothing is kept in RAM but
// the newest seq and its slot: listings read the NVRAM.
import { EVENT_SIZE, EVENT_MAGIC, check, crcOf, type Nvram, type Crc32 } from './records.js';
import type { Layout } from './layout.js';
import type { LegalEvent } from '../generic/shared/messages.js';

// NVRAM: corrupt records dropped (value: how many); REGISTERS_LOST: every copy of the billing
// record lost, registers restarted from 0; LAYOUT: the NVRAM migrated (value: the old layout).
export const EVENT_NAMES = [
  '',
  'POWER_FAIL',
  'POWER_RESTORE',
  'SAG',
  'SWELL',
  'INTERRUPTION',
  'OVERVOLTAGE',
  'UNDERVOLTAGE',
  'REVERSE',
  'COVER',
  'MAGNET',
  'CLOCK',
  'NVRAM',
  'REGISTERS_LOST',
  'LAYOUT',
];

export type { LegalEvent };

export class EventLog {
  readonly capacity: number;
  last = 0; // seq of the newest record (0: none)
  slot = -1; // its slot
  count = 0; // valid records
  dropped = 0; // corrupt records found at boot
  private readonly bytes = new Uint8Array(EVENT_SIZE);
  private readonly view = new DataView(this.bytes.buffer);

  private readonly base: number;

  constructor(
    private readonly nv: Nvram,
    private readonly crc: Crc32,
    layout: Layout,
  ) {
    this.capacity = layout.capacity;
    this.base = layout.log;
  }

  get overwritten(): number {
    return this.last > this.capacity ? this.last - this.capacity : 0;
  }

  /** Scans the journal for the newest record. */
  load(): void {
    for (let k = 0; k < this.capacity; k++) {
      const state = this.readSlot(k);
      if (state === 2) this.dropped++;
      if (state !== 0) continue;
      this.count++;
      const seq = this.view.getUint32(0, true);
      if (seq > this.last) {
        this.last = seq;
        this.slot = k;
      }
    }
  }

  private readSlot(k: number): number {
    this.nv.read(this.base + k * EVENT_SIZE, this.bytes);
    return check(this.crc, this.bytes, this.view, this.view.getUint16(6, true) === EVENT_MAGIC);
  }

  /** Journals one event; returns its seq. */
  append(time: number, type: number, phase: number, value: number, duration: number): number {
    if (this.capacity === 0) return 0;
    const { bytes, view } = this;
    const seq = this.last + 1,
      slot = (this.slot + 1) % this.capacity;
    view.setUint32(0, seq, true);
    view.setUint8(4, type);
    view.setUint8(5, phase);
    view.setUint16(6, EVENT_MAGIC, true);
    view.setFloat64(8, time, true);
    view.setInt32(16, Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(value))), true);
    view.setUint32(20, Math.max(0, Math.min(0xffffffff, Math.round(duration))), true);
    view.setUint32(24, 0, true);
    view.setUint32(28, crcOf(this.crc, bytes, 28), true);
    this.nv.write(this.base + slot * EVENT_SIZE, bytes);
    if (this.count < this.capacity) this.count++;
    this.last = seq;
    this.slot = slot;
    return seq;
  }

  /** The record with this seq, or undefined (overwritten, never written, or corrupt). */
  get(seq: number): LegalEvent | undefined {
    const back = this.last - seq;
    if (!(seq >= 1 && back >= 0 && back < this.capacity)) return undefined;
    const k = (this.slot - back + this.capacity) % this.capacity;
    const v = this.view;
    if (this.readSlot(k) !== 0 || v.getUint32(0, true) !== seq) return undefined;
    return Object.freeze({
      seq,
      time: v.getFloat64(8, true),
      type: v.getUint8(4),
      phase: v.getUint8(5),
      value: v.getInt32(16, true),
      duration: v.getUint32(20, true),
    });
  }

  /** Up to n records, oldest first: from seq `from`, or the newest n. */
  list(n: number, from?: number): LegalEvent[] {
    const first = Math.max(from ?? this.last - n + 1, this.last - this.capacity + 1, 1);
    const out: LegalEvent[] = [];
    for (let s = first; s <= this.last && out.length < n; s++) {
      const e = this.get(s);
      if (e) out.push(e);
    }
    return out;
  }
}
