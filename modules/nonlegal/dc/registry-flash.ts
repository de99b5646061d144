// The registry's persistent part on the SPI NOR (flash area "dc-registry", owner nonlegal): a log
// of fixed-size meter records over two banks of whole erase sectors, so that a power cut at any
// byte leaves every meter with its last or its previous state (docs/concentrator.md).
// - A bank starts with a header (magic "DCR2", generation, version, record size, bank size,
//   records copied, CRC-32); the bank with the valid header of the highest generation is active.
// - save() appends a record only for a meter whose persistent fields changed, after the last
//   non-blank slot of the active bank (a torn record is skipped, never programmed over); at load
//   the newest valid record of an EUI-64 wins (sequence number, then position).
// - When the active bank is full, the newest record of every meter is copied into the other bank
//   (its sectors erased first: it holds only superseded data), then that bank's header is
//   programmed: the header is the commit. A cut before it leaves the old bank active and whole; the
//   old bank is erased only at the next compaction, when the new one has long been valid.
// Record (32 bytes, little-endian): EUI-64 (8), short (u16), state (u8), kind 0x4D 'M' (u8),
// profile cursor (u32 unix s), event cursor (u32 unix s), sequence (u32), 0 (u32), CRC-32 of 0..27.
// A record with a bad CRC-32 or fields out of range is dropped and counted (dropped).
import type { FlashArea } from 'drivers/spinor/flash';
import { type Crc32, crcOf } from '../../generic/shared/nvrecord.js';
import { STATES, type MeterStore, type PersistedMeter } from './registry.js';

export const FLASH_MAGIC = 0x3252_4344; // "DCR2"
export const FLASH_VERSION = 2;
export const RECORD = 32;
const KIND_METER = 0x4d,
  KIND_HEADER = 0x48;
/** Bytes 0..19 of a record: what save() compares to decide whether a meter changed. */
const CONTENT = 20;

/** The flash store's counters, for DC STATS and the tests. */
export interface FlashStoreCounters {
  appends: number;
  compactions: number;
  erases: number;
  dropped: number;
}

export class FlashRegistryStore implements MeterStore {
  readonly kind = 'flash';
  status: 'new' | 'ok' | 'corrupt' | 'version' = 'new';
  saves = 0;
  readonly counters: FlashStoreCounters = { appends: 0, compactions: 0, erases: 0, dropped: 0 };
  /** Meters the area holds: half a bank, so that a compaction leaves at least half a bank for appends. */
  readonly capacity: number;
  readonly bankSize: number;
  readonly slots: number;
  private active = -1;
  private gen = 0;
  private next = 1;
  private seq = 0;
  private blank0 = false;
  /** The newest record of each meter in the active bank, as programmed. */
  private readonly live = new Map<string, Uint8Array>();
  private readonly rec = new Uint8Array(RECORD);
  private readonly rv = new DataView(this.rec.buffer);

  constructor(
    private readonly area: FlashArea,
    private readonly crc: Crc32,
  ) {
    const es = area.eraseSize;
    this.bankSize = Math.floor(area.size / es / 2) * es;
    if (this.bankSize < es || RECORD % area.writeAlign)
      throw new RangeError(`flash ${area.name}: ${area.size} bytes, 2 banks of 1 sector at least`);
    this.slots = this.bankSize / RECORD;
    this.capacity = Math.floor((this.slots - 1) / 2);
  }

  get bank(): number {
    return this.active;
  }
  get used(): number {
    return this.next;
  }

  private sealed(b: Uint8Array): boolean {
    return new DataView(b.buffer, b.byteOffset, RECORD).getUint32(RECORD - 4, true) === crcOf(this.crc, b, RECORD - 4);
  }

  private header(bank: number): number {
    const h = new Uint8Array(RECORD),
      v = new DataView(h.buffer);
    this.area.read(bank * this.bankSize, h);
    if (h.every((x) => x === 0xff)) return -1; // blank
    if (v.getUint32(0, true) !== FLASH_MAGIC || !this.sealed(h)) return -2; // torn or corrupt
    if (h[8] !== FLASH_VERSION || h[9] !== KIND_HEADER || v.getUint16(10, true) !== RECORD || v.getUint32(12, true) !== this.bankSize)
      return -3; // another layout
    return v.getUint32(4, true);
  }

  load(): PersistedMeter[] {
    this.live.clear();
    this.active = -1;
    this.gen = 0;
    this.seq = 0;
    this.next = 1;
    const h = [this.header(0), this.header(1)];
    for (let b = 0; b < 2; b++) if (h[b]! >= 0 && (this.active < 0 || h[b]! > this.gen)) [this.active, this.gen] = [b, h[b]!];
    if (this.active < 0) {
      this.status = h.includes(-3) ? 'version' : h.includes(-2) ? 'corrupt' : 'new';
      if (h.includes(-2)) this.counters.dropped++;
      this.blank0 = h[0] === -1 && this.bankBlank(0);
      return [];
    }
    this.status = 'ok';
    const base = this.active * this.bankSize,
      es = this.area.eraseSize,
      sector = new Uint8Array(es),
      sv = new DataView(sector.buffer);
    let last = 0;
    for (let s = 0; s < this.bankSize; s += es) {
      this.area.read(base + s, sector);
      for (let at = s ? 0 : RECORD; at < es; at += RECORD) {
        const r = sector.subarray(at, at + RECORD);
        if (r.every((x) => x === 0xff)) continue;
        last = (s + at) / RECORD;
        const state = r[10]!,
          seq = sv.getUint32(at + 20, true);
        if (!this.sealed(r) || r[11] !== KIND_METER || state >= STATES.length) {
          this.counters.dropped++;
          continue;
        }
        const eui = hex(r);
        const prev = this.live.get(eui);
        if (!prev && this.live.size >= this.capacity) {
          this.counters.dropped++; // more meters than the area holds: written under another layout
          continue;
        }
        if (!prev || seq >= new DataView(prev.buffer).getUint32(20, true)) this.live.set(eui, r.slice());
        if (seq > this.seq) this.seq = seq;
      }
    }
    this.next = last + 1;
    return [...this.live.values()].map(decode);
  }

