// Small constructors and readers for COSEM Data values (keeps object code short on XS).
import type { DateTimeValue, DlmsData, IntegerType } from '../dlms/axdr.js';
import { decodeDateTime, encodeDateTime } from '../dlms/axdr.js';
import { parseObis } from '../dlms/obis.js';

export const nul: DlmsData = { type: 'null' };
export const u8 = (value: number): DlmsData => ({ type: 'unsigned', value });
export const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
export const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
export const i8 = (value: number): DlmsData => ({ type: 'integer', value });
export const i16 = (value: number): DlmsData => ({ type: 'long', value });
export const en = (value: number): DlmsData => ({ type: 'enum', value });
export const bool = (value: boolean): DlmsData => ({ type: 'boolean', value });
export const os = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
export const st = (...items: DlmsData[]): DlmsData => ({ type: 'structure', items });
export const arr = (items: DlmsData[]): DlmsData => ({ type: 'array', items });
/** COSEM date-time attributes are octet-string(12) (Blue Book 4.1.6.1). */
export const dt = (v: DateTimeValue): DlmsData => os(encodeDateTime(v));

export function int(type: IntegerType, value: number): DlmsData {
  return { type, value };
}

/** Integer value of any integer-typed Data, else undefined. */
export function num(d: DlmsData | undefined): number | undefined {
  if (!d) return undefined;
  switch (d.type) {
    case 'integer':
    case 'long':
    case 'double-long':
    case 'unsigned':
    case 'long-unsigned':
    case 'double-long-unsigned':
    case 'enum':
    case 'bcd':
      return d.value;
    case 'long64':
    case 'long64-unsigned':
      return Number(d.value);
    default:
      return undefined;
  }
}

export function octets(d: DlmsData | undefined): Uint8Array | undefined {
  return d && d.type === 'octet-string' ? d.value : undefined;
}

export function items(d: DlmsData | undefined): DlmsData[] | undefined {
  return d && (d.type === 'structure' || d.type === 'array') ? d.items : undefined;
}

/** Date-time from an octet-string(12) or a date-time Data, undefined otherwise. */
export function dateTimeOf(d: DlmsData | undefined): DateTimeValue | undefined {
  if (!d) return undefined;
  if (d.type === 'date-time') return d.value;
  if (d.type === 'octet-string' && d.value.length === 12) return decodeDateTime(d.value);
  return undefined;
}

/** Sortable key of a date-time (local fields; "not specified" fields sort as their raw value). */
export function dateTimeKey(v: DateTimeValue): number {
  return ((((v.year * 13 + v.month) * 32 + v.day) * 24 + v.hour) * 60 + v.minute) * 60 + v.second;
}

/** Sort key of a restricting value: date-times by dateTimeKey, numbers as they are. */
export function sortKey(d: DlmsData | undefined): number | undefined {
  const t = dateTimeOf(d);
  return t ? dateTimeKey(t) : num(d);
}

export function obis(x: string | Uint8Array): Uint8Array {
  return typeof x === 'string' ? parseObis(x) : x;
}

export function lnKey(ln: Uint8Array): string {
  return ln.join('.');
}
