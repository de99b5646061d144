// A-XDR tables: an array of structures whose fields all have a fixed size (integers, enum,
// boolean, bcd, long64, date-time / date / time, octet-strings of one length): the shape of a
// load profile's buffer, whose columns (the capture objects' types) are known. A table crosses
// between its A-XDR bytes and a flat record area (each field's wire bytes, big-endian, row after
// row) in one call, with no Data object per value: natively through GENERIC's driver "axdr"
// (drivers/axdr) where it is granted, else by the TypeScript loop below, which has the same
// results and reasons (drivers/axdr/axdr.h). The generic Data tree codec (axdr.ts) stays for
// everything else, and decodes any table this path refuses, so malformed input gets its
// DecodeError / NeedMoreData with its bounds (maxLength, maxDepth) exactly as before.
import type { AxdrTableDriver } from 'drivers/axdr/axdr';
import type { DlmsData } from './axdr.js';
import { DataTag } from './axdr-const.js';
import type { ByteWriter } from './bytes.js';
import { EncodeError } from './errors.js';
import { ApduTag, GetResponseType } from './xdlms-const.js';
import { encodeInvoke, type InvokeIdAndPriority } from './xdlms.js';

/** drivers/axdr/axdr.h reasons. */
export const TableReason = Object.freeze({
  OK: 0,
  SHORT: 1, // input ends inside the table
  SHAPE: 2, // not this table (tag, count or string length differs)
  LAYOUT: 3, // malformed column description
  ROWS: 4, // row count above the bound
  SPACE: 5, // output too small
  DEPTH: 6, // depth + 2 levels exceed maxDepth
  LENGTH: 7, // malformed length field
} as const);

/** AXDR_MAX_COLUMNS (drivers/axdr/axdr.h). */
export const TABLE_MAX_COLUMNS = 64;

/** One column: a fixed-size Data tag; an octet-string also its length (1..127). */
export interface TableColumn {
  tag: number;
  size?: number;
}

/** Value bytes of a fixed-size tag; -1 for a tag a table cannot hold. */
function fixedSize(tag: number): number {
  switch (tag) {
    case DataTag.NULL:
      return 0;
    case DataTag.BOOLEAN:
    case DataTag.BCD:
    case DataTag.INTEGER:
    case DataTag.UNSIGNED:
    case DataTag.ENUM:
      return 1;
    case DataTag.LONG:
    case DataTag.LONG_UNSIGNED:
      return 2;
    case DataTag.DOUBLE_LONG:
    case DataTag.DOUBLE_LONG_UNSIGNED:
    case DataTag.TIME:
      return 4;
    case DataTag.DATE:
      return 5;
    case DataTag.LONG64:
    case DataTag.LONG64_UNSIGNED:
      return 8;
    case DataTag.DATE_TIME:
      return 12;
  }
  return -1;
}

interface Layout {
  tags: number[];
  sizes: number[];
  recordSize: number;
  wireSize: number;
}

/** axdr_layout_parse(): the layout, or undefined when malformed. */
function parseLayout(d: Uint8Array): Layout | undefined {
  const tags: number[] = [];
  const sizes: number[] = [];
  let rec = 0;
  let wire = 2;
  let i = 0;
  while (i < d.length) {
    if (tags.length === TABLE_MAX_COLUMNS) return undefined;
    const tag = d[i++] as number;
    let size: number;
    if (tag === DataTag.OCTET_STRING) {
      size = i < d.length ? (d[i++] as number) : 0;
      if (size === 0 || size >= 0x80) return undefined;
      wire += 2 + size;
    } else {
      size = fixedSize(tag);
      if (size < 0) return undefined;
      wire += 1 + size;
    }
    tags.push(tag);
    sizes.push(size);
    rec += size;
  }
  return tags.length === 0 ? undefined : { tags, sizes, recordSize: rec, wireSize: wire };
}

function lengthSize(v: number): number {
  return v < 0x80 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffff ? 4 : 5;
}

/** axdr_table_size(): encoded bytes of `rows` rows, 0 when above 32 bits. */
function tableSize(l: Layout, rows: number): number {
  if (rows > Math.floor((0xffffffff - 6) / l.wireSize)) return 0;
  return 1 + lengthSize(rows) + rows * l.wireSize;
}

