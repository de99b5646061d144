// The concentrator's storage classes on the SPI NOR (docs/dc-storage.md), each on flash areas of
// the manifest's table (owner nonlegal):
// - RecordLog: a ring of 4 KB sectors holding CRC'd records with a sequence number. Bulk profiles
//   (area "profiles") append in batches (records gathered in RAM, programmed together); the event
//   journal (area "events": meter events and alarms) programs each record as it comes. Sectors are
//   used round-robin, so erases spread over the area; the oldest sector is erased only when every
//   record in it is acknowledged, or when its newest record is older than the retention (the
//   records lost are counted). A log full of unacknowledged records refuses appends (counted).
// - MirroredCounters: the acknowledged pointers, the boot count and the shutdown marker as a
//   32-byte record appended to two areas in turn ("counters-a", "counters-b": different sectors);
//   the valid copy with the highest generation wins, so a cut in one write leaves the other.
// Sector header (16 bytes, little-endian): magic "DCL1", sector generation (u32, +1 per sector
// opened), seq of its first record (u32), CRC-32 of 0..11. Records follow from byte 16:
//   length u16 (whole record), type u8 (1 record, 2 alarm), 0x52, seq u32, time u32 (unix s:
//   capture or event time), body, CRC-32 of everything before it.
// A record is never programmed over: a torn one closes its sector (appends go on in the next).
import type { FlashArea } from 'drivers/spinor/flash';
import { type Crc32, crcOf } from '../../generic/shared/nvrecord.js';

export const LOG_MAGIC = 0x314c_4344; // "DCL1"
export const COUNTERS_MAGIC = 0x3153_4344; // "DCS1"
export const SECTOR_HEAD = 16;
export const RECORD_HEAD = 12;
export const TYPE_RECORD = 1,
  TYPE_ALARM = 2;
const MARK = 0x52;

export interface LogCounters {
  /** records appended (accepted) since boot */
  appends: number;
  /** programs (one per batch) and bytes programmed since boot */
  programs: number;
  bytes: number;
  erases: number;
  /** appends refused: every sector holds unacknowledged records younger than the retention */
  full: number;
  /** unacknowledged records erased past the retention */
  expired: number;
  /** torn or corrupt records and sector headers found */
  dropped: number;
}

export interface LogRecord {
  seq: number;
  type: number;
  timeS: number;
  body: Uint8Array;
}

const u32le = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

export class RecordLog {
  readonly counters: LogCounters = { appends: 0, programs: 0, bytes: 0, erases: 0, full: 0, expired: 0, dropped: 0 };
  readonly sectors: number;
  /** Generation of each sector's header (-1: not in use) and the seq of its first record. */
  private readonly gen: number[];
  private readonly first: number[];
  private head = -1;
  private pos = SECTOR_HEAD;
  private closed = false;
  private headGen = 0;
  /** Next seq to assign; seqs below `flushed` are programmed. */
  private seq = 1;
  private flushed = 1;
  /** Records (or parts of them) acknowledged: seq <= acked may be erased. */
  acked = 0;
  private readonly pending: Uint8Array;
  private pendingLen = 0;
  private readonly sector: Uint8Array;
  /** The reader: the next record to hand out (sector, offset, seq). */
  private rs = -1;
  private rpos = SECTOR_HEAD;
  private rseq = 1;

  /**
   * batchBytes: records gathered before a program (0: each record programmed at once, a journal);
   * retentionS: an unacknowledged record older than this may be erased when its sector is needed.
   */
  constructor(
    private readonly area: FlashArea,
    private readonly crc: Crc32,
    readonly batchBytes: number,
    readonly retentionS: number,
    private readonly nowS: () => number,
  ) {
    const es = area.eraseSize;
    this.sectors = Math.floor(area.size / es);
    if (this.sectors < 2 || batchBytes > es - SECTOR_HEAD || area.writeAlign !== 1)
      throw new RangeError(`flash ${area.name}: 2 sectors at least, batch below a sector, byte writes`);
    this.gen = new Array<number>(this.sectors).fill(-1);
    this.first = new Array<number>(this.sectors).fill(0);
    this.pending = new Uint8Array(Math.max(batchBytes, es - SECTOR_HEAD));
    this.sector = new Uint8Array(es);
  }

