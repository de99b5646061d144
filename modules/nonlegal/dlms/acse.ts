// ACSE APDUs (AARQ, AARE, RLRQ, RLRE), BER encoded, as profiled by the Green Book (9.4.2, 11.x)
// for DLMS/COSEM. xDLMS user-information is carried as raw bytes (decode with decodeApdu).
import { ByteReader, ByteWriter } from './bytes.js';
import { EncodeError, NeedMoreData } from './errors.js';
import { ApduTag, DLMS_UA_OID_PREFIX } from './xdlms-const.js';

export interface Aarq {
  kind: 'aarq';
  /** ApplicationContext id (1 LN, 3 LN with ciphering, ...). */
  applicationContext: number;
  /** calling-AP-title: the client system title (with ciphering / HLS). */
  callingApTitle?: Uint8Array;
  callingAeInvocationId?: number;
  /** sender-acse-requirements: the authentication functional unit is requested. */
  authentication?: boolean;
  /** Mechanism id (0 lowest, 1 low, 5 HLS-GMAC, ...). */
  mechanism?: number;
  /** calling-authentication-value: LLS password or HLS challenge CtoS (charstring). */
  authenticationValue?: Uint8Array;
  /** xDLMS InitiateRequest (or glo-initiateRequest) bytes. */
  userInformation?: Uint8Array;
}

export interface Aare {
  kind: 'aare';
  applicationContext: number;
  result: number;
  /** Which ACSE diagnostic CHOICE: service-user [1] or service-provider [2]. */
  diagnosticSource: 'user' | 'provider';
  diagnostic: number;
  respondingApTitle?: Uint8Array;
  respondingAeInvocationId?: number;
  authentication?: boolean;
  mechanism?: number;
  /** responding-authentication-value: HLS challenge StoC. */
  authenticationValue?: Uint8Array;
  userInformation?: Uint8Array;
}

export interface Rlrq {
  kind: 'rlrq';
  reason?: number;
  userInformation?: Uint8Array;
}
export interface Rlre {
  kind: 'rlre';
  reason?: number;
  userInformation?: Uint8Array;
}
export type AcseApdu = Aarq | Aare | Rlrq | Rlre;

export interface AcseOptions {
  /** Largest BER length accepted. Default 65535. */
  maxLength?: number;
}

// ---- BER primitives ----

function berLength(w: ByteWriter, n: number): void {
  if (n < 0x80) w.u8(n);
  else if (n <= 0xff) w.u8(0x81).u8(n);
  else if (n <= 0xffff) w.u8(0x82).u16be(n);
  else throw new EncodeError(`BER length ${n} too large`);
}

function tlv(w: ByteWriter, tag: number, value: Uint8Array): void {
  w.u8(tag);
  berLength(w, value.length);
  w.bytes(value);
}

function build(f: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  f(w);
  return w.finish();
}

function readBerLength(r: ByteReader, what: string, max: number): number {
  const at = r.pos;
  const b = r.u8(what);
  if (b < 0x80) return b;
  const k = b & 0x7f;
  if (k === 0) r.fail(what, 'indefinite length not allowed', at);
  if (k > 3) r.fail(what, `length-of-length ${k}`, at);
  let n = 0;
  for (let i = 0; i < k; i++) n = n * 256 + r.u8(what);
  if (n > max) r.fail(what, `length ${n} exceeds limit ${max}`, at);
  return n;
}

/** Reads one TLV with a single-byte tag; returns tag and a sub-reader over the value. */
function readTlv(r: ByteReader, what: string, max: number): { tag: number; at: number; value: ByteReader } {
  const at = r.pos;
  const tag = r.u8(what + '.tag');
  if ((tag & 0x1f) === 0x1f) r.fail(what + '.tag', 'multi-byte BER tags are not used by DLMS ACSE', at);
  const n = readBerLength(r, what + '.length', max);
  r.need(n, what);
  const value = new ByteReader(r.bytes, r.pos, r.pos + n);
  r.pos += n;
  return { tag, at, value };
}

function oid(arc: number, id: number): Uint8Array {
  return Uint8Array.of(...DLMS_UA_OID_PREFIX, arc, id);
}

