// Profile generic (class 7, version 1), Blue Book 4.3.6. The buffer lives in the legal part and is
// read through an injected ProfileBuffer; selective access by range (selector 1) and entry (2).
// A buffer whose columns have fixed-size types (ProfileBuffer.table: the meter's load profile)
// is also read as flat records and encoded by the A-XDR table codec (dlms/axdr-table.ts: the
// native driver "axdr" where granted): encoded() gives the same bytes as encodeData(read()).
import type { AccessSelection } from '../dlms/xdlms.js';
import type { DlmsData } from '../dlms/axdr.js';
import { DataTag } from '../dlms/axdr-const.js';
import { AxdrTable, type TableColumn } from '../dlms/axdr-table.js';
import type { AxdrTableDriver } from 'drivers/axdr/axdr';
import { ActionResult, DataAccessResult } from '../dlms/xdlms-const.js';
import { ClassId } from './cosem-const.js';
import { arr, dateTimeKey, en, items, lnKey, nul, num, sortKey, st, u32 } from './data.js';
import { CosemObject, captureData, captureOf, type CaptureDef, type Rights } from './objects.js';

type Maybe<T> = T | Promise<T>;

export interface ProfileBuffer {
  /** Entries in use. */
  count(): Maybe<number>;
  /** Entries first .. first+n-1 (0 = oldest), each as one value per capture object. */
  read(first: number, n: number): Maybe<DlmsData[][]>;
  reset?(): Maybe<boolean>;
  capture?(): Maybe<boolean>;
  /** The same entries as fixed-size records, for the A-XDR table codec; absent: Data only. */
  table?: ProfileRecords;
}

/** A buffer's entries as records: each column's A-XDR value bytes (big-endian), entry after entry. */
export interface ProfileRecords {
  /** One per capture object, in capture order: the types read() gives. */
  readonly columns: readonly TableColumn[];
  /** The table codec: the native driver where granted, else tsTable. */
  readonly codec: AxdrTableDriver;
  /**
   * Writes entries first .. first+n-1 (0 = oldest) into `out` (room for n records): the entries
   * written, or -1 when a value does not fit its column (the Data path then answers the read).
   */
  records(first: number, n: number, out: Uint8Array): Maybe<number>;
}

/** A parsed buffer selection: entries first..last, the columns, and the range filter on column key. */
interface Query {
  first: number;
  last: number;
  cols: number[] | undefined;
  key: number;
  lo: number;
  hi: number;
}

export interface ProfileOptions {
  buffer: ProfileBuffer;
  capture: CaptureDef[];
  /** capture_period in seconds (0 = asynchronous). */
  period: number;
  /** profile_entries (depth). */
  depth: number;
  /** Called when a client changes capture_period; false refuses. */
  onPeriod?(seconds: number): Maybe<boolean>;
  /** Largest number of entries returned by one GET (bounds memory). Default 1024. */
  maxRows?: number;
}

const CHUNK = 16; // entries read from the provider at a time

export class ProfileGeneric extends CosemObject {
  readonly classId: number = ClassId.PROFILE_GENERIC;
  override readonly version: number = 1;
  readonly attrCount: number = 8;
  override readonly methodCount = 2;
  period: number;
  constructor(
    ln: string | Uint8Array,
    rights: Rights,
    private readonly opts: ProfileOptions,
  ) {
    super(ln, rights);
    this.period = opts.period;
  }
  override selectors(a: number): readonly number[] | undefined {
    return a === 2 ? [1, 2] : undefined;
  }
  protected async read(a: number, _ctx: unknown, sel?: AccessSelection): Promise<DlmsData | number> {
    const o = this.opts;
    switch (a) {
      case 2:
        return this.buffer(sel);
      case 3:
        return arr(o.capture.map(captureData));
      case 4:
        return u32(this.period);
      case 5:
        return en(1); // fifo
      case 6:
        return captureData({ classId: 0, ln: new Uint8Array(6), attr: 0, dataIndex: 0 }); // no sort object
      case 7:
        return u32(await o.buffer.count());
      case 8:
        return u32(o.depth);
    }
    return DataAccessResult.OBJECT_UNDEFINED;
  }
  override async set(a: number, v: DlmsData): Promise<number> {
    const n = num(v);
    if (a !== 4) return DataAccessResult.READ_WRITE_DENIED;
    if (v.type !== 'double-long-unsigned' || n === undefined) return DataAccessResult.TYPE_UNMATCHED;
    if (this.opts.onPeriod && !(await this.opts.onPeriod(n))) return DataAccessResult.OTHER_REASON;
    this.period = n;
    return 0;
  }
  override async act(m: number): Promise<number> {
    const b = this.opts.buffer;
    const f = m === 1 ? b.reset : m === 2 ? b.capture : undefined;
    return f && (await f.call(b)) ? 0 : ActionResult.OTHER_REASON;
  }

