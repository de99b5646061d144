// Byte helpers shared by every part's codecs (no Buffer, no TextEncoder: XS). Network order
// (big-endian) for 6LoWPAN, LOADng, LBP, EAP, DLMS; little-endian for 802.15.4 MAC fields.
// Under generic/shared/, so any part may import it: the classes are hardened (instances are
// each codec's own).
import { DecodeError, NeedMoreData, seal } from './errors.js';

export class ByteReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
  need(n: number, what: string): void {
    if (this.end - this.pos < n) throw new NeedMoreData(what, this.pos, n - (this.end - this.pos));
  }
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++] as number;
  }
  peek(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos] as number;
  }
  u16be(what: string): number {
    this.need(2, what);
    const b = this.bytes,
      p = this.pos;
    this.pos += 2;
    return ((b[p] as number) << 8) | (b[p + 1] as number);
  }
  u16le(what: string): number {
    this.need(2, what);
    const b = this.bytes,
      p = this.pos;
    this.pos += 2;
    return (b[p] as number) | ((b[p + 1] as number) << 8);
  }
  u32be(what: string): number {
    const hi = this.u16be(what);
    return ((hi << 16) | this.u16be(what)) >>> 0;
  }
  u32le(what: string): number {
    const lo = this.u16le(what);
    return ((this.u16le(what) << 16) | lo) >>> 0;
  }
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** A view over the next n bytes (floats, 64-bit integers). */
  view(n: number, what: string): DataView {
    this.need(n, what);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, n);
    this.pos += n;
    return v;
  }
  /** 802.15.4 extended address: 8 bytes least significant first on the wire, returned EUI-64 order. */
  extLe(what: string): Uint8Array {
    return this.take(8, what).reverse();
  }
  rest(): Uint8Array {
    const out = this.bytes.slice(this.pos, this.end);
    this.pos = this.end;
    return out;
  }
  fail(what: string, detail?: string, at = this.pos): never {
    throw new DecodeError(what, at, detail);
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  length = 0;
  constructor(initial = 64) {
    this.buf = new Uint8Array(initial);
  }
  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): this {
    this.grow(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16be(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u16le(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32be(v: number): this {
    return this.u16be(v >>> 16).u16be(v & 0xffff);
  }
  u32le(v: number): this {
    return this.u16le(v & 0xffff).u16le(v >>> 16);
  }
  bytes(b: Uint8Array | readonly number[]): this {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  /**
   * Room for n more bytes: returns the buffer, for a codec that stores bytes at `length` itself
   * and then sets `length` past them. The buffer is replaced when it grows: take it again.
   */
  room(n: number): Uint8Array {
    this.grow(n);
    return this.buf;
  }
  /** Reserve n bytes and return a DataView over them (floats, 64-bit integers). */
  view(n: number): DataView {
    this.grow(n);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.length, n);
    this.length += n;
    return v;
  }
  extLe(eui64: Uint8Array): this {
    for (let i = 7; i >= 0; i--) this.u8(eui64[i] ?? 0);
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

const HEX = '0123456789abcdef';
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += (HEX[x >> 4] as string) + (HEX[x & 15] as string);
  return s;
}

/** Hex to bytes; whitespace ignored. Throws DecodeError on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  const s = hex.replace(/\s+/g, '');
  if (s.length % 2 !== 0) throw new DecodeError('hex', s.length, 'odd number of digits');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = s.slice(i * 2, i * 2 + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw new DecodeError('hex', i * 2, 'not a hex digit');
    out[i] = parseInt(pair, 16);
  }
  return out;
}

seal(ByteReader);
seal(ByteWriter);
