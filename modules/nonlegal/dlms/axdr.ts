// A-XDR codec for the COSEM "Data" type (IEC 62056-6-2 clause 4.1.5, A-XDR per IEC 61334-6).
// Length/quantity fields: one byte if < 0x80, else 0x80|n followed by n big-endian bytes.
import { ByteReader, ByteWriter, asciiBytes, asciiString, utf8Decode, utf8Encode } from './bytes.js';
import { DecodeError, EncodeError, NeedMoreData } from './errors.js';
import { AXDR_DEFAULT_MAX_DEPTH, AXDR_DEFAULT_MAX_LENGTH, DataTag } from './axdr-const.js';

export interface DateTimeValue {
  year: number; // 0xFFFF = not specified
  month: number; // 0xFF n.s., 0xFD DST end, 0xFE DST begin
  day: number; // 0xFF n.s., 0xFD second last, 0xFE last day of month
  dayOfWeek: number; // 1..7 Monday..Sunday, 0xFF n.s.
  hour: number;
  minute: number;
  second: number;
  hundredths: number; // 0xFF n.s.
  deviation: number; // minutes from local to UTC, -0x8000 n.s.
  clockStatus: number; // 0xFF n.s.
}
export type DateValue = Pick<DateTimeValue, 'year' | 'month' | 'day' | 'dayOfWeek'>;
export type TimeValue = Pick<DateTimeValue, 'hour' | 'minute' | 'second' | 'hundredths'>;

export type IntegerType = 'integer' | 'long' | 'double-long' | 'unsigned' | 'long-unsigned' | 'double-long-unsigned' | 'enum' | 'bcd';

/** Description of a compact-array element (TypeDescription, Green Book 4.1.5). */
export type TypeDescription =
  | { tag: number } // simple type, tag from DataTag
  | { tag: typeof DataTag.ARRAY; count: number; element: TypeDescription }
  | { tag: typeof DataTag.STRUCTURE; fields: TypeDescription[] };

export type DlmsData =
  | { type: 'null' }
  | { type: 'dont-care' }
  | { type: 'array'; items: DlmsData[] }
  | { type: 'structure'; items: DlmsData[] }
  | { type: 'boolean'; value: boolean }
  | { type: 'bit-string'; bitLength: number; value: Uint8Array }
  | { type: IntegerType; value: number }
  | { type: 'long64' | 'long64-unsigned'; value: bigint }
  | { type: 'float32' | 'float64'; value: number }
  | { type: 'octet-string'; value: Uint8Array }
  | { type: 'visible-string' | 'utf8-string'; value: string }
  | { type: 'date-time'; value: DateTimeValue }
  | { type: 'date'; value: DateValue }
  | { type: 'time'; value: TimeValue }
  | { type: 'compact-array'; description: TypeDescription; items: DlmsData[] };

export interface AxdrOptions {
  /** Maximum nesting of array/structure/compact-array. Default 16. */
  maxDepth?: number;
  /** Maximum byte length of a string and maximum element count of an array. Default 65535. */
  maxLength?: number;
}

// ---- length (quantity) field ----

export function writeLength(w: ByteWriter, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new EncodeError(`length ${n} out of range`);
  if (n < 0x80) w.u8(n);
  else if (n <= 0xff) w.u8(0x81).u8(n);
  else if (n <= 0xffff) w.u8(0x82).u16be(n);
  else if (n <= 0xffffff)
    w.u8(0x83)
      .u8(n >>> 16)
      .u16be(n & 0xffff);
  else w.u8(0x84).u32be(n);
}

export function encodeLength(n: number): Uint8Array {
  const w = new ByteWriter(5);
  writeLength(w, n);
  return w.finish();
}

/** Reads an A-XDR length; rejects lengths above `max` as malformed before any data is read. */
export function readLength(r: ByteReader, what: string, max: number): number {
  const at = r.pos;
  const first = r.u8(what);
  let n: number;
  if (first < 0x80) n = first;
  else {
    const k = first & 0x7f;
    if (k === 0 || k > 4) r.fail(what, `length-of-length ${k}`, at);
    n = 0;
    for (let i = 0; i < k; i++) n = n * 256 + r.u8(what);
  }
  if (n > max) r.fail(what, `length ${n} exceeds limit ${max}`, at);
  return n;
}