  private bankBlank(bank: number): boolean {
    const es = this.area.eraseSize,
      sector = new Uint8Array(es);
    for (let s = 0; s < this.bankSize; s += es) {
      this.area.read(bank * this.bankSize + s, sector);
      if (!sector.every((x) => x === 0xff)) return false;
    }
    return true;
  }

  save(meters: readonly PersistedMeter[]): void {
    const n = Math.min(meters.length, this.capacity);
    for (let i = 0; i < n; i++) {
      const m = meters[i]!;
      encode(this.rec, this.rv, m);
      const prev = this.live.get(m.eui);
      if (prev ? sameContent(prev, this.rec) : this.live.size >= this.capacity) continue;
      this.append();
    }
    this.saves++;
  }

  private append(): void {
    if (this.active < 0) this.format();
    if (this.next >= this.slots) this.compact();
    const seq = this.seq + 1;
    this.rv.setUint32(20, seq, true);
    this.rv.setUint32(24, 0, true);
    this.rv.setUint32(RECORD - 4, crcOf(this.crc, this.rec, RECORD - 4), true);
    this.area.program(this.active * this.bankSize + this.next * RECORD, this.rec);
    this.next++;
    this.seq = seq;
    this.live.set(hex(this.rec), this.rec.slice());
    this.counters.appends++;
  }

  /** First use (or no valid bank): bank 0, erased unless load() found it blank, then its header. */
  private format(): void {
    if (!this.blank0) this.eraseBank(0);
    this.commit(0, this.gen + 1, 0);
    this.active = 0;
    this.gen++;
    this.next = 1;
    this.status = 'ok';
  }

  /** Copies the newest record of every meter into the other bank, then commits it with its header. */
  private compact(): void {
    const to = this.active ^ 1,
      base = to * this.bankSize;
    this.eraseBank(to);
    let k = 1;
    for (const r of this.live.values()) this.area.program(base + k++ * RECORD, r);
    this.commit(to, this.gen + 1, k - 1);
    this.active = to;
    this.gen++;
    this.next = k;
    this.counters.compactions++;
  }

  private eraseBank(bank: number): void {
    // the sector with the header first: a cut in the erase leaves no valid header behind
    for (let s = 0; s < this.bankSize; s += this.area.eraseSize) {
      this.area.erase(bank * this.bankSize + s);
      this.counters.erases++;
    }
  }

  private commit(bank: number, gen: number, count: number): void {
    const h = new Uint8Array(RECORD).fill(0),
      v = new DataView(h.buffer);
    v.setUint32(0, FLASH_MAGIC, true);
    v.setUint32(4, gen, true);
    h[8] = FLASH_VERSION;
    h[9] = KIND_HEADER;
    v.setUint16(10, RECORD, true);
    v.setUint32(12, this.bankSize, true);
    v.setUint32(16, count, true);
    v.setUint32(RECORD - 4, crcOf(this.crc, h, RECORD - 4), true);
    this.area.program(bank * this.bankSize, h);
  }

  info(): string {
    const c = this.counters;
    return `flash area=${this.area.name} bank=${this.active} gen=${this.gen} used=${this.next}/${this.slots} appends=${c.appends} compactions=${c.compactions} erases=${c.erases} dropped=${c.dropped}`;
  }
}

function hex(r: Uint8Array): string {
  let s = '';
  for (let k = 0; k < 8; k++) s += (r[k]! < 16 ? '0' : '') + r[k]!.toString(16);
  return s.toUpperCase();
}

function sameContent(a: Uint8Array, b: Uint8Array): boolean {
  for (let k = 0; k < CONTENT; k++) if (a[k] !== b[k]) return false;
  return true;
}

function encode(b: Uint8Array, v: DataView, m: PersistedMeter): void {
  for (let k = 0; k < 8; k++) b[k] = parseInt(m.eui.slice(2 * k, 2 * k + 2), 16);
  v.setUint16(8, m.short, true);
  b[10] = STATES.indexOf(m.state);
  b[11] = KIND_METER;
  v.setUint32(12, m.profileCursorS >>> 0, true);
  v.setUint32(16, m.eventCursorS >>> 0, true);
}

function decode(r: Uint8Array): PersistedMeter {
  const v = new DataView(r.buffer, r.byteOffset, RECORD);
  return {
    eui: hex(r),
    short: v.getUint16(8, true),
    state: STATES[r[10]!]!,
    profileCursorS: v.getUint32(12, true),
    eventCursorS: v.getUint32(16, true),
  };
}
