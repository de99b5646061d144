// The DLMS codecs' byte helpers: the shared ones, plus text conversions for XS (no
// TextEncoder).
import { ByteWriter } from '../../generic/shared/bytes.js';
export { ByteReader, ByteWriter, concat, bytesEqual, toHex, fromHex } from '../../generic/shared/bytes.js';

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
  let s = '';
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
    else if (c < 0x10000)
      w.u8(0xe0 | (c >> 12))
        .u8(0x80 | ((c >> 6) & 0x3f))
        .u8(0x80 | (c & 0x3f));
    else
      w.u8(0xf0 | (c >> 18))
        .u8(0x80 | ((c >> 12) & 0x3f))
        .u8(0x80 | ((c >> 6) & 0x3f))
        .u8(0x80 | (c & 0x3f));
  }
  return w.finish();
}

/** Strict UTF-8 decode; returns null on any invalid sequence (caller reports where). */
export function utf8Decode(b: Uint8Array): string | null {
  let s = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let cp: number, n: number, min: number;
    if (c < 0x80) {
      s += String.fromCharCode(c);
      i++;
      continue;
    } else if ((c & 0xe0) === 0xc0) {
      cp = c & 0x1f;
      n = 1;
      min = 0x80;
    } else if ((c & 0xf0) === 0xe0) {
      cp = c & 0x0f;
      n = 2;
      min = 0x800;
    } else if ((c & 0xf8) === 0xf0) {
      cp = c & 0x07;
      n = 3;
      min = 0x10000;
    } else return null;
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