// ---- date/time octet-string helpers (Green Book 4.1.6.1) ----

export function encodeDateTime(v: DateTimeValue): Uint8Array {
  const w = new ByteWriter(12);
  w.u16be(v.year).u8(v.month).u8(v.day).u8(v.dayOfWeek).u8(v.hour).u8(v.minute).u8(v.second).u8(v.hundredths);
  w.u16be(v.deviation & 0xffff).u8(v.clockStatus);
  return w.finish();
}

export function decodeDateTime(b: Uint8Array, where = 0): DateTimeValue {
  if (b.length !== 12) throw new DecodeError('date-time', where, `size ${b.length}, expected 12`);
  const r = new ByteReader(b);
  const year = r.u16be('date-time');
  const [month, day, dayOfWeek, hour, minute, second, hundredths] = [0, 0, 0, 0, 0, 0, 0].map(() => r.u8('date-time')) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const dev = r.u16be('date-time');
  const clockStatus = r.u8('date-time');
  return { year, month, day, dayOfWeek, hour, minute, second, hundredths, deviation: dev >= 0x8000 ? dev - 0x10000 : dev, clockStatus };
}

// ---- encoder ----

function intRange(type: IntegerType): [number, number] {
  switch (type) {
    case 'integer':
      return [-128, 127];
    case 'long':
      return [-32768, 32767];
    case 'double-long':
      return [-2147483648, 2147483647];
    case 'unsigned':
    case 'enum':
    case 'bcd':
      return [0, 255];
    case 'long-unsigned':
      return [0, 65535];
    case 'double-long-unsigned':
      return [0, 4294967295];
  }
}

const TAG_OF: Record<DlmsData['type'], number> = {
  null: DataTag.NULL,
  'dont-care': DataTag.DONT_CARE,
  array: DataTag.ARRAY,
  structure: DataTag.STRUCTURE,
  boolean: DataTag.BOOLEAN,
  'bit-string': DataTag.BIT_STRING,
  'double-long': DataTag.DOUBLE_LONG,
  'double-long-unsigned': DataTag.DOUBLE_LONG_UNSIGNED,
  'octet-string': DataTag.OCTET_STRING,
  'visible-string': DataTag.VISIBLE_STRING,
  'utf8-string': DataTag.UTF8_STRING,
  bcd: DataTag.BCD,
  integer: DataTag.INTEGER,
  long: DataTag.LONG,
  unsigned: DataTag.UNSIGNED,
  'long-unsigned': DataTag.LONG_UNSIGNED,
  'compact-array': DataTag.COMPACT_ARRAY,
  long64: DataTag.LONG64,
  'long64-unsigned': DataTag.LONG64_UNSIGNED,
  enum: DataTag.ENUM,
  float32: DataTag.FLOAT32,
  float64: DataTag.FLOAT64,
  'date-time': DataTag.DATE_TIME,
  date: DataTag.DATE,
  time: DataTag.TIME,
};

const TYPE_OF: Record<number, DlmsData['type']> = {};
for (const [k, v] of Object.entries(TAG_OF)) TYPE_OF[v] = k as DlmsData['type'];

export function tagOf(type: DlmsData['type']): number {
  return TAG_OF[type];
}

/** An A-XDR length of 0x80 or more (0x80 | count, big-endian count bytes) at `p`; returns the end. */
function putLength(buf: Uint8Array, p: number, n: number): number {
  if (n <= 0xff) {
    buf[p] = 0x81;
    buf[p + 1] = n;
    return p + 2;
  }
  if (n <= 0xffff) {
    buf[p] = 0x82;
    buf[p + 1] = n >> 8;
    buf[p + 2] = n;
    return p + 3;
  }
  if (n <= 0xffffff) {
    buf[p] = 0x83;
    buf[p + 1] = n >> 16;
    buf[p + 2] = n >> 8;
    buf[p + 3] = n;
    return p + 4;
  }
  buf[p] = 0x84;
  buf[p + 1] = n / 0x1000000;
  buf[p + 2] = n >> 16;
  buf[p + 3] = n >> 8;
  buf[p + 4] = n;
  return p + 5;
}