function readOid(v: ByteReader, arc: number, what: string): number {
  const at = v.pos;
  const o = readTlv(v, what, 64);
  if (o.tag !== 0x06) v.fail(what, `expected OBJECT IDENTIFIER, tag 0x${o.tag.toString(16)}`, at);
  const b = o.value;
  if (b.remaining !== 7) b.fail(what, `OID of ${b.remaining} bytes`);
  for (const p of DLMS_UA_OID_PREFIX) if (b.u8(what) !== p) b.fail(what, 'not a DLMS UA OID', b.pos - 1);
  if (b.u8(what) !== arc) b.fail(what, `wrong OID arc`, b.pos - 1);
  return b.u8(what);
}

function readInteger(v: ByteReader, what: string): number {
  const at = v.pos;
  const t = readTlv(v, what, 8);
  if (t.tag !== 0x02) v.fail(what, `expected INTEGER, tag 0x${t.tag.toString(16)}`, at);
  const n = t.value.remaining;
  if (n < 1 || n > 4) t.value.fail(what, `INTEGER of ${n} bytes`);
  let x = 0;
  for (let i = 0; i < n; i++) x = x * 256 + t.value.u8(what);
  return x;
}

function integer(x: number): Uint8Array {
  const w = new ByteWriter(6);
  if (x < 0x80) tlv(w, 0x02, Uint8Array.of(x));
  else if (x < 0x8000) tlv(w, 0x02, Uint8Array.of(x >> 8, x & 0xff));
  else tlv(w, 0x02, build((v) => v.u8(0).u32be(x)).subarray(x < 0x800000 ? 2 : x < 0x80000000 ? 1 : 0));
  return w.finish();
}

function readOctetStringIn(v: ByteReader, what: string, tag: number): Uint8Array {
  const at = v.pos;
  const t = readTlv(v, what, 1024);
  if (t.tag !== tag) v.fail(what, `expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`, at);
  return t.value.take(t.value.remaining, what);
}

/** ACSE requirements BIT STRING: 07 80 = authentication functional unit. */
function readRequirements(v: ByteReader, what: string): boolean {
  if (v.remaining < 1) v.fail(what, 'empty BIT STRING');
  v.u8(what); // unused bits
  return v.remaining > 0 && (v.u8(what) & 0x80) !== 0;
}

// ---- encoder ----

export class AcseEncoder {
  encode(a: AcseApdu): Uint8Array {
    const body = new ByteWriter();
    let tag: number;
    switch (a.kind) {
      case 'aarq':
        tag = ApduTag.AARQ;
        tlv(
          body,
          0xa1,
          build((w) => tlv(w, 0x06, oid(1, a.applicationContext))),
        );
        if (a.callingApTitle)
          tlv(
            body,
            0xa6,
            build((w) => tlv(w, 0x04, a.callingApTitle as Uint8Array)),
          );
        if (a.callingAeInvocationId !== undefined) tlv(body, 0xa9, integer(a.callingAeInvocationId));
        if (a.authentication) tlv(body, 0x8a, Uint8Array.of(0x07, 0x80));
        if (a.mechanism !== undefined) tlv(body, 0x8b, oid(2, a.mechanism));
        if (a.authenticationValue)
          tlv(
            body,
            0xac,
            build((w) => tlv(w, 0x80, a.authenticationValue as Uint8Array)),
          );
        if (a.userInformation)
          tlv(
            body,
            0xbe,
            build((w) => tlv(w, 0x04, a.userInformation as Uint8Array)),
          );
        break;
      case 'aare':
        tag = ApduTag.AARE;
        tlv(
          body,
          0xa1,
          build((w) => tlv(w, 0x06, oid(1, a.applicationContext))),
        );
        tlv(body, 0xa2, integer(a.result));
        tlv(
          body,
          0xa3,
          build((w) => tlv(w, a.diagnosticSource === 'user' ? 0xa1 : 0xa2, integer(a.diagnostic))),
        );
        if (a.respondingApTitle)
          tlv(
            body,
            0xa4,
            build((w) => tlv(w, 0x04, a.respondingApTitle as Uint8Array)),
          );
        if (a.respondingAeInvocationId !== undefined) tlv(body, 0xa7, integer(a.respondingAeInvocationId));
        if (a.authentication) tlv(body, 0x88, Uint8Array.of(0x07, 0x80));
        if (a.mechanism !== undefined) tlv(body, 0x89, oid(2, a.mechanism));
        if (a.authenticationValue)
          tlv(
            body,
            0xaa,
            build((w) => tlv(w, 0x80, a.authenticationValue as Uint8Array)),
          );
        if (a.userInformation)
          tlv(
            body,
            0xbe,
            build((w) => tlv(w, 0x04, a.userInformation as Uint8Array)),
          );
        break;
      case 'rlrq':
      case 'rlre':
        tag = a.kind === 'rlrq' ? ApduTag.RLRQ : ApduTag.RLRE;
        if (a.reason !== undefined) tlv(body, 0x80, Uint8Array.of(a.reason));
        if (a.userInformation)
          tlv(
            body,
            0xbe,
            build((w) => tlv(w, 0x04, a.userInformation as Uint8Array)),
          );
        break;
    }
    return build((w) => tlv(w, tag, body.finish()));
  }
}

