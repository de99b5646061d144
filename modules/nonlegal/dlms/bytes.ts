// Byte helpers for XS: no Buffer, no TextEncoder. Only Uint8Array/DataView.
import { DecodeError, NeedMoreData } from "./errors.js";

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
  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes, p = this.pos;
    this.pos += 2;
    return ((b[p] as number) << 8) | (b[p + 1] as number);
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes, p = this.pos;
    this.pos += 4;
    return (((b[p] as number) << 24) | ((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number)) >>> 0;
  }
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  view(n: number, what: string): DataView {
    this.need(n, what);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, n);
    this.pos += n;
    return v;
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
  u16(v: number): this {
    this.grow(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.grow(4);
    this.buf[this.length++] = (v >>> 24) & 0xff;
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  bytes(b: Uint8Array | readonly number[]): this {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  /** Reserve n bytes and return a DataView over them (for floats, 64-bit ints). */
  view(n: number): DataView {
    this.grow(n);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.length, n);
    this.length += n;
    return v;
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
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Hex to bytes; whitespace ignored. Throws DecodeError on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  const s = hex.replace(/\s+/g, "");
  if (s.length % 2 !== 0) throw new DecodeError("hex", s.length, "odd number of digits");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = s.slice(i * 2, i * 2 + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw new DecodeError("hex", i * 2, "not a hex digit");
    out[i] = parseInt(pair, 16);
  }
  return out;
}

export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += ((b[i] as number) < 16 ? "0" : "") + (b[i] as number).toString(16);
  return s.toUpperCase();
}

/** ASCII (7-bit) string to bytes; characters above 0x7E are rejected with null. */
export function asciiBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return null;
    out[i] = c;
  }
  return out;
}

export function asciiString(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

export function utf8Encode(s: string): Uint8Array {
  const w = new ByteWriter(s.length + 8);
  for (let i = 0; i < s.length; i++) {
    let c = s.codePointAt(i) as number;
    if (c > 0xffff) i++;
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
    if (c < 0x80) w.u8(c);
    else if (c < 0x800) w.u8(0xc0 | (c >> 6)).u8(0x80 | (c & 0x3f));
    else if (c < 0x10000) w.u8(0xe0 | (c >> 12)).u8(0x80 | ((c >> 6) & 0x3f)).u8(0x80 | (c & 0x3f));
    else w.u8(0xf0 | (c >> 18)).u8(0x80 | ((c >> 12) & 0x3f)).u8(0x80 | ((c >> 6) & 0x3f)).u8(0x80 | (c & 0x3f));
  }
  return w.finish();
}

/** Strict UTF-8 decode; returns null on any invalid sequence (caller reports where). */
export function utf8Decode(b: Uint8Array): string | null {
  let s = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let cp: number, n: number, min: number;
    if (c < 0x80) { s += String.fromCharCode(c); i++; continue; }
    else if ((c & 0xe0) === 0xc0) { cp = c & 0x1f; n = 1; min = 0x80; }
    else if ((c & 0xf0) === 0xe0) { cp = c & 0x0f; n = 2; min = 0x800; }
    else if ((c & 0xf8) === 0xf0) { cp = c & 0x07; n = 3; min = 0x10000; }
    else return null;
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    s += String.fromCodePoint(cp);
    i += n + 1;
  }
  return s;
}