  private column(d: CaptureDef | undefined): number {
    return d
      ? this.opts.capture.findIndex(
          (c) => c.classId === d.classId && lnKey(c.ln) === lnKey(d.ln) && c.attr === d.attr && c.dataIndex === d.dataIndex,
        )
      : -1;
  }

  /** The selection of a buffer read (range_descriptor / entry_descriptor, Blue Book 4.3.6). */
  private async query(sel?: AccessSelection): Promise<Query | number> {
    const total = await this.opts.buffer.count();
    let first = 0,
      last = total - 1,
      cols: number[] | undefined,
      key = -1,
      lo = 0,
      hi = 0;
    const p = items(sel?.parameters);
    if (sel) {
      if (!p || sel.parameters.type !== 'structure') return DataAccessResult.TYPE_UNMATCHED;
      if (sel.selector === 1) {
        key = this.column(captureOf(p[0]));
        const from = sortKey(p[1]),
          to = sortKey(p[2]),
          want = items(p[3]);
        if (key < 0 || from === undefined || to === undefined || p[3]?.type !== 'array' || !want) return DataAccessResult.TYPE_UNMATCHED;
        [lo, hi] = [from, to];
        if (want.length > 0) {
          cols = want.map((w) => this.column(captureOf(w)));
          if (cols.includes(-1)) return DataAccessResult.TYPE_UNMATCHED;
        }
      } else {
        const fe = num(p[0]),
          te = num(p[1]),
          fv = num(p[2]),
          tv = num(p[3]);
        if (fe === undefined || te === undefined || fv === undefined || tv === undefined) return DataAccessResult.TYPE_UNMATCHED;
        first = Math.max(fe, 1) - 1;
        last = te === 0 ? total - 1 : Math.min(te, total) - 1;
        const nc = this.opts.capture.length,
          c0 = Math.max(fv, 1) - 1,
          c1 = tv === 0 ? nc - 1 : Math.min(tv, nc) - 1;
        if (c0 > c1) return DataAccessResult.TYPE_UNMATCHED;
        cols = [];
        for (let c = c0; c <= c1; c++) cols.push(c);
      }
    }
    return { first, last, cols, key, lo, hi };
  }

  /** Buffer, whole or selected, as Data. */
  private async buffer(sel?: AccessSelection): Promise<DlmsData | number> {
    const q = await this.query(sel);
    if (typeof q === 'number') return q;
    const { first, last, cols, key, lo, hi } = q;
    const b = this.opts.buffer,
      max = this.opts.maxRows ?? 1024;
    const out: DlmsData[] = [];
    for (let i = first; i <= last; i += CHUNK) {
      const rows = await b.read(i, Math.min(CHUNK, last - i + 1));
      for (const r of rows) {
        if (key >= 0) {
          const k = sortKey(r[key]);
          if (k === undefined || k < lo || k > hi) continue;
        }
        if (out.length >= max) return DataAccessResult.OTHER_REASON;
        out.push(st(...(cols ? cols.map((c) => r[c] ?? nul) : r)));
      }
      if (rows.length === 0) break;
    }
    return arr(out);
  }