  get name(): string {
    return this.area.name;
  }
  /** The seq the next append gets. */
  get nextSeq(): number {
    return this.seq;
  }
  /** Sectors holding records. */
  get used(): number {
    return this.gen.filter((g) => g >= 0).length;
  }
  /** Records held (acknowledged or not) and those not acknowledged. */
  get records(): number {
    let oldest = this.seq;
    for (let i = 0; i < this.sectors; i++) if (this.gen[i]! >= 0 && this.first[i]! < oldest) oldest = this.first[i]!;
    return this.seq - oldest;
  }
  get unacked(): number {
    return Math.max(0, this.seq - 1 - this.acked);
  }

  private sealed(b: Uint8Array, n: number): boolean {
    return u32le(b, n) === crcOf(this.crc, b, n);
  }

  /** Reads the sector headers, finds the head and its end; acked comes from the counters. */
  load(acked: number): void {
    const h = new Uint8Array(SECTOR_HEAD),
      es = this.area.eraseSize;
    this.head = -1;
    this.acked = acked;
    for (let i = 0; i < this.sectors; i++) {
      this.area.read(i * es, h);
      this.gen[i] = -1;
      if (h.every((x) => x === 0xff)) continue;
      if (u32le(h, 0) !== LOG_MAGIC || !this.sealed(h, 12)) {
        this.counters.dropped++;
        continue;
      }
      this.gen[i] = u32le(h, 4);
      this.first[i] = u32le(h, 8);
      if (this.head < 0 || this.gen[i]! > this.headGen) [this.head, this.headGen] = [i, this.gen[i]!];
    }
    this.seq = acked + 1;
    this.pos = SECTOR_HEAD;
    this.closed = false;
    if (this.head >= 0) {
      const end = this.scan(this.head, () => {});
      this.pos = end.pos;
      this.closed = end.torn;
      this.seq = Math.max(this.seq, end.seq);
    }
    this.flushed = this.seq;
    this.seek(acked + 1);
  }

  /**
   * Walks the records of a sector (read whole); calls each(record) for the valid ones. Returns
   * where the valid records end, the seq after the last, and whether something not blank follows.
   */
  private scan(s: number, each: (r: LogRecord) => void): { pos: number; seq: number; torn: boolean } {
    const b = this.sector,
      es = this.area.eraseSize;
    this.area.read(s * es, b);
    let at = SECTOR_HEAD,
      seq = this.first[s]!;
    while (at + RECORD_HEAD + 4 <= es) {
      if (b[at] === 0xff && b[at + 1] === 0xff && b[at + 2] === 0xff && b[at + 3] === 0xff) return { pos: at, seq, torn: false };
      const len = b[at]! | (b[at + 1]! << 8);
      const r = b.subarray(at, at + len);
      if (len < RECORD_HEAD + 4 || at + len > es || b[at + 3] !== MARK || !this.sealed(r, len - 4)) {
        this.counters.dropped++;
        return { pos: at, seq, torn: true };
      }
      seq = u32le(b, at + 4) + 1;
      each({ seq: seq - 1, type: b[at + 2]!, timeS: u32le(b, at + 8), body: r.subarray(RECORD_HEAD, len - 4) });
      at += len;
    }
    return { pos: at, seq, torn: false };
  }

  /** The in-use sector after s in ring order, or -1. */
  private after(s: number): number {
    for (let k = 1; k < this.sectors; k++) {
      const i = (s + k) % this.sectors;
      if (this.gen[i]! >= 0) return i;
    }
    return -1;
  }

  /** The in-use sector holding seq (the newest with first <= seq), or -1. */
  private sectorOf(seq: number): number {
    let best = -1;
    for (let i = 0; i < this.sectors; i++)
      if (this.gen[i]! >= 0 && this.first[i]! <= seq && (best < 0 || this.gen[i]! > this.gen[best]!)) best = i;
    return best;
  }

  /** Puts the reader at the first record with a seq >= seq. */
  seek(seq: number): void {
    this.rseq = seq;
    this.rs = this.sectorOf(seq);
    this.rpos = SECTOR_HEAD;
    if (this.rs < 0) {
      // older than every sector: from the oldest one
      let oldest = -1;
      for (let i = 0; i < this.sectors; i++) if (this.gen[i]! >= 0 && (oldest < 0 || this.gen[i]! < this.gen[oldest]!)) oldest = i;
      this.rs = oldest;
    }
  }

  /** The seq of the next record the reader hands out (the first not read). */
  get readSeq(): number {
    return this.rseq;
  }

