// Head-end link codec (docs/headend.md): frames with CRC-32 and resynchronisation after
// garbage, the messages (batch, alarm, ack, hello) and the record encoding inside a batch.
// Runs on XS (the concentrator) and on Node (tools/headend/, tests): no host API here.
import { DecodeError, NeedMoreData } from '../../../generic/shared/errors.js';
import type { UplinkAlarm, UplinkRecord } from './records.js';
import {
  ALARM_SIZE,
  BODY_MAX,
  ENC_DEFLATE,
  ENC_RAW,
  FRAME_OVERHEAD,
  KIND_BALANCE,
  KIND_EVENT,
  KIND_PROFILE,
  KIND_REGISTER,
  MSG_ACK,
  MSG_ALARM,
  MSG_BATCH,
  MSG_HELLO,
  RECORD_HEAD,
  SYNC0,
  SYNC1,
  VALUES_MAX,
} from './wire-const.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32/IEEE; check value of "123456789" is 0xCBF43926. */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ (data[i] as number)) & 0xff] as number);
  return (crc ^ 0xffffffff) >>> 0;
}

export function encodeFrame(body: Uint8Array): Uint8Array {
  if (body.length === 0 || body.length > BODY_MAX) throw new RangeError(`frame body 1..${BODY_MAX} bytes`);
  const f = new Uint8Array(body.length + FRAME_OVERHEAD);
  f[0] = SYNC0;
  f[1] = SYNC1;
  f[2] = body.length >> 8;
  f[3] = body.length & 255;
  f.set(body, 4);
  const c = crc32(f, 2, 4 + body.length);
  const v = new DataView(f.buffer);
  v.setUint32(4 + body.length, c);
  return f;
}

export interface FrameCounters {
  frames: number;
  /** bytes skipped while looking for a frame start */
  garbage: number;
  badCrc: number;
  /** length field 0 or above the reader's maxBody */
  badLength: number;
}

/**
 * Splits a byte stream into frame bodies. A bad length or CRC discards the first sync byte
 * only, so a frame that starts inside the garbage is still found. The buffer never holds more
 * than one maximal frame (maxBody + 8 bytes) plus one chunk pushed.
 */
export class FrameReader {
  readonly counters: FrameCounters = { frames: 0, garbage: 0, badCrc: 0, badLength: 0 };
  #buf: Uint8Array;
  #len = 0;
  readonly maxBody: number;
  constructor(maxBody: number = BODY_MAX) {
    if (!(maxBody >= 1 && maxBody <= BODY_MAX)) throw new RangeError(`maxBody 1..${BODY_MAX}`);
    this.maxBody = maxBody;
    this.#buf = new Uint8Array(maxBody + FRAME_OVERHEAD);
  }

  /** Feeds bytes; returns the complete frame bodies found, in order. */
  push(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < bytes.length) {
      const room = this.#buf.length - this.#len;
      const n = Math.min(room, bytes.length - i);
      this.#buf.set(bytes.subarray(i, i + n), this.#len);
      this.#len += n;
      i += n;
      this.#scan(out);
    }
    return out;
  }

  #drop(n: number): void {
    this.#buf.copyWithin(0, n, this.#len);
    this.#len -= n;
  }

  #scan(out: Uint8Array[]): void {
    const b = this.#buf;
    for (;;) {
      // find SYNC0 SYNC1
      let s = 0;
      while (s < this.#len && !(b[s] === SYNC0 && (s + 1 >= this.#len || b[s + 1] === SYNC1))) s++;
      if (s > 0) {
        this.counters.garbage += s;
        this.#drop(s);
      }
      if (this.#len < 4) return;
      const length = ((b[2] as number) << 8) | (b[3] as number);
      if (length === 0 || length > this.maxBody) {
        this.counters.badLength++;
        this.counters.garbage++;
        this.#drop(1);
        continue;
      }
      if (this.#len < length + FRAME_OVERHEAD) return;
      const got =
        (((b[4 + length] as number) << 24) |
          ((b[5 + length] as number) << 16) |
          ((b[6 + length] as number) << 8) |
          (b[7 + length] as number)) >>>
        0;
      if (got !== crc32(b, 2, 4 + length)) {
        this.counters.badCrc++;
        this.counters.garbage++;
        this.#drop(1);
        continue;
      }
      out.push(b.slice(4, 4 + length));
      this.counters.frames++;
      this.#drop(length + FRAME_OVERHEAD);
    }
  }
}

// ---- messages ----

export type Message =
  | { type: 'batch'; id: number; encoding: number; rawLength: number; data: Uint8Array }
  | { type: 'alarm'; id: number; alarm: UplinkAlarm }
  | { type: 'ack'; id: number; status: number }
  | { type: 'hello' };

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} u32`);
  return v;
}
function u16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} u16`);
  return v;
}