/**
 * The TypeScript table codec: drivers/axdr/axdr.c's results and reasons, for hosts without the
 * driver (Node, the STM32F405 image) and as the bench's comparison row.
 */
export const tsTable: AxdrTableDriver = {
  encode(layout, records, rows, out, at) {
    const l = parseLayout(layout);
    if (!l) return -TableReason.LAYOUT;
    if (!Number.isInteger(rows) || rows < 0 || rows > 0xffffffff) throw new RangeError('axdr: rows out of range');
    if (!Number.isInteger(at) || at < 0 || at > out.length) throw new RangeError('axdr: offset out of range');
    const total = tableSize(l, rows);
    if (total === 0 || (l.recordSize !== 0 && rows > Math.floor(records.length / l.recordSize)) || total > out.length - at)
      return -TableReason.SPACE;
    const { tags, sizes } = l;
    const cols = tags.length;
    let p = at;
    out[p++] = DataTag.ARRAY;
    const k = lengthSize(rows);
    if (k === 1) out[p++] = rows;
    else {
      out[p++] = 0x80 | (k - 1);
      for (let s = k - 1; s > 0; s--) out[p++] = Math.floor(rows / 2 ** (8 * (s - 1))) & 0xff;
    }
    let q = 0;
    for (let r = 0; r < rows; r++) {
      out[p++] = DataTag.STRUCTURE;
      out[p++] = cols;
      for (let c = 0; c < cols; c++) {
        const tag = tags[c] as number;
        const size = sizes[c] as number;
        out[p++] = tag;
        if (tag === DataTag.OCTET_STRING) out[p++] = size;
        if (tag === DataTag.BOOLEAN) out[p++] = records[q] !== 0 ? 1 : 0;
        else for (let i = 0; i < size; i++) out[p++] = records[q + i] as number;
        q += size;
      }
    }
    return p;
  },

  decode(layout, bytes, at, end, maxRows, depth, maxDepth, records, info) {
    const l = parseLayout(layout);
    info[0] = 0;
    info[1] = at;
    info[2] = at;
    if (!l) return TableReason.LAYOUT;
    if (!(end >= 0 && end <= bytes.length && at >= 0 && at <= end)) throw new RangeError('axdr: offset out of range');
    const fail = (reason: number, where: number): number => {
      info[1] = at;
      info[2] = where;
      return reason;
    };
    if (end - at < 1) return TableReason.SHORT;
    if (bytes[at] !== DataTag.ARRAY) return TableReason.SHAPE;
    if (depth >= maxDepth) return TableReason.DEPTH;
    let p = at + 1;
    if (p >= end) return fail(TableReason.SHORT, p);
    const first = bytes[p++] as number;
    let count = 0;
    if (first < 0x80) count = first;
    else {
      const k = first & 0x7f;
      if (k === 0 || k > 4) return fail(TableReason.LENGTH, at + 1);
      if (end - p < k) return fail(TableReason.SHORT, at + 1);
      for (let i = 0; i < k; i++) count = count * 256 + (bytes[p++] as number);
    }
    if (count > maxRows) return fail(TableReason.ROWS, at + 1);
    if (count > 0 && depth + 1 >= maxDepth) return fail(TableReason.DEPTH, p);
    if (l.recordSize !== 0 && count > Math.floor(records.length / l.recordSize)) return fail(TableReason.SPACE, at + 1);
    const { tags, sizes } = l;
    const cols = tags.length;
    let q = 0;
    for (let r = 0; r < count; r++) {
      if (end - p < 2) return fail(TableReason.SHORT, p);
      if (bytes[p] !== DataTag.STRUCTURE || bytes[p + 1] !== cols) return fail(TableReason.SHAPE, p);
      p += 2;
      for (let c = 0; c < cols; c++) {
        const tag = tags[c] as number;
        const size = sizes[c] as number;
        const head = tag === DataTag.OCTET_STRING ? 2 : 1;
        if (end - p < 1) return fail(TableReason.SHORT, p);
        if (bytes[p] !== tag) return fail(TableReason.SHAPE, p);
        if (head === 2) {
          if (end - p < 2) return fail(TableReason.SHORT, p);
          if (bytes[p + 1] !== size) return fail(TableReason.SHAPE, p);
        }
        if (end - p - head < size) return fail(TableReason.SHORT, p);
        p += head;
        if (tag === DataTag.BOOLEAN) records[q] = bytes[p] !== 0 ? 1 : 0;
        else for (let i = 0; i < size; i++) records[q + i] = bytes[p + i] as number;
        q += size;
        p += size;
      }
    }
    info[0] = count;
    info[1] = p;
    return TableReason.OK;
  },
};