  /** The next programmed record at or after the reader, or undefined at the end. */
  read(): LogRecord | undefined {
    const es = this.area.eraseSize,
      h = new Uint8Array(RECORD_HEAD);
    while (this.rs >= 0 && this.rseq < this.flushed) {
      if (this.rpos + RECORD_HEAD + 4 <= es) {
        this.area.read(this.rs * es + this.rpos, h);
        const len = h[0]! | (h[1]! << 8);
        if (!(h[0] === 0xff && h[1] === 0xff && h[2] === 0xff && h[3] === 0xff)) {
          if (len >= RECORD_HEAD + 4 && this.rpos + len <= es && h[3] === MARK) {
            const r = new Uint8Array(len);
            this.area.read(this.rs * es + this.rpos, r);
            if (this.sealed(r, len - 4)) {
              this.rpos += len;
              const seq = u32le(r, 4);
              if (seq < this.rseq) continue;
              this.rseq = seq + 1;
              return { seq, type: r[2]!, timeS: u32le(r, 8), body: r.subarray(RECORD_HEAD, len - 4) };
            }
          }
        }
      }
      // the end of this sector (blank, torn or full): the next one
      if (this.rs === this.head) break;
      const n = this.after(this.rs);
      if (n < 0 || this.gen[n]! < this.gen[this.rs]!) break;
      this.rs = n;
      this.rpos = SECTOR_HEAD;
      if (this.first[n]! > this.rseq) this.rseq = this.first[n]!;
    }
    return undefined;
  }

  /**
   * Appends one record (programmed at the next flush: at once for a journal, when the batch is
   * full otherwise); its seq, or -1 when refused (the log is full of records to keep).
   */
  append(type: number, timeS: number, body: Uint8Array): number {
    const len = RECORD_HEAD + body.length + 4,
      es = this.area.eraseSize;
    if (len > es - SECTOR_HEAD) throw new RangeError(`flash ${this.area.name}: record of ${len} bytes`);
    if (!(this.head >= 0 && !this.closed && this.pos + this.pendingLen + len <= es)) {
      this.flush();
      const next = (this.head + 1) % this.sectors;
      if (!this.reclaimable(next)) {
        this.counters.full++;
        return -1;
      }
      this.open(next);
    }
    const p = this.pending,
      at = this.pendingLen,
      seq = this.seq;
    p[at] = len & 0xff;
    p[at + 1] = len >> 8;
    p[at + 2] = type;
    p[at + 3] = MARK;
    const v = new DataView(p.buffer, p.byteOffset + at, len);
    v.setUint32(4, seq, true);
    v.setUint32(8, timeS >>> 0, true);
    p.set(body, at + RECORD_HEAD);
    v.setUint32(len - 4, crcOf(this.crc, p.subarray(at, at + len), len - 4), true);
    this.pendingLen += len;
    this.seq++;
    this.counters.appends++;
    if (this.pendingLen >= this.batchBytes) this.flush();
    return seq;
  }

  /** Programs the records gathered (they fit the head sector: append checked it). */
  flush(): void {
    if (!this.pendingLen) return;
    const n = this.pendingLen;
    this.pendingLen = 0;
    const at = this.pos;
    this.pos += n;
    this.counters.programs++;
    this.counters.bytes += n;
    this.area.program(this.head * this.area.eraseSize + at, this.pending.subarray(0, n));
    this.flushed = this.seq;
  }

  get pendingBytes(): number {
    return this.pendingLen;
  }

  /** The sector may be (re)used: free, or all acknowledged, or its newest record past the retention. */
  private reclaimable(s: number): boolean {
    if (this.gen[s]! < 0) return true;
    const n = this.after(s);
    const last = (n >= 0 && n !== s ? this.first[n]! : this.seq) - 1;
    if (last <= this.acked) return true;
    let newest = 0;
    this.scan(s, (r) => {
      if (r.timeS > newest) newest = r.timeS;
    });
    if (newest + this.retentionS >= this.nowS()) return false;
    this.counters.expired += last - Math.max(this.acked, this.first[s]! - 1);
    this.acked = last; // lost past the retention: counted, not waited for
    if (this.rs === s) this.seek(last + 1);
    return true;
  }