export class AxdrEncoder {
  readonly maxDepth: number;
  constructor(options: AxdrOptions = {}) {
    this.maxDepth = options.maxDepth ?? AXDR_DEFAULT_MAX_DEPTH;
  }

  encode(d: DlmsData): Uint8Array {
    const w = new ByteWriter();
    this.encodeInto(w, d);
    return w.finish();
  }

  /**
   * Writes `d` (tag and value) after the bytes already in `w`. The lean path: arrays and
   * structures are walked with the open container in locals and the ones around it on two plain arrays
   * (nesting costs no XS stack and no object per level), and the usual scalars (integers, enum, boolean, null, octet-string) are
   * stored straight into the writer's own buffer (`ByteWriter.room`), its room checked once per
   * node, not per byte, and no copy made. Other types go through `body()`. Same bytes
   * and errors as `encodeReference()`, the plain walker it replaces (kept for the differential
   * test and the bench).
   */
  encodeInto(w: ByteWriter, d: DlmsData, depth = 0): void {
    const maxDepth = this.maxDepth;
    let p = w.length;
    let buf = w.room(16);
    let cap = buf.length;
    // 16- and 32-bit values through a DataView: one call costs less than four shifts and stores.
    let dv = new DataView(buf.buffer, buf.byteOffset);
    // The innermost open container in locals (items, next, count), the ones around it stacked.
    let items: DlmsData[] = [];
    let next = 0;
    let count = 0;
    const stItems: DlmsData[][] = [];
    const stNext: number[] = [];
    let sp = 0; // open containers
    let cur: DlmsData | undefined = d;
    for (;;) {
      if (cur) {
        // 16 bytes: a tag, a 5-byte length, or a tag and the widest scalar of the fast path.
        if (cap - p < 16) {
          w.length = p;
          buf = w.room(16);
          cap = buf.length;
          dv = new DataView(buf.buffer, buf.byteOffset);
        }
        const c: DlmsData = cur;
        const t = c.type;
        switch (t) {
          case 'structure':
          case 'array': {
            buf[p++] = t === 'structure' ? DataTag.STRUCTURE : DataTag.ARRAY;
            if (depth + sp >= maxDepth) throw new EncodeError('nesting exceeds maxDepth');
            const n = c.items.length;
            if (n < 0x80) buf[p++] = n;
            else p = putLength(buf, p, n);
            if (sp > 0) {
              stItems[sp - 1] = items;
              stNext[sp - 1] = next;
            }
            sp++;
            items = c.items;
            next = 0;
            count = n;
            break;
          }
          case 'double-long-unsigned': {
            const v = c.value;
            if (typeof v !== 'number' || v % 1 !== 0 || v < 0 || v > 4294967295) throw new EncodeError(`${t} ${v} out of range`);
            buf[p] = DataTag.DOUBLE_LONG_UNSIGNED;
            dv.setUint32(p + 1, v);
            p += 5;
            break;
          }
          case 'octet-string': {
            const v = c.value;
            const n = v.length;
            if (cap - p < n + 6) {
              w.length = p;
              buf = w.room(n + 6);
              cap = buf.length;
              dv = new DataView(buf.buffer, buf.byteOffset);
            }
            buf[p++] = DataTag.OCTET_STRING;
            if (n < 0x80) buf[p++] = n;
            else p = putLength(buf, p, n);
            buf.set(v, p);
            p += n;
            break;
          }
          case 'double-long': {
            const v = c.value;
            if (typeof v !== 'number' || v % 1 !== 0 || v < -2147483648 || v > 2147483647) throw new EncodeError(`${t} ${v} out of range`);
            buf[p] = DataTag.DOUBLE_LONG;
            dv.setInt32(p + 1, v);
            p += 5;
            break;
          }
          case 'long-unsigned':
          case 'long': {
            const v = c.value;
            const lo = t === 'long' ? -32768 : 0;
            if (typeof v !== 'number' || v % 1 !== 0 || v < lo || v > lo + 65535) throw new EncodeError(`${t} ${v} out of range`);
            buf[p] = t === 'long' ? DataTag.LONG : DataTag.LONG_UNSIGNED;
            dv.setUint16(p + 1, v & 0xffff);
            p += 3;
            break;
          }
          case 'unsigned':
          case 'enum':
          case 'integer': {
            const v = c.value;
            const lo = t === 'integer' ? -128 : 0;
            if (typeof v !== 'number' || v % 1 !== 0 || v < lo || v > lo + 255) throw new EncodeError(`${t} ${v} out of range`);
            buf[p] = t === 'unsigned' ? DataTag.UNSIGNED : t === 'enum' ? DataTag.ENUM : DataTag.INTEGER;
            buf[p + 1] = v;
            p += 2;
            break;
          }
          case 'boolean':
            buf[p] = DataTag.BOOLEAN;
            buf[p + 1] = c.value ? 1 : 0;
            p += 2;
            break;
          case 'null':
            buf[p++] = DataTag.NULL;
            break;
          default: {
            const one = new ByteWriter(16);
            one.u8(TAG_OF[t]);
            this.body(one, c, depth + sp);
            const b = one.finish();
            if (cap - p < b.length) {
              w.length = p;
              buf = w.room(b.length);
              cap = buf.length;
              dv = new DataView(buf.buffer, buf.byteOffset);
            }
            buf.set(b, p);
            p += b.length;
          }
        }
      }
      if (sp === 0) break;
      if (next < count) cur = items[next++];
      else {
        // This container is done: back to the one around it.
        sp--;
        cur = undefined;
        if (sp > 0) {
          items = stItems[sp - 1] as DlmsData[];
          next = stNext[sp - 1] as number;
          count = items.length;
        }
      }
    }
    w.length = p;
  }