export function encodeMessage(m: Message): Uint8Array {
  switch (m.type) {
    case 'batch': {
      const b = new Uint8Array(8 + m.data.length);
      const v = new DataView(b.buffer);
      b[0] = MSG_BATCH;
      v.setUint32(1, u32(m.id, 'batch id'));
      if (m.encoding !== ENC_RAW && m.encoding !== ENC_DEFLATE) throw new RangeError('batch encoding');
      b[5] = m.encoding;
      v.setUint16(6, u16(m.rawLength, 'batch rawLength'));
      b.set(m.data, 8);
      return b;
    }
    case 'alarm': {
      const b = new Uint8Array(5 + ALARM_SIZE);
      b[0] = MSG_ALARM;
      new DataView(b.buffer).setUint32(1, u32(m.id, 'alarm id'));
      encodeAlarm(m.alarm, b, 5);
      return b;
    }
    case 'ack': {
      const b = new Uint8Array(6);
      b[0] = MSG_ACK;
      new DataView(b.buffer).setUint32(1, u32(m.id, 'ack id'));
      b[5] = m.status & 255;
      return b;
    }
    case 'hello':
      return Uint8Array.of(MSG_HELLO);
  }
}

export function decodeMessage(b: Uint8Array): Message {
  if (b.length < 1) throw new DecodeError('headend.type', 0, 'empty');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const need = (n: number, what: string) => {
    if (b.length < n) throw new DecodeError(what, b.length, `need ${n} bytes`);
  };
  switch (b[0]) {
    case MSG_BATCH: {
      need(8, 'headend.batch');
      const encoding = b[5] as number;
      if (encoding !== ENC_RAW && encoding !== ENC_DEFLATE) throw new DecodeError('headend.batch.encoding', 5, String(encoding));
      return { type: 'batch', id: v.getUint32(1), encoding, rawLength: v.getUint16(6), data: b.slice(8) };
    }
    case MSG_ALARM:
      if (b.length !== 5 + ALARM_SIZE) throw new DecodeError('headend.alarm', b.length, `length ${5 + ALARM_SIZE}`);
      return { type: 'alarm', id: v.getUint32(1), alarm: decodeAlarm(b, 5) };
    case MSG_ACK:
      if (b.length !== 6) throw new DecodeError('headend.ack', b.length, 'length 6');
      return { type: 'ack', id: v.getUint32(1), status: b[5] as number };
    case MSG_HELLO:
      if (b.length !== 1) throw new DecodeError('headend.hello', b.length, 'length 1');
      return { type: 'hello' };
    default:
      throw new DecodeError('headend.type', 0, String(b[0]));
  }
}

// ---- records ----

const HEX = '0123456789ABCDEF';