// ---- decoder ----

export class AcseDecoder {
  readonly maxLength: number;
  constructor(options: AcseOptions = {}) {
    this.maxLength = options.maxLength ?? 65535;
  }

  decode(bytes: Uint8Array): AcseApdu {
    const r = new ByteReader(bytes);
    const a = this.read(r);
    if (r.remaining !== 0) r.fail('acse.trailing', `${r.remaining} byte(s) after ${a.kind}`);
    return a;
  }

  read(r: ByteReader): AcseApdu {
    const outer = readTlv(r, 'acse', this.maxLength);
    const v = outer.value;
    // Inner lengths are bounded by the outer one; a short inner element is malformed, not "more data".
    const inner = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        if (e instanceof NeedMoreData) v.fail('acse.element', 'element overruns its container');
        throw e;
      }
    };
    return inner(() => {
      switch (outer.tag) {
        case ApduTag.AARQ:
          return this.aarq(v);
        case ApduTag.AARE:
          return this.aare(v);
        case ApduTag.RLRQ:
        case ApduTag.RLRE:
          return this.release(v, outer.tag === ApduTag.RLRQ ? 'rlrq' : 'rlre');
        default:
          return r.fail('acse.tag', `not an ACSE APDU: 0x${outer.tag.toString(16)}`, outer.at);
      }
    });
  }

  private userInformation(v: ByteReader): Uint8Array {
    return readOctetStringIn(v, 'user-information', 0x04);
  }

  private aarq(v: ByteReader): Aarq {
    let ctx: number | undefined;
    const a: Partial<Aarq> = { kind: 'aarq' };
    while (v.remaining > 0) {
      const t = readTlv(v, 'aarq.element', this.maxLength);
      switch (t.tag) {
        case 0x80:
          break; // protocol-version (only version1 exists)
        case 0xa1:
          ctx = readOid(t.value, 1, 'aarq.application-context-name');
          break;
        case 0xa6:
          a.callingApTitle = readOctetStringIn(t.value, 'aarq.calling-ap-title', 0x04);
          break;
        case 0xa9:
          a.callingAeInvocationId = readInteger(t.value, 'aarq.calling-ae-invocation-id');
          break;
        case 0x8a:
          if (readRequirements(t.value, 'aarq.sender-acse-requirements')) a.authentication = true;
          break; // without the unit: as absent
        case 0x8b: {
          // mechanism-name is IMPLICIT OBJECT IDENTIFIER: the value is the OID content itself.
          a.mechanism = readImplicitOid(t.value, 'aarq.mechanism-name');
          break;
        }
        case 0xac:
          a.authenticationValue = readOctetStringIn(t.value, 'aarq.calling-authentication-value', 0x80);
          break;
        case 0xbe:
          a.userInformation = this.userInformation(t.value);
          break;
        case 0xa2:
        case 0xa3:
        case 0xa4:
        case 0xa5:
        case 0xa7:
        case 0xa8:
        case 0x9d:
          break; // not used by DLMS; skipped
        default:
          v.fail('aarq.element', `unexpected tag 0x${t.tag.toString(16)}`, t.at);
      }
    }
    if (ctx === undefined) v.fail('aarq.application-context-name', 'missing');
    a.applicationContext = ctx;
    return a as Aarq;
  }

  private aare(v: ByteReader): Aare {
    const a: Partial<Aare> = { kind: 'aare' };
    while (v.remaining > 0) {
      const t = readTlv(v, 'aare.element', this.maxLength);
      switch (t.tag) {
        case 0x80:
          break;
        case 0xa1:
          a.applicationContext = readOid(t.value, 1, 'aare.application-context-name');
          break;
        case 0xa2:
          a.result = readInteger(t.value, 'aare.result');
          break;
        case 0xa3: {
          const d = readTlv(t.value, 'aare.result-source-diagnostic', 16);
          if (d.tag !== 0xa1 && d.tag !== 0xa2) t.value.fail('aare.result-source-diagnostic', `choice tag 0x${d.tag.toString(16)}`, d.at);
          a.diagnosticSource = d.tag === 0xa1 ? 'user' : 'provider';
          a.diagnostic = readInteger(d.value, 'aare.result-source-diagnostic');
          break;
        }
        case 0xa4:
          a.respondingApTitle = readOctetStringIn(t.value, 'aare.responding-ap-title', 0x04);
          break;
        case 0xa7:
          a.respondingAeInvocationId = readInteger(t.value, 'aare.responding-ae-invocation-id');
          break;
        case 0x88:
          if (readRequirements(t.value, 'aare.responder-acse-requirements')) a.authentication = true;
          break; // without the unit: as absent
        case 0x89:
          a.mechanism = readImplicitOid(t.value, 'aare.mechanism-name');
          break;
        case 0xaa:
          a.authenticationValue = readOctetStringIn(t.value, 'aare.responding-authentication-value', 0x80);
          break;
        case 0xbe:
          a.userInformation = this.userInformation(t.value);
          break;
        case 0xa5:
        case 0xa6:
        case 0x9d:
          break;
        default:
          v.fail('aare.element', `unexpected tag 0x${t.tag.toString(16)}`, t.at);
      }
    }
    if (a.applicationContext === undefined) v.fail('aare.application-context-name', 'missing');
    if (a.result === undefined) v.fail('aare.result', 'missing');
    if (a.diagnostic === undefined) v.fail('aare.result-source-diagnostic', 'missing');
    return a as Aare;
  }

  private release(v: ByteReader, kind: 'rlrq' | 'rlre'): Rlrq | Rlre {
    const a: Rlrq | Rlre = { kind };
    while (v.remaining > 0) {
      const t = readTlv(v, kind + '.element', this.maxLength);
      if (t.tag === 0x80) {
        if (t.value.remaining !== 1) t.value.fail(kind + '.reason', `length ${t.value.remaining}`);
        a.reason = t.value.u8(kind + '.reason');
      } else if (t.tag === 0xbe) a.userInformation = this.userInformation(t.value);
      else v.fail(kind + '.element', `unexpected tag 0x${t.tag.toString(16)}`, t.at);
    }
    return a;
  }
}

function readImplicitOid(b: ByteReader, what: string): number {
  if (b.remaining !== 7) b.fail(what, `OID of ${b.remaining} bytes`);
  for (const p of DLMS_UA_OID_PREFIX) if (b.u8(what) !== p) b.fail(what, 'not a DLMS UA OID', b.pos - 1);
  if (b.u8(what) !== 2) b.fail(what, 'not a mechanism name', b.pos - 1);
  return b.u8(what);
}

const defaultEncoder = new AcseEncoder();
const defaultDecoder = new AcseDecoder();

export function encodeAcse(a: AcseApdu): Uint8Array {
  return defaultEncoder.encode(a);
}

export function decodeAcse(bytes: Uint8Array, options?: AcseOptions): AcseApdu {
  return (options ? new AcseDecoder(options) : defaultDecoder).decode(bytes);
}