/** Decode bounds: those of the generic decoder the table stands in for (AxdrOptions). */
export interface TableBounds {
  /** Largest row count (the generic decoder's maxLength). */
  maxRows: number;
  /** Nesting around the table. */
  depth?: number;
  maxDepth: number;
}

/** A table's columns, its record layout and the codec (native driver or TypeScript) it runs on. */
export class AxdrTable {
  /** The column description the codec reads (axdr_layout_parse()). */
  readonly layout: Uint8Array;
  readonly tags: readonly number[];
  readonly sizes: readonly number[];
  /** Byte offset of each column in a record. */
  readonly offsets: readonly number[];
  /** Bytes per record (row). */
  readonly recordSize: number;
  private readonly wireSize: number;
  private readonly longest: number;
  private readonly info = new Uint32Array(3);

  constructor(
    columns: readonly TableColumn[],
    readonly codec: AxdrTableDriver = tsTable,
  ) {
    const d: number[] = [];
    for (const c of columns) {
      d.push(c.tag);
      if (c.tag === DataTag.OCTET_STRING) d.push(c.size ?? 0);
      else if (c.size !== undefined && c.size !== fixedSize(c.tag)) throw new EncodeError(`table column tag ${c.tag}: size ${c.size}`);
    }
    this.layout = Uint8Array.from(d);
    const l = parseLayout(this.layout);
    if (!l) throw new EncodeError('table: 1..64 columns of fixed-size types (octet-string 1..127 bytes)');
    this.tags = l.tags;
    this.sizes = l.sizes;
    const offsets: number[] = [];
    let o = 0;
    for (const s of l.sizes) {
      offsets.push(o);
      o += s;
    }
    this.offsets = offsets;
    this.recordSize = l.recordSize;
    this.wireSize = l.wireSize;
    this.longest = Math.max(l.tags.length, ...l.sizes);
  }

  /** Encoded bytes of `rows` rows. */
  size(rows: number): number {
    return 1 + lengthSize(rows) + rows * this.wireSize;
  }

  /** Writes the table (array of `rows` structures from `records`) at out[at..]: the offset after it. */
  encodeAt(out: Uint8Array, at: number, records: Uint8Array, rows: number): number {
    if (!Number.isInteger(rows) || rows < 0 || rows > 0xffffff) throw new EncodeError(`table: ${rows} rows`);
    const end = this.codec.encode(this.layout, records, rows, out, at);
    if (end < 0)
      throw new EncodeError(`table: reason ${-end} (${rows} rows, ${records.length} record bytes, ${out.length - at} bytes of room)`);
    return end;
  }

  /** Writes the table after the bytes in `w`. */
  encodeInto(w: ByteWriter, records: Uint8Array, rows: number): void {
    const buf = w.room(this.size(rows));
    w.length = this.encodeAt(buf, w.length, records, rows);
  }

  /**
   * Decodes a table at bytes[at..end) into `records`: its row count and the offset after it, or
   * undefined when the bytes are not this table within the bounds (then decode them with the
   * generic AxdrDecoder, whose errors apply). A table whose lengths the generic decoder would
   * refuse (a column or string longer than maxRows, its maxLength) is left to it too.
   */
  decodePrefix(bytes: Uint8Array, at: number, end: number, records: Uint8Array, b: TableBounds): { rows: number; end: number } | undefined {
    if (this.longest > b.maxRows) return undefined;
    const info = this.info;
    const e = this.codec.decode(this.layout, bytes, at, end, b.maxRows, b.depth ?? 0, b.maxDepth, records, info);
    return e === TableReason.OK ? { rows: info[0] as number, end: info[1] as number } : undefined;
  }