  /**
   * The plain walker (one ByteWriter call per field, `body()` for every value): the reference the
   * lean `encodeInto()` is tested against, and the bench's "generic" row. Not used by the codecs.
   */
  encodeReference(w: ByteWriter, d: DlmsData, depth = 0): void {
    const open: { items: DlmsData[]; next: number }[] = [];
    let cur: DlmsData | undefined = d;
    for (;;) {
      if (cur) {
        w.u8(TAG_OF[cur.type]);
        if (cur.type === 'array' || cur.type === 'structure') {
          if (depth + open.length >= this.maxDepth) throw new EncodeError('nesting exceeds maxDepth');
          writeLength(w, cur.items.length);
          open.push({ items: cur.items, next: 0 });
        } else this.body(w, cur, depth + open.length);
      }
      const top = open[open.length - 1];
      if (!top) return;
      if (top.next < top.items.length) cur = top.items[top.next++] as DlmsData;
      else {
        open.pop();
        cur = undefined;
      }
    }
  }

  /** The value without its tag (as carried inside compact-array contents). */
  private body(w: ByteWriter, d: DlmsData, depth: number): void {
    switch (d.type) {
      case 'null':
      case 'dont-care':
        return;
      // encodeInto() walks containers; compact-array descriptions give arrays and structures their own shape.
      case 'array':
      case 'structure':
        throw new EncodeError('container outside encodeInto()');
      case 'boolean':
        w.u8(d.value ? 1 : 0);
        return;
      case 'bit-string': {
        const nbytes = (d.bitLength + 7) >> 3;
        if (d.value.length !== nbytes) throw new EncodeError(`bit-string of ${d.bitLength} bits needs ${nbytes} bytes`);
        writeLength(w, d.bitLength);
        w.bytes(d.value);
        return;
      }
      case 'integer':
      case 'long':
      case 'double-long':
      case 'unsigned':
      case 'long-unsigned':
      case 'double-long-unsigned':
      case 'enum':
      case 'bcd': {
        const [lo, hi] = intRange(d.type);
        if (!Number.isInteger(d.value) || d.value < lo || d.value > hi) throw new EncodeError(`${d.type} ${d.value} out of range`);
        const size = hi > 65535 ? 4 : hi > 255 ? 2 : 1;
        if (size === 1) w.u8(d.value);
        else if (size === 2) w.u16be(d.value & 0xffff);
        else w.u32be(d.value >>> 0);
        return;
      }
      case 'long64': {
        if (d.value < -(1n << 63n) || d.value >= 1n << 63n) throw new EncodeError('long64 out of range');
        w.view(8).setBigInt64(0, d.value);
        return;
      }
      case 'long64-unsigned': {
        if (d.value < 0n || d.value >= 1n << 64n) throw new EncodeError('long64-unsigned out of range');
        w.view(8).setBigUint64(0, d.value);
        return;
      }
      case 'float32':
        w.view(4).setFloat32(0, d.value);
        return;
      case 'float64':
        w.view(8).setFloat64(0, d.value);
        return;
      case 'octet-string':
        writeLength(w, d.value.length);
        w.bytes(d.value);
        return;
      case 'visible-string': {
        const b = asciiBytes(d.value);
        if (b === null) throw new EncodeError('visible-string holds a non-ASCII character');
        writeLength(w, b.length);
        w.bytes(b);
        return;
      }
      case 'utf8-string': {
        const b = utf8Encode(d.value);
        writeLength(w, b.length);
        w.bytes(b);
        return;
      }
      case 'date-time':
        w.bytes(encodeDateTime(d.value));
        return;
      case 'date':
        w.u16be(d.value.year).u8(d.value.month).u8(d.value.day).u8(d.value.dayOfWeek);
        return;
      case 'time':
        w.u8(d.value.hour).u8(d.value.minute).u8(d.value.second).u8(d.value.hundredths);
        return;
      case 'compact-array': {
        if (depth >= this.maxDepth) throw new EncodeError('nesting exceeds maxDepth');
        writeTypeDescription(w, d.description);
        const inner = new ByteWriter();
        for (const it of d.items) this.compactValue(inner, d.description, it, depth + 1);
        writeLength(w, inner.length);
        w.bytes(inner.finish());
        return;
      }
    }
  }