  /** Erases sector s (unless blank) and programs its header: the records from seq on go there. */
  private open(s: number): void {
    const es = this.area.eraseSize;
    this.area.read(s * es, this.sector);
    const wasReader = this.rs === s;
    this.gen[s] = -1;
    if (!this.sector.every((x) => x === 0xff)) {
      this.area.erase(s * es);
      this.counters.erases++;
    }
    const h = new Uint8Array(SECTOR_HEAD),
      v = new DataView(h.buffer);
    v.setUint32(0, LOG_MAGIC, true);
    v.setUint32(4, this.headGen + 1, true);
    v.setUint32(8, this.seq, true);
    v.setUint32(12, crcOf(this.crc, h, 12), true);
    this.area.program(s * es, h);
    this.counters.programs++;
    this.counters.bytes += SECTOR_HEAD;
    this.headGen++;
    this.gen[s] = this.headGen;
    this.first[s] = this.seq;
    this.head = s;
    this.pos = SECTOR_HEAD;
    this.closed = false;
    if (wasReader || this.rs < 0) {
      this.rs = s;
      this.rpos = SECTOR_HEAD;
      if (this.rseq < this.seq) this.rseq = this.seq;
    }
  }
}

/** What the counters record holds. */
export interface StoreState {
  profilesAcked: number;
  eventsAcked: number;
  boots: number;
  /** The shutdown marker: the last stop flushed everything after a power-loss signal. */
  clean: boolean;
}

export const COUNTERS_RECORD = 32;

/**
 * Counters and pointers as mirrored records: each save appends the record (generation + 1) to
 * area a, then to area b; an area that is full is erased first (the other still holds the
 * newest copy). At load the valid copy of the highest generation wins.
 * Record (32 bytes, little-endian): magic "DCS1", generation u32, profiles acked u32, events acked
 * u32, boots u32, flags u8 (bit 0: clean stop), 0 x 7, CRC-32 of 0..27.
 */
export class MirroredCounters {
  gen = 0;
  erases = 0;
  dropped = 0;
  programs = 0;
  private readonly next = [0, 0];
  private readonly slots: number[];

  constructor(
    private readonly areas: readonly [FlashArea, FlashArea],
    private readonly crc: Crc32,
  ) {
    this.slots = areas.map((a) => Math.floor(a.size / COUNTERS_RECORD));
  }

  load(): StoreState | undefined {
    let best: StoreState | undefined;
    this.gen = 0;
    const r = new Uint8Array(COUNTERS_RECORD);
    this.areas.forEach((a, k) => {
      this.next[k] = 0;
      const b = new Uint8Array(a.eraseSize);
      for (let s = 0; s < a.size; s += a.eraseSize) {
        a.read(s, b);
        for (let at = 0; at < a.eraseSize; at += COUNTERS_RECORD) {
          r.set(b.subarray(at, at + COUNTERS_RECORD));
          if (r.every((x) => x === 0xff)) continue;
          this.next[k] = (s + at) / COUNTERS_RECORD + 1;
          if (u32le(r, 0) !== COUNTERS_MAGIC || u32le(r, 28) !== crcOf(this.crc, r, 28)) {
            this.dropped++;
            continue;
          }
          const g = u32le(r, 4);
          if (g >= this.gen) {
            this.gen = g;
            best = { profilesAcked: u32le(r, 8), eventsAcked: u32le(r, 12), boots: u32le(r, 16), clean: (r[20]! & 1) === 1 };
          }
        }
      }
    });
    return best;
  }

  save(st: StoreState): void {
    const r = new Uint8Array(COUNTERS_RECORD),
      v = new DataView(r.buffer);
    v.setUint32(0, COUNTERS_MAGIC, true);
    v.setUint32(4, this.gen + 1, true);
    v.setUint32(8, st.profilesAcked >>> 0, true);
    v.setUint32(12, st.eventsAcked >>> 0, true);
    v.setUint32(16, st.boots >>> 0, true);
    r[20] = st.clean ? 1 : 0;
    v.setUint32(28, crcOf(this.crc, r, 28), true);
    this.areas.forEach((a, k) => {
      if (this.next[k]! >= this.slots[k]!) {
        for (let s = 0; s < a.size; s += a.eraseSize) {
          a.erase(s);
          this.erases++;
        }
        this.next[k] = 0;
      }
      a.program(this.next[k]! * COUNTERS_RECORD, r);
      this.programs++;
      this.next[k]!++;
    });
    this.gen++;
  }
}