  /** The rows as the generic Data tree (what the generic decoder gives for the same bytes). */
  toData(records: Uint8Array, rows: number): DlmsData {
    const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const out: DlmsData[] = [];
    let q = 0;
    for (let r = 0; r < rows; r++) {
      const fields: DlmsData[] = [];
      for (let c = 0; c < this.tags.length; c++) {
        fields.push(fieldData(this.tags[c] as number, records, dv, q, this.sizes[c] as number));
        q += this.sizes[c] as number;
      }
      out.push({ type: 'structure', items: fields });
    }
    return { type: 'array', items: out };
  }

  /** Writes a Data tree of this shape into `records`: its row count, or undefined if the shape differs. */
  fromData(d: DlmsData, records: Uint8Array): number | undefined {
    if (d.type !== 'array') return undefined;
    const cols = this.tags.length;
    if (d.items.length * this.recordSize > records.length) return undefined;
    const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
    let q = 0;
    for (const row of d.items) {
      if (row.type !== 'structure' || row.items.length !== cols) return undefined;
      for (let c = 0; c < cols; c++) {
        if (!putField(this.tags[c] as number, this.sizes[c] as number, row.items[c] as DlmsData, records, dv, q)) return undefined;
        q += this.sizes[c] as number;
      }
    }
    return d.items.length;
  }
}

const INT_TYPE: Record<number, DlmsData['type']> = {
  [DataTag.BCD]: 'bcd',
  [DataTag.INTEGER]: 'integer',
  [DataTag.UNSIGNED]: 'unsigned',
  [DataTag.ENUM]: 'enum',
  [DataTag.LONG]: 'long',
  [DataTag.LONG_UNSIGNED]: 'long-unsigned',
  [DataTag.DOUBLE_LONG]: 'double-long',
  [DataTag.DOUBLE_LONG_UNSIGNED]: 'double-long-unsigned',
};

function fieldData(tag: number, rec: Uint8Array, dv: DataView, q: number, size: number): DlmsData {
  switch (tag) {
    case DataTag.NULL:
      return { type: 'null' };
    case DataTag.BOOLEAN:
      return { type: 'boolean', value: rec[q] !== 0 };
    case DataTag.BCD:
    case DataTag.UNSIGNED:
    case DataTag.ENUM:
      return { type: INT_TYPE[tag] as 'unsigned', value: dv.getUint8(q) };
    case DataTag.INTEGER:
      return { type: 'integer', value: dv.getInt8(q) };
    case DataTag.LONG:
      return { type: 'long', value: dv.getInt16(q) };
    case DataTag.LONG_UNSIGNED:
      return { type: 'long-unsigned', value: dv.getUint16(q) };
    case DataTag.DOUBLE_LONG:
      return { type: 'double-long', value: dv.getInt32(q) };
    case DataTag.DOUBLE_LONG_UNSIGNED:
      return { type: 'double-long-unsigned', value: dv.getUint32(q) };
    case DataTag.LONG64:
      return { type: 'long64', value: dv.getBigInt64(q) };
    case DataTag.LONG64_UNSIGNED:
      return { type: 'long64-unsigned', value: dv.getBigUint64(q) };
    case DataTag.DATE_TIME: {
      const dev = dv.getInt16(q + 9);
      return {
        type: 'date-time',
        value: {
          year: dv.getUint16(q),
          month: rec[q + 2] as number,
          day: rec[q + 3] as number,
          dayOfWeek: rec[q + 4] as number,
          hour: rec[q + 5] as number,
          minute: rec[q + 6] as number,
          second: rec[q + 7] as number,
          hundredths: rec[q + 8] as number,
          deviation: dev,
          clockStatus: rec[q + 11] as number,
        },
      };
    }
    case DataTag.DATE:
      return {
        type: 'date',
        value: { year: dv.getUint16(q), month: rec[q + 2] as number, day: rec[q + 3] as number, dayOfWeek: rec[q + 4] as number },
      };
    case DataTag.TIME:
      return {
        type: 'time',
        value: { hour: rec[q] as number, minute: rec[q + 1] as number, second: rec[q + 2] as number, hundredths: rec[q + 3] as number },
      };
  }
  return { type: 'octet-string', value: rec.slice(q, q + size) };
}