  private compactValue(w: ByteWriter, td: TypeDescription, d: DlmsData, depth: number): void {
    if (TAG_OF[d.type] !== td.tag) throw new EncodeError(`compact-array element ${d.type} does not match description tag ${td.tag}`);
    if (depth > this.maxDepth) throw new EncodeError('nesting exceeds maxDepth');
    if ('count' in td) {
      const items = (d as { items: DlmsData[] }).items;
      if (items.length !== td.count) throw new EncodeError('compact-array inner array count mismatch');
      for (const it of items) this.compactValue(w, td.element, it, depth + 1);
    } else if ('fields' in td) {
      const items = (d as { items: DlmsData[] }).items;
      if (items.length !== td.fields.length) throw new EncodeError('compact-array structure field count mismatch');
      td.fields.forEach((f, i) => {
        this.compactValue(w, f, items[i] as DlmsData, depth + 1);
      });
    } else this.body(w, d, depth);
  }
}

function writeTypeDescription(w: ByteWriter, td: TypeDescription): void {
  w.u8(td.tag);
  if ('count' in td) {
    w.u16be(td.count);
    writeTypeDescription(w, td.element);
  } else if ('fields' in td) {
    writeLength(w, td.fields.length);
    for (const f of td.fields) writeTypeDescription(w, f);
  }
}

// ---- decoder ----

export class AxdrDecoder {
  readonly maxDepth: number;
  readonly maxLength: number;
  constructor(options: AxdrOptions = {}) {
    this.maxDepth = options.maxDepth ?? AXDR_DEFAULT_MAX_DEPTH;
    this.maxLength = options.maxLength ?? AXDR_DEFAULT_MAX_LENGTH;
  }

  /** Decodes exactly one Data item filling `bytes`; trailing bytes are a DecodeError. */
  decode(bytes: Uint8Array): DlmsData {
    const r = new ByteReader(bytes);
    const d = this.read(r);
    if (r.remaining !== 0) r.fail('axdr.trailing', `${r.remaining} byte(s) after data`);
    return d;
  }

  /** Decodes one Data item at `offset`; returns it and the offset after it. NeedMoreData if truncated. */
  decodePrefix(bytes: Uint8Array, offset = 0): { value: DlmsData; end: number } {
    const r = new ByteReader(bytes, offset);
    const value = this.read(r);
    return { value, end: r.pos };
  }

