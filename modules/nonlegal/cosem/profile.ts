// Profile generic (class 7, version 1), Blue Book 4.3.6. The buffer lives in the legal part and is
// read through an injected ProfileBuffer; selective access by range (selector 1) and entry (2).
import type { AccessSelection } from '../dlms/xdlms.js';
import type { DlmsData } from '../dlms/axdr.js';
import { ActionResult, DataAccessResult } from '../dlms/xdlms-const.js';
import { ClassId } from './cosem-const.js';
import { arr, en, items, lnKey, nul, num, sortKey, st, u32 } from './data.js';
import { CosemObject, captureData, captureOf, type CaptureDef, type Rights } from './objects.js';

type Maybe<T> = T | Promise<T>;

export interface ProfileBuffer {
  /** Entries in use. */
  count(): Maybe<number>;
  /** Entries first .. first+n-1 (0 = oldest), each as one value per capture object. */
  read(first: number, n: number): Maybe<DlmsData[][]>;
  reset?(): Maybe<boolean>;
  capture?(): Maybe<boolean>;
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

  /** Buffer, whole or selected (range_descriptor / entry_descriptor, Blue Book 4.3.6). */
  private async buffer(sel?: AccessSelection): Promise<DlmsData | number> {
    const b = this.opts.buffer,
      max = this.opts.maxRows ?? 1024;
    const total = await b.count();
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
}
