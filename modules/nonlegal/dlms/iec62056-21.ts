// IEC 62056-21 (optical port, formerly IEC 61107) mode C helpers: sign-on, identification,
// acknowledgement/option select (incl. mode E switch to HDLC), data readout with BCC.
import { asciiBytes, asciiString } from './bytes.js';
import { DecodeError, EncodeError, NeedMoreData } from './errors.js';

export const SOH = 0x01,
  STX = 0x02,
  ETX = 0x03,
  ACK = 0x06,
  NAK = 0x15;
const CR = 0x0d,
  LF = 0x0a;

/** Baud rate identification characters for modes C and E (62056-21 6.3.14). */
export const BAUD_CHAR: Readonly<Record<string, number>> = Object.freeze({
  '0': 300,
  '1': 600,
  '2': 1200,
  '3': 2400,
  '4': 4800,
  '5': 9600,
  '6': 19200,
});

export function baudChar(baud: number): string {
  for (const [c, b] of Object.entries(BAUD_CHAR)) if (b === baud) return c;
  throw new EncodeError(`no mode C baud character for ${baud}`);
}

const MAX_LINE = 128;

function line(bytes: Uint8Array, what: string): string {
  const s = asciiString(bytes);
  const end = s.indexOf('\r\n');
  if (end < 0) {
    if (bytes.length > MAX_LINE) throw new DecodeError(what, MAX_LINE, 'no CR LF within line limit');
    throw new NeedMoreData(what, bytes.length, 1);
  }
  if (end + 2 !== s.length) throw new DecodeError(what, end + 2, 'bytes after CR LF');
  return s.slice(0, end);
}

/** Request message "/?<address>!\r\n"; address is optional (up to 32 chars). */
export function buildSignOn(address = ''): Uint8Array {
  if (address.length > 32 || !/^[0-9A-Za-z ]*$/.test(address)) throw new EncodeError('device address: up to 32 alphanumeric characters');
  return asciiBytes(`/?${address}!\r\n`) as Uint8Array;
}

export function parseSignOn(bytes: Uint8Array): { address: string } {
  const s = line(bytes, 'iec21.sign-on');
  const m = /^\/\?([0-9A-Za-z ]{0,32})!$/.exec(s);
  if (!m) throw new DecodeError('iec21.sign-on', 0, 'not /?<address>!');
  return { address: m[1] as string };
}

export interface Identification {
  /** Three-letter manufacturer id (FLAG); a lower-case third letter means 20 ms reaction time. */
  manufacturer: string;
  /** Baud rate character Z. */
  baud: string;
  /** Identification, up to 16 printable characters; may start with "\W" enhanced capability. */
  id: string;
}

/** Identification message "/XXXZ<id>\r\n". */
export function buildIdentification(i: Identification): Uint8Array {
  if (!/^[A-Za-z]{3}$/.test(i.manufacturer)) throw new EncodeError('manufacturer: three letters');
  if (!/^[0-9A-Z]$/.test(i.baud)) throw new EncodeError('baud character');
  if (i.id.length > 16 || /[/!\x00-\x1f\x7f-\uffff]/.test(i.id))
    throw new EncodeError('identification: up to 16 printable chars, no / or !');
  return asciiBytes(`/${i.manufacturer}${i.baud}${i.id}\r\n`) as Uint8Array;
}

export function parseIdentification(bytes: Uint8Array): Identification {
  const s = line(bytes, 'iec21.identification');
  const m = /^\/([A-Za-z]{3})([0-9A-Z])([^/!]{0,16})$/.exec(s);
  if (!m) throw new DecodeError('iec21.identification', 0, 'not /XXXZ<id>');
  return { manufacturer: m[1] as string, baud: m[2] as string, id: m[3] as string };
}

export interface OptionSelect {
  /** V: '0' normal protocol procedure, '1' secondary, '2' HDLC protocol procedure (mode E). */
  protocol: string;
  /** Z: baud rate character. */
  baud: string;
  /** Y: '0' data readout, '1' programming mode, '2' binary mode (HDLC). */
  mode: string;
}

/** Acknowledgement/option select "<ACK>VZY\r\n"; e.g. {protocol:'2', baud:'5', mode:'2'} switches to HDLC at 9600. */
export function buildAcknowledgement(o: OptionSelect): Uint8Array {
  if (!/^[0-9]$/.test(o.protocol) || !/^[0-9]$/.test(o.baud) || !/^[0-9]$/.test(o.mode)) throw new EncodeError('V, Z and Y are digits');
  return Uint8Array.of(ACK, o.protocol.charCodeAt(0), o.baud.charCodeAt(0), o.mode.charCodeAt(0), CR, LF);
}