  /**
   * Reads one tagged Data item from a reader (used by the APDU codecs). Arrays and structures are
   * walked with an explicit stack (three plain arrays), not by recursion: nesting from the wire
   * costs heap (bounded by maxDepth), never XS stack. `depth`: the nesting already around this item.
   * The lean path reads the usual scalars (integers, enum, boolean, null, octet-string with a
   * one-byte length) and the container counts straight from the bytes, with one bounds check per
   * node; anything else, and any item that is short, too long or malformed, is read again from its
   * tag by `one()`, so errors (kind, offset, text) are those of `readReference()`.
   */
  read(r: ByteReader, depth = 0): DlmsData {
    const b = r.bytes;
    const end = r.end;
    const maxDepth = this.maxDepth;
    const maxLength = this.maxLength;
    let p = r.pos;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    // The innermost open container in locals (its value, items, next index, count), the ones
    // around it stacked.
    let open: DlmsData = { type: 'null' };
    let items: DlmsData[] = [];
    let next = 0;
    let count = 0;
    const stValue: DlmsData[] = [];
    const stItems: DlmsData[][] = [];
    const stNext: number[] = [];
    const stCount: number[] = [];
    let sp = 0; // open containers
    for (;;) {
      let value: DlmsData | undefined;
      const left = end - p;
      switch (left > 0 ? b[p] : -1) {
        case DataTag.STRUCTURE:
        case DataTag.ARRAY: {
          const type = b[p] === DataTag.STRUCTURE ? 'structure' : 'array';
          if (depth + sp >= maxDepth) r.fail('axdr.' + type, `nesting exceeds maxDepth ${maxDepth}`, p);
          let n = left > 1 ? (b[p + 1] as number) : 0x80;
          if (n < 0x80 && n <= maxLength) p += 2;
          else {
            r.pos = p + 1;
            n = readLength(r, 'axdr.' + type + '.count', maxLength);
            p = r.pos;
          }
          // Elements are appended as they come (an XS `new Array(n)` filled by index costs far
          // more), so a count larger than the bytes left reserves nothing: it runs into NeedMoreData.
          const list: DlmsData[] = [];
          const container: DlmsData = { type, items: list };
          value = container;
          if (n > 0) {
            if (sp > 0) {
              stValue[sp - 1] = open;
              stItems[sp - 1] = items;
              stNext[sp - 1] = next;
              stCount[sp - 1] = count;
            }
            sp++;
            open = container;
            items = list;
            next = 0;
            count = n;
            continue;
          }
          break;
        }
        case DataTag.DOUBLE_LONG_UNSIGNED:
          if (left >= 5) {
            value = { type: 'double-long-unsigned', value: dv.getUint32(p + 1) };
            p += 5;
          }
          break;
        case DataTag.OCTET_STRING: {
          const n = left > 1 ? (b[p + 1] as number) : 0x80;
          if (n < 0x80 && n <= maxLength && left - 2 >= n) {
            value = { type: 'octet-string', value: b.slice(p + 2, p + 2 + n) };
            p += 2 + n;
          }
          break;
        }
        case DataTag.DOUBLE_LONG:
          if (left >= 5) {
            value = { type: 'double-long', value: dv.getInt32(p + 1) };
            p += 5;
          }
          break;
        case DataTag.LONG_UNSIGNED:
          if (left >= 3) {
            value = { type: 'long-unsigned', value: dv.getUint16(p + 1) };
            p += 3;
          }
          break;
        case DataTag.LONG: {
          if (left >= 3) {
            value = { type: 'long', value: dv.getInt16(p + 1) };
            p += 3;
          }
          break;
        }
        case DataTag.UNSIGNED:
          if (left >= 2) {
            value = { type: 'unsigned', value: b[p + 1] as number };
            p += 2;
          }
          break;
        case DataTag.ENUM:
          if (left >= 2) {
            value = { type: 'enum', value: b[p + 1] as number };
            p += 2;
          }
          break;
        case DataTag.INTEGER: {
          if (left >= 2) {
            const v = b[p + 1] as number;
            value = { type: 'integer', value: v >= 0x80 ? v - 0x100 : v };
            p += 2;
          }
          break;
        }
        case DataTag.BOOLEAN:
          if (left >= 2) {
            value = { type: 'boolean', value: b[p + 1] !== 0 };
            p += 2;
          }
          break;
        case DataTag.NULL:
          value = { type: 'null' };
          p += 1;
          break;
      }
      if (value === undefined) {
        // Every other type, and the fast types' short, long-form or refused items: the full rules.
        value = this.one(r, p, depth + sp);
        p = r.pos;
      }
      // Hand the value to its container; a full container is itself a value of the one around it.
      for (;;) {
        if (sp === 0) {
          r.pos = p;
          return value;
        }
        items[next++] = value;
        if (next < count) break;
        value = open;
        sp--;
        if (sp > 0) {
          open = stValue[sp - 1] as DlmsData;
          items = stItems[sp - 1] as DlmsData[];
          next = stNext[sp - 1] as number;
          count = stCount[sp - 1] as number;
        }
      }
    }
  }