/** 16 hex digits (either case) to 8 bytes; throws RangeError otherwise. */
export function meterBytes(meter: string, out: Uint8Array, at: number): void {
  if (typeof meter !== 'string' || meter.length !== 16) throw new RangeError('meter: EUI-64, 16 hex digits');
  for (let i = 0; i < 8; i++) {
    const h = HEX.indexOf(meter.charAt(2 * i).toUpperCase());
    const l = HEX.indexOf(meter.charAt(2 * i + 1).toUpperCase());
    if (h < 0 || l < 0) throw new RangeError('meter: EUI-64, 16 hex digits');
    out[at + i] = (h << 4) | l;
  }
}
export function meterString(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) {
    const x = b[at + i] as number;
    s += HEX.charAt(x >> 4) + HEX.charAt(x & 15);
  }
  return s;
}
export function obisBytes(obis: string, out: Uint8Array, at: number): void {
  const p = typeof obis === 'string' ? obis.split('.') : [];
  if (p.length !== 6) throw new RangeError("obis: 'a.b.c.d.e.f'");
  for (let i = 0; i < 6; i++) {
    const s = p[i] as string;
    const n = /^[0-9]{1,3}$/.test(s) ? Number(s) : -1;
    if (!(n >= 0 && n <= 255)) throw new RangeError("obis: 'a.b.c.d.e.f', each 0..255");
    out[at + i] = n;
  }
}
export function obisString(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}.${b[at + 4]}.${b[at + 5]}`;
}

const KINDS = ['profile', 'register', 'event', 'balance'] as const;

export function recordSize(r: UplinkRecord): number {
  return RECORD_HEAD + 8 * r.values.length;
}

/** Checks a record before it is queued (RangeError naming the field). */
export function checkRecord(r: UplinkRecord): void {
  if (!(KINDS as readonly string[]).includes(r.kind)) throw new RangeError('kind');
  const scratch = new Uint8Array(8);
  meterBytes(r.meter, scratch, 0);
  obisBytes(r.obis, scratch, 0);
  u32(r.captureS, 'captureS');
  if (!Array.isArray(r.values) || r.values.length > VALUES_MAX) throw new RangeError(`values: 0..${VALUES_MAX} numbers`);
  for (const x of r.values) if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError('values: finite numbers');
}

/** count u16 | records (RECORD_HEAD + 8 n bytes each) */
export function encodeRecords(rs: readonly UplinkRecord[]): Uint8Array {
  let size = 2;
  for (const r of rs) size += recordSize(r);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint16(0, u16(rs.length, 'record count'));
  let at = 2;
  for (const r of rs) {
    checkRecord(r);
    b[at] = r.kind === 'profile' ? KIND_PROFILE : r.kind === 'register' ? KIND_REGISTER : r.kind === 'event' ? KIND_EVENT : KIND_BALANCE;
    meterBytes(r.meter, b, at + 1);
    obisBytes(r.obis, b, at + 9);
    v.setUint32(at + 15, r.captureS);
    b[at + 19] = r.values.length;
    at += RECORD_HEAD;
    for (const x of r.values) {
      v.setFloat64(at, x);
      at += 8;
    }
  }
  return b;
}

export function decodeRecords(b: Uint8Array, maxRecords = 0xffff): UplinkRecord[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 2) throw new NeedMoreData('headend.records.count', 0, 2 - b.length);
  const count = v.getUint16(0);
  if (count > maxRecords) throw new DecodeError('headend.records.count', 0, `${count} > ${maxRecords}`);
  const out: UplinkRecord[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (b.length < at + RECORD_HEAD) throw new DecodeError('headend.record', at, 'truncated');
    const kind = KINDS[b[at] as number];
    if (!kind) throw new DecodeError('headend.record.kind', at, String(b[at]));
    const n = b[at + 19] as number;
    if (b.length < at + RECORD_HEAD + 8 * n) throw new DecodeError('headend.record.values', at + RECORD_HEAD, 'truncated');
    const values: number[] = [];
    for (let k = 0; k < n; k++) {
      const x = v.getFloat64(at + RECORD_HEAD + 8 * k);
      if (!Number.isFinite(x)) throw new DecodeError('headend.record.value', at + RECORD_HEAD + 8 * k, 'not finite');
      values.push(x);
    }
    out.push({ kind, meter: meterString(b, at + 1), obis: obisString(b, at + 9), captureS: v.getUint32(at + 15), values });
    at += RECORD_HEAD + 8 * n;
  }
  if (at !== b.length) throw new DecodeError('headend.records', at, `${b.length - at} trailing bytes`);
  return out;
}

export function encodeAlarm(a: UplinkAlarm, b: Uint8Array, at: number): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  meterBytes(a.meter, b, at);
  v.setUint16(at + 8, u16(a.code, 'alarm code'));
  v.setUint32(at + 10, u32(a.eventS, 'alarm eventS'));
  v.setUint32(at + 14, u32(a.receivedS, 'alarm receivedS'));
  v.setUint16(at + 18, Math.min(0xffff, u32(a.count, 'alarm count')));
}

export function decodeAlarm(b: Uint8Array, at: number): UplinkAlarm {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    meter: meterString(b, at),
    code: v.getUint16(at + 8),
    eventS: v.getUint32(at + 10),
    receivedS: v.getUint32(at + 14),
    count: v.getUint16(at + 18),
  };
}