  /**
   * Attribute 2 (buffer) as A-XDR bytes through the table codec: encodeData() of what get()
   * answers, or undefined where the buffer has no records or the read is not a plain success (an
   * error, a row or value the table cannot hold): then get() answers it, with its errors.
   */
  override async encoded(a: number, _ctx: unknown, sel?: AccessSelection): Promise<Uint8Array | undefined> {
    const t = this.opts.buffer.table;
    if (a !== 2 || !t || t.columns.length !== this.opts.capture.length) return undefined;
    if (sel && !this.selectors(a)?.includes(sel.selector)) return undefined;
    const q = await this.query(sel);
    if (typeof q === 'number') return undefined;
    const { first, last, cols, key, lo, hi } = q;
    this.all ??= new AxdrTable(t.columns, t.codec);
    const all = this.all;
    const keyOf = key >= 0 ? recordKey(all, key) : undefined;
    if (key >= 0 && !keyOf) return undefined;
    const pick = cols
      ? new AxdrTable(
          cols.map((c) => t.columns[c] as TableColumn),
          t.codec,
        )
      : all;
    const max = this.opts.maxRows ?? 1024,
      rs = all.recordSize,
      ps = pick.recordSize;
    const room = Math.max(0, Math.min(last - first + 1, max));
    const rec = new Uint8Array(room * ps);
    let n = 0;
    if (!cols && !keyOf) {
      // every column of entries first..last: the records straight into the table's area
      if (last - first + 1 > max) return undefined; // get() answers (OTHER_REASON past maxRows)
      for (let i = first; i <= last; i += CHUNK) {
        const got = await t.records(i, Math.min(CHUNK, last - i + 1), rec.subarray(n * rs));
        if (got < 0) return undefined;
        if (got === 0) break;
        n += got;
      }
      return this.encodeTable(all, rec, n);
    }
    const chunk = new Uint8Array(CHUNK * rs);
    for (let i = first; i <= last; i += CHUNK) {
      const got = await t.records(i, Math.min(CHUNK, last - i + 1), chunk);
      if (got < 0) return undefined;
      for (let r = 0; r < got; r++) {
        const at = r * rs;
        if (keyOf) {
          const k = keyOf(chunk, at);
          if (k < lo || k > hi) continue;
        }
        if (n >= max) return undefined; // get() answers OTHER_REASON
        if (!cols) rec.set(chunk.subarray(at, at + rs), n * ps);
        else {
          let o = n * ps;
          for (const c of cols) {
            const from = at + (all.offsets[c] as number),
              size = all.sizes[c] as number;
            rec.set(chunk.subarray(from, from + size), o);
            o += size;
          }
        }
        n++;
      }
      if (got === 0) break;
    }
    return this.encodeTable(pick, rec, n);
  }
  private encodeTable(t: AxdrTable, rec: Uint8Array, rows: number): Uint8Array {
    const out = new Uint8Array(t.size(rows));
    t.encodeAt(out, 0, rec, rows);
    return out;
  }
  private all: AxdrTable | undefined;
}

/** sortKey() of a record's column, from its bytes: date-times and 8..32-bit integers; else undefined. */
function recordKey(t: AxdrTable, c: number): ((rec: Uint8Array, at: number) => number) | undefined {
  const tag = t.tags[c] as number,
    off = t.offsets[c] as number;
  if (tag === DataTag.OCTET_STRING && t.sizes[c] === 12)
    return (r, at) => {
      const p = at + off;
      return dateTimeKey({
        year: ((r[p] as number) << 8) | (r[p + 1] as number),
        month: r[p + 2] as number,
        day: r[p + 3] as number,
        dayOfWeek: r[p + 4] as number,
        hour: r[p + 5] as number,
        minute: r[p + 6] as number,
        second: r[p + 7] as number,
        hundredths: r[p + 8] as number,
        deviation: 0,
        clockStatus: 0,
      });
    };
  const signed = tag === DataTag.INTEGER || tag === DataTag.LONG || tag === DataTag.DOUBLE_LONG;
  const size =
    tag === DataTag.INTEGER || tag === DataTag.UNSIGNED || tag === DataTag.ENUM || tag === DataTag.BCD
      ? 1
      : tag === DataTag.LONG || tag === DataTag.LONG_UNSIGNED
        ? 2
        : tag === DataTag.DOUBLE_LONG || tag === DataTag.DOUBLE_LONG_UNSIGNED
          ? 4
          : 0;
  if (size === 0) return undefined;
  return (r, at) => {
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + (r[at + off + i] as number);
    return signed && v >= 2 ** (8 * size - 1) ? v - 2 ** (8 * size) : v;
  };
}