  /** One item by the full rules, from its tag at `at` (every type but array and structure). */
  private one(r: ByteReader, at: number, depth: number): DlmsData {
    r.pos = at;
    const tag = r.u8('axdr.tag');
    const type = TYPE_OF[tag];
    if (type === undefined) return r.fail('axdr.tag', `unknown data tag ${tag}`, at);
    return this.body(r, type, depth, at);
  }

  /**
   * The plain walker (ByteReader calls and `body()` for every value, one object per open
   * container): the reference the lean `read()` is tested against, and the bench's "generic" row.
   * Not used by the codecs.
   */
  readReference(r: ByteReader, depth = 0): DlmsData {
    const open: { items: DlmsData[]; left: number; value: DlmsData }[] = [];
    for (;;) {
      const at = r.pos;
      const tag = r.u8('axdr.tag');
      const type = TYPE_OF[tag];
      if (type === undefined) r.fail('axdr.tag', `unknown data tag ${tag}`, at);
      let value: DlmsData;
      if (type === 'array' || type === 'structure') {
        if (depth + open.length >= this.maxDepth) r.fail('axdr.' + type, `nesting exceeds maxDepth ${this.maxDepth}`, at);
        const items: DlmsData[] = [];
        value = { type, items };
        const n = readLength(r, 'axdr.' + type + '.count', this.maxLength);
        if (n > 0) {
          open.push({ items, left: n, value });
          continue;
        }
      } else value = this.body(r, type, depth + open.length, at);
      for (;;) {
        const top = open[open.length - 1];
        if (!top) return value;
        top.items.push(value);
        if (--top.left > 0) break;
        open.pop();
        value = top.value;
      }
    }
  }