export function parseAcknowledgement(bytes: Uint8Array): OptionSelect {
  if (bytes.length >= 1 && bytes[0] !== ACK) throw new DecodeError('iec21.ack', 0, 'expected ACK');
  if (bytes.length < 6) throw new NeedMoreData('iec21.ack', bytes.length, 6 - bytes.length);
  if (bytes.length > 6 || bytes[4] !== CR || bytes[5] !== LF) throw new DecodeError('iec21.ack', 4, 'expected <ACK>VZY CR LF');
  const [v, z, y] = [bytes[1], bytes[2], bytes[3]].map((c) => String.fromCharCode(c as number)) as [string, string, string];
  if (!/^[0-9]$/.test(v) || !/^[0-9]$/.test(z) || !/^[0-9]$/.test(y)) throw new DecodeError('iec21.ack', 1, 'V, Z, Y must be digits');
  return { protocol: v, baud: z, mode: y };
}

/** Block check character: XOR of all bytes after STX (or SOH) up to and including ETX. */
export function bcc(bytes: Uint8Array, start: number, end: number): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= bytes[i] as number;
  return x;
}

/** Data message "<STX>lines!\r\n<ETX><BCC>"; each line ends in CR LF. */
export function buildDataReadout(lines: string[]): Uint8Array {
  const body = lines.map((l) => l + '\r\n').join('') + '!\r\n';
  const b = asciiBytes(body);
  if (b === null) throw new EncodeError('data readout must be ASCII');
  const out = new Uint8Array(b.length + 3);
  out[0] = STX;
  out.set(b, 1);
  out[b.length + 1] = ETX;
  out[b.length + 2] = bcc(out, 1, b.length + 2);
  return out;
}

export interface DataReadoutOptions {
  /** Largest data message accepted. Default 8192 bytes. */
  maxLength?: number;
}

/** Parses a data message; returns its lines (without the "!" end line). BCC is checked. */
export function parseDataReadout(bytes: Uint8Array, options: DataReadoutOptions = {}): string[] {
  const max = options.maxLength ?? 8192;
  if (bytes.length === 0) throw new NeedMoreData('iec21.readout', 0, 1);
  if (bytes[0] !== STX) throw new DecodeError('iec21.readout', 0, 'expected STX');
  const etx = bytes.indexOf(ETX);
  if (etx < 0) {
    if (bytes.length > max) throw new DecodeError('iec21.readout', max, 'no ETX within limit');
    throw new NeedMoreData('iec21.readout', bytes.length, 2);
  }
  if (etx + 1 >= bytes.length) throw new NeedMoreData('iec21.readout.bcc', bytes.length, 1);
  if (etx + 2 !== bytes.length) throw new DecodeError('iec21.readout', etx + 2, 'bytes after BCC');
  if (bcc(bytes, 1, etx + 1) !== bytes[etx + 1]) throw new DecodeError('iec21.readout.bcc', etx + 1, 'BCC mismatch');
  const s = asciiString(bytes.subarray(1, etx));
  if (!s.endsWith('!\r\n')) throw new DecodeError('iec21.readout', etx, "missing end line '!'");
  const body = s.slice(0, -3);
  if (body === '') return [];
  if (!body.endsWith('\r\n')) throw new DecodeError('iec21.readout', etx - 3, 'line without CR LF');
  return body.slice(0, -2).split('\r\n');
}

export interface DataSet {
  /** Address, e.g. "1.8.0" or "1-0:1.8.0*255". */
  address: string;
  /** Each "(value*unit)" group of the line. */
  values: { value: string; unit?: string }[];
}

/** Formats one data set line, e.g. formatDataSet("1.8.0", "001234.567", "kWh") -> "1.8.0(001234.567*kWh)". */
export function formatDataSet(address: string, value: string, unit?: string): string {
  if (/[()*/!]/.test(address) || /[()*/!]/.test(value) || (unit !== undefined && /[()*/!]/.test(unit)))
    throw new EncodeError('reserved character in data set');
  if (value.length > 128 || (unit?.length ?? 0) > 16) throw new EncodeError('value <= 128 and unit <= 16 characters');
  return `${address}(${value}${unit !== undefined ? '*' + unit : ''})`;
}

export function parseDataSet(text: string): DataSet {
  const m = /^([^()/!]{0,32})((?:\([^()/!]*\))+)$/.exec(text);
  if (!m) throw new DecodeError('iec21.data-set', 0, `not address(value*unit): ${JSON.stringify(text.slice(0, 40))}`);
  const values: DataSet['values'] = [];
  for (const g of (m[2] as string).slice(1, -1).split(')(')) {
    const star = g.indexOf('*');
    values.push(star < 0 ? { value: g } : { value: g.slice(0, star), unit: g.slice(star + 1) });
  }
  return { address: m[1] as string, values };
}