function putField(tag: number, size: number, d: DlmsData, rec: Uint8Array, dv: DataView, q: number): boolean {
  switch (d.type) {
    case 'null':
      return tag === DataTag.NULL;
    case 'boolean':
      if (tag !== DataTag.BOOLEAN) return false;
      rec[q] = d.value ? 1 : 0;
      return true;
    case 'octet-string':
      if (tag !== DataTag.OCTET_STRING || d.value.length !== size) return false;
      rec.set(d.value, q);
      return true;
    case 'long64':
    case 'long64-unsigned':
      if (tag !== (d.type === 'long64' ? DataTag.LONG64 : DataTag.LONG64_UNSIGNED)) return false;
      if (d.type === 'long64' ? BigInt.asIntN(64, d.value) !== d.value : BigInt.asUintN(64, d.value) !== d.value) return false;
      dv.setBigUint64(q, BigInt.asUintN(64, d.value));
      return true;
    case 'date-time': {
      if (tag !== DataTag.DATE_TIME) return false;
      const v = d.value;
      dv.setUint16(q, v.year);
      rec.set([v.month, v.day, v.dayOfWeek, v.hour, v.minute, v.second, v.hundredths], q + 2);
      dv.setUint16(q + 9, v.deviation & 0xffff);
      rec[q + 11] = v.clockStatus;
      return true;
    }
    case 'date':
      if (tag !== DataTag.DATE) return false;
      dv.setUint16(q, d.value.year);
      rec.set([d.value.month, d.value.day, d.value.dayOfWeek], q + 2);
      return true;
    case 'time':
      if (tag !== DataTag.TIME) return false;
      rec.set([d.value.hour, d.value.minute, d.value.second, d.value.hundredths], q);
      return true;
  }
  if (!(d.type in INT_BY_TYPE) || INT_BY_TYPE[d.type] !== tag) return false;
  const v = (d as { value: number }).value;
  const lo = tag === DataTag.INTEGER ? -128 : tag === DataTag.LONG ? -32768 : tag === DataTag.DOUBLE_LONG ? -2147483648 : 0;
  if (!Number.isInteger(v) || v < lo || v >= lo + 2 ** (8 * size)) return false;
  if (size === 1) rec[q] = v & 0xff;
  else if (size === 2) dv.setUint16(q, v & 0xffff);
  else dv.setUint32(q, v >>> 0);
  return true;
}

const INT_BY_TYPE: Record<string, number> = {};
for (const [tag, type] of Object.entries(INT_TYPE)) INT_BY_TYPE[type] = Number(tag);

/**
 * A GET.response-normal (Green Book 9.5) whose data is a table: the whole APDU, in one buffer of
 * its exact size (the bytes encodeApdu() gives for the same rows as a Data tree).
 */
export function encodeGetResponseTable(invoke: InvokeIdAndPriority, table: AxdrTable, records: Uint8Array, rows: number): Uint8Array {
  const out = new Uint8Array(4 + table.size(rows));
  out[0] = ApduTag.GET_RESPONSE;
  out[1] = GetResponseType.NORMAL;
  out[2] = encodeInvoke(invoke);
  out[3] = 0; // Get-Data-Result: data
  table.encodeAt(out, 4, records, rows);
  return out;
}

/**
 * A GET.response-normal whose data is exactly this table: its invoke byte and row count, or
 * undefined for any other APDU (then decodeApdu() it: its DecodeError / NeedMoreData apply).
 */
export function decodeGetResponseTable(
  bytes: Uint8Array,
  table: AxdrTable,
  records: Uint8Array,
  b: TableBounds,
): { invoke: number; rows: number } | undefined {
  if (bytes.length < 5 || bytes[0] !== ApduTag.GET_RESPONSE || bytes[1] !== GetResponseType.NORMAL || bytes[3] !== 0) return undefined;
  const r = table.decodePrefix(bytes, 4, bytes.length, records, b);
  return r && r.end === bytes.length ? { invoke: bytes[2] as number, rows: r.rows } : undefined;
}