  private body(r: ByteReader, type: DlmsData['type'], depth: number, at: number): DlmsData {
    const what = 'axdr.' + type;
    switch (type) {
      case 'null':
      case 'dont-care':
        return { type };
      // read() walks containers; compact-array descriptions give arrays and structures their own shape.
      case 'array':
      case 'structure':
        return r.fail(what, 'container outside read()', at);
      case 'boolean':
        return { type, value: r.u8(what) !== 0 };
      case 'bit-string': {
        const bits = readLength(r, what + '.length', this.maxLength * 8);
        return { type, bitLength: bits, value: r.take((bits + 7) >> 3, what) };
      }
      case 'integer': {
        const v = r.u8(what);
        return { type, value: v >= 0x80 ? v - 0x100 : v };
      }
      case 'unsigned':
      case 'enum':
      case 'bcd':
        return { type, value: r.u8(what) };
      case 'long': {
        const v = r.u16be(what);
        return { type, value: v >= 0x8000 ? v - 0x10000 : v };
      }
      case 'long-unsigned':
        return { type, value: r.u16be(what) };
      case 'double-long':
        return { type, value: r.u32be(what) | 0 };
      case 'double-long-unsigned':
        return { type, value: r.u32be(what) };
      case 'long64':
        return { type, value: r.view(8, what).getBigInt64(0) };
      case 'long64-unsigned':
        return { type, value: r.view(8, what).getBigUint64(0) };
      case 'float32':
        return { type, value: r.view(4, what).getFloat32(0) };
      case 'float64':
        return { type, value: r.view(8, what).getFloat64(0) };
      case 'octet-string': {
        const n = readLength(r, what + '.length', this.maxLength);
        return { type, value: r.take(n, what) };
      }
      case 'visible-string': {
        const n = readLength(r, what + '.length', this.maxLength);
        const start = r.pos;
        const b = r.take(n, what);
        // ASCII only, as the encoder writes it: a decoded value must encode again
        for (let i = 0; i < b.length; i++) if ((b[i] as number) > 0x7f) r.fail(what, 'non-ASCII byte', start + i);
        return { type, value: asciiString(b) };
      }
      case 'utf8-string': {
        const n = readLength(r, what + '.length', this.maxLength);
        const start = r.pos;
        const s = utf8Decode(r.take(n, what));
        if (s === null) r.fail(what, 'invalid UTF-8', start);
        return { type, value: s };
      }
      case 'date-time':
        return { type, value: decodeDateTime(r.take(12, what), r.pos - 12) };
      case 'date': {
        r.need(5, what);
        return { type, value: { year: r.u16be(what), month: r.u8(what), day: r.u8(what), dayOfWeek: r.u8(what) } };
      }
      case 'time': {
        r.need(4, what);
        return { type, value: { hour: r.u8(what), minute: r.u8(what), second: r.u8(what), hundredths: r.u8(what) } };
      }
      case 'compact-array': {
        if (depth >= this.maxDepth) r.fail(what, `nesting exceeds maxDepth ${this.maxDepth}`, at);
        const description = this.readTypeDescription(r, depth + 1);
        const n = readLength(r, what + '.length', this.maxLength);
        r.need(n, what + '.contents');
        const inner = new ByteReader(r.bytes, r.pos, r.pos + n);
        r.pos += n;
        const items: DlmsData[] = [];
        const budget = { left: this.maxLength };
        try {
          while (inner.remaining > 0) {
            const before = inner.pos;
            items.push(this.compactValue(inner, description, depth + 1, budget));
            // Zero-size elements (null) would never exhaust the contents.
            if (inner.pos === before) inner.fail(what, 'element of zero size', before);
          }
        } catch (e) {
          // The contents length was known, so a short element is malformed, not "more data".
          if (e instanceof NeedMoreData) throw new DecodeError(what + '.contents', e.offset, 'element overruns contents');
          throw e;
        }
        return { type, description, items };
      }
    }
  }

  private readTypeDescription(r: ByteReader, depth: number): TypeDescription {
    const at = r.pos;
    if (depth > this.maxDepth) r.fail('axdr.type-description', 'nesting exceeds maxDepth', at);
    const tag = r.u8('axdr.type-description');
    if (tag === DataTag.ARRAY) {
      const count = r.u16be('axdr.type-description.count');
      return { tag, count, element: this.readTypeDescription(r, depth + 1) };
    }
    if (tag === DataTag.STRUCTURE) {
      const n = readLength(r, 'axdr.type-description.fields', this.maxLength);
      const fields: TypeDescription[] = [];
      for (let i = 0; i < n; i++) fields.push(this.readTypeDescription(r, depth + 1));
      return { tag, fields };
    }
    if (TYPE_OF[tag] === undefined || tag === DataTag.COMPACT_ARRAY) r.fail('axdr.type-description', `bad tag ${tag}`, at);
    return { tag };
  }

  private compactValue(r: ByteReader, td: TypeDescription, depth: number, budget: { left: number }): DlmsData {
    // Every produced value costs one unit, so nested counts cannot expand without bound.
    if (--budget.left < 0) r.fail('axdr.compact-array', `more than ${this.maxLength} values`);
    if ('count' in td) {
      const items: DlmsData[] = [];
      for (let i = 0; i < td.count; i++) items.push(this.compactValue(r, td.element, depth + 1, budget));
      return { type: 'array', items };
    }
    if ('fields' in td) return { type: 'structure', items: td.fields.map((f) => this.compactValue(r, f, depth + 1, budget)) };
    return this.body(r, TYPE_OF[td.tag] as DlmsData['type'], depth, r.pos);
  }
}

const defaultEncoder = new AxdrEncoder();
const defaultDecoder = new AxdrDecoder();

export function encodeData(d: DlmsData): Uint8Array {
  return defaultEncoder.encode(d);
}

export function decodeData(bytes: Uint8Array, options?: AxdrOptions): DlmsData {
  return (options ? new AxdrDecoder(options) : defaultDecoder).decode(bytes);
}
