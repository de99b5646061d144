// OBIS codes (IEC 62056-6-1): six value groups A..F, each 0..255, carried as 6 bytes.
import { DecodeError } from './errors.js';

/**
 * Parses "1.0.1.8.0.255" (dotted) or the display form "1-0:1.8.0*255" / "1-0:1.8.0.255".
 * In the display form a missing F defaults to 255 ("1-0:1.8.0").
 * Throws DecodeError on anything else.
 */
export function parseObis(text: string): Uint8Array {
  const s = text.trim();
  let parts: string[];
  let m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m) parts = m.slice(1);
  else {
    m = /^(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[*.&](\d{1,3}))?$/.exec(s);
    if (!m) throw new DecodeError('obis.text', 0, `not an OBIS code: ${JSON.stringify(text)}`);
    parts = m.slice(1, 6).concat([m[6] ?? '255']);
  }
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const v = Number(parts[i]);
    if (v > 255) throw new DecodeError('obis.text', i, `group ${'ABCDEF'[i]} = ${v} > 255`);
    out[i] = v;
  }
  return out;
}

/** Formats 6 bytes as "A.B.C.D.E.F". */
export function formatObis(b: Uint8Array): string {
  if (b.length !== 6) throw new DecodeError('obis.bytes', 0, `size ${b.length}, expected 6`);
  return Array.from(b).join('.');
}

/** Formats 6 bytes in the display form "A-B:C.D.E*F". */
export function formatObisDisplay(b: Uint8Array): string {
  if (b.length !== 6) throw new DecodeError('obis.bytes', 0, `size ${b.length}, expected 6`);
  return `${b[0]}-${b[1]}:${b[2]}.${b[3]}.${b[4]}*${b[5]}`;
}
