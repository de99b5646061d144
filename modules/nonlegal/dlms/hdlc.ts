// HDLC framing for DLMS/COSEM, IEC 62056-46 (frame format type 3, no byte stuffing: the length
// field delimits the frame). HCS and FCS are CRC-16/X.25, sent least significant byte first.
import { ByteReader, ByteWriter } from './bytes.js';
import { DecodeError, EncodeError, NeedMoreData } from './errors.js';
import { crc16x25, type CrcFunction } from './crc16.js';
import {
  HDLC_DEFAULT_INTER_OCTET_MS,
  HDLC_DEFAULT_MAX_INFO,
  HDLC_DEFAULT_WINDOW,
  HDLC_FLAG,
  HDLC_FORMAT_TYPE3,
  HDLC_LENGTH_MASK,
  HDLC_MAX_FRAME_LENGTH,
  HDLC_SEGMENT_BIT,
  HdlcControl,
  HdlcParam,
} from './hdlc-const.js';

/**
 * An HDLC address. Client addresses are one byte. Server addresses are 1, 2 or 4 bytes:
 * `upper` is the logical device address, `lower` the physical device address.
 */
export interface HdlcAddress {
  upper: number;
  lower?: number;
  size: 1 | 2 | 4;
}

export type HdlcFrameType = 'I' | 'RR' | 'RNR' | 'SNRM' | 'DISC' | 'UA' | 'DM' | 'FRMR' | 'UI';

export interface HdlcFrame {
  type: HdlcFrameType;
  destination: HdlcAddress;
  source: HdlcAddress;
  /** Poll/final bit. */
  pf: boolean;
  /** N(S), I frames only. */
  ns?: number;
  /** N(R), I, RR and RNR frames. */
  nr?: number;
  /** Segmentation bit of the frame format field. */
  segmented: boolean;
  info: Uint8Array;
}

export function clientAddress(value: number): HdlcAddress {
  return { upper: value, size: 1 };
}

export function serverAddress(logical: number, physical?: number, size?: 1 | 2 | 4): HdlcAddress {
  if (physical === undefined) return { upper: logical, size: size ?? 1 };
  return { upper: logical, lower: physical, size: size ?? (logical <= 0x7f && physical <= 0x7f ? 2 : 4) };
}

export function encodeAddress(a: HdlcAddress): Uint8Array {
  const lower = a.lower ?? 0;
  switch (a.size) {
    case 1:
      if (a.upper > 0x7f) throw new EncodeError(`1-byte address ${a.upper} > 0x7F`);
      return Uint8Array.of((a.upper << 1) | 1);
    case 2:
      if (a.upper > 0x7f || lower > 0x7f) throw new EncodeError('2-byte address parts must be <= 0x7F');
      return Uint8Array.of(a.upper << 1, (lower << 1) | 1);
    case 4:
      if (a.upper > 0x3fff || lower > 0x3fff) throw new EncodeError('4-byte address parts must be <= 0x3FFF');
      return Uint8Array.of(((a.upper >> 7) & 0x7f) << 1, (a.upper & 0x7f) << 1, ((lower >> 7) & 0x7f) << 1, ((lower & 0x7f) << 1) | 1);
  }
}

/** Reads an address whose last byte has bit 0 set. Returns null if it is not 1, 2 or 4 bytes long. */
function readAddress(b: Uint8Array, pos: number, end: number): { addr: HdlcAddress; end: number } | null {
  const parts: number[] = [];
  for (let i = pos; i < end && parts.length < 4; i++) {
    const v = b[i] as number;
    parts.push(v >> 1);
    if (v & 1) {
      const n = parts.length;
      if (n === 1) return { addr: { upper: parts[0] as number, size: 1 }, end: i + 1 };
      if (n === 2) return { addr: { upper: parts[0] as number, lower: parts[1] as number, size: 2 }, end: i + 1 };
      if (n === 4) {
        const [a, c, d, e] = parts as [number, number, number, number];
        return { addr: { upper: (a << 7) | c, lower: (d << 7) | e, size: 4 }, end: i + 1 };
      }
      return null;
    }
  }
  return null;
}

function controlByte(f: Pick<HdlcFrame, 'type' | 'pf' | 'ns' | 'nr'>): number {
  const pf = f.pf ? HdlcControl.PF : 0;
  const nr = ((f.nr ?? 0) & 7) << 5;
  switch (f.type) {
    case 'I':
      return nr | pf | (((f.ns ?? 0) & 7) << 1);
    case 'RR':
      return nr | pf | HdlcControl.RR;
    case 'RNR':
      return nr | pf | HdlcControl.RNR;
    default:
      return HdlcControl[f.type] | pf;
  }
}

const U_TYPES: Record<number, HdlcFrameType> = {
  [HdlcControl.SNRM]: 'SNRM',
  [HdlcControl.DISC]: 'DISC',
  [HdlcControl.UA]: 'UA',
  [HdlcControl.DM]: 'DM',
  [HdlcControl.FRMR]: 'FRMR',
  [HdlcControl.UI]: 'UI',
};

function parseControl(c: number): Pick<HdlcFrame, 'type' | 'pf' | 'ns' | 'nr'> | null {
  const pf = (c & HdlcControl.PF) !== 0;
  if ((c & 1) === 0) return { type: 'I', pf, ns: (c >> 1) & 7, nr: (c >> 5) & 7 };
  if ((c & 3) === 1) {
    const s = c & 0x0f;
    if (s === HdlcControl.RR) return { type: 'RR', pf, nr: (c >> 5) & 7 };
    if (s === HdlcControl.RNR) return { type: 'RNR', pf, nr: (c >> 5) & 7 };
    return null; // REJ / SREJ are not used by 62056-46
  }
  const t = U_TYPES[c & ~HdlcControl.PF];
  return t === undefined ? null : { type: t, pf };
}

export interface HdlcCodecOptions {
  /** CRC-16/X.25; inject a native one on the device if it is faster. */
  crc?: CrcFunction;
  /** Largest frame length field accepted (frame bytes between the flags). Default 2047. */
  maxFrameLength?: number;
}

/** Encodes a frame including opening and closing flags. */
export function encodeHdlcFrame(f: HdlcFrame, options: HdlcCodecOptions = {}): Uint8Array {
  const crc = options.crc ?? crc16x25;
  const dst = encodeAddress(f.destination);
  const src = encodeAddress(f.source);
  const hasInfo = f.info.length > 0;
  const length = 2 + dst.length + src.length + 1 + (hasInfo ? 2 + f.info.length : 0) + 2;
  if (length > (options.maxFrameLength ?? HDLC_MAX_FRAME_LENGTH)) throw new EncodeError(`frame length ${length} too large`);
  if (!hasInfo && f.type === 'I') throw new EncodeError('I frame without information');
  const w = new ByteWriter(length + 2);
  w.u8(HDLC_FLAG)
    .u16be(HDLC_FORMAT_TYPE3 | (f.segmented ? HDLC_SEGMENT_BIT : 0) | length)
    .bytes(dst)
    .bytes(src)
    .u8(controlByte(f));
  const b = () => w.finish();
  if (hasInfo) {
    const hcs = crc(b(), 1, w.length);
    w.u8(hcs & 0xff)
      .u8(hcs >> 8)
      .bytes(f.info);
  }
  const fcs = crc(b(), 1, w.length);
  w.u8(fcs & 0xff)
    .u8(fcs >> 8)
    .u8(HDLC_FLAG);
  return w.finish();
}

/**
 * Why the stream reader dropped bytes. "timeout": a partial frame whose next bytes came later than
 * the inter-octet time-out; "resync": a partial frame cut short by a flag and a valid header.
 */
export type HdlcDropReason = 'garbage' | 'format' | 'length' | 'flag' | 'address' | 'control' | 'hcs' | 'fcs' | 'timeout' | 'resync';

/** Parses the bytes between the flags (format field .. FCS). Returns the frame or why it is bad. */
function parseBody(b: Uint8Array, start: number, end: number, crc: CrcFunction): HdlcFrame | { reason: HdlcDropReason; at: number } {
  const len = end - start;
  const fmt = ((b[start] as number) << 8) | (b[start + 1] as number);
  if ((fmt & 0xf000) !== HDLC_FORMAT_TYPE3) return { reason: 'format', at: start };
  if ((fmt & HDLC_LENGTH_MASK) !== len || len < 7) return { reason: 'length', at: start };
  const dst = readAddress(b, start + 2, end);
  if (!dst) return { reason: 'address', at: start + 2 };
  const src = readAddress(b, dst.end, end);
  if (!src) return { reason: 'address', at: dst.end };
  const cpos = src.end;
  if (cpos + 3 > end) return { reason: 'length', at: cpos };
  const ctl = parseControl(b[cpos] as number);
  if (!ctl) return { reason: 'control', at: cpos };
  const fcsAt = end - 2;
  const fcs = (b[fcsAt] as number) | ((b[fcsAt + 1] as number) << 8);
  let info: Uint8Array;
  if (cpos + 1 === fcsAt) info = new Uint8Array(0);
  else {
    // An information field is preceded by the HCS.
    if (cpos + 3 > fcsAt) return { reason: 'length', at: cpos };
    const hcs = (b[cpos + 1] as number) | ((b[cpos + 2] as number) << 8);
    if (crc(b, start, cpos + 1) !== hcs) return { reason: 'hcs', at: cpos + 1 };
    info = b.slice(cpos + 3, fcsAt);
  }
  if (crc(b, start, fcsAt) !== fcs) return { reason: 'fcs', at: fcsAt };
  if (ctl.type === 'I' && info.length === 0) return { reason: 'length', at: cpos };
  const f: HdlcFrame = { ...ctl, destination: dst.addr, source: src.addr, segmented: (fmt & HDLC_SEGMENT_BIT) !== 0, info };
  return f;
}

/**
 * Decodes exactly one frame with its flags. NeedMoreData if `bytes` is shorter than the
 * length field says; DecodeError naming the field otherwise.
 */
export function decodeHdlcFrame(bytes: Uint8Array, options: HdlcCodecOptions = {}): HdlcFrame {
  const r = new ByteReader(bytes);
  if (r.u8('hdlc.flag') !== HDLC_FLAG) r.fail('hdlc.flag', 'no opening flag', 0);
  const fmt = r.u16be('hdlc.format');
  if ((fmt & 0xf000) !== HDLC_FORMAT_TYPE3) r.fail('hdlc.format', `format 0x${fmt.toString(16)}`, 1);
  const len = fmt & HDLC_LENGTH_MASK;
  if (len > (options.maxFrameLength ?? HDLC_MAX_FRAME_LENGTH)) r.fail('hdlc.length', `length ${len} exceeds limit`, 1);
  if (len < 7) r.fail('hdlc.length', `length ${len} < 7`, 1);
  if (bytes.length < len + 2) throw new NeedMoreData('hdlc.frame', bytes.length, len + 2 - bytes.length);
  if (bytes[len + 1] !== HDLC_FLAG) r.fail('hdlc.flag', 'no closing flag', len + 1);
  if (bytes.length !== len + 2) r.fail('hdlc.trailing', `${bytes.length - len - 2} byte(s) after closing flag`, len + 2);
  const f = parseBody(bytes, 1, len + 1, options.crc ?? crc16x25);
  if ('reason' in f) throw new DecodeError('hdlc.' + f.reason, f.at);
  return f;
}

// ---- SNRM/UA parameter negotiation (62056-46 6.4.4.4.3.2) ----

export interface HdlcParameters {
  /** Maximum information field length, transmit direction (of the sender of the SNRM/UA). */
  maxInfoTx: number;
  maxInfoRx: number;
  windowTx: number;
  windowRx: number;
}

export const HDLC_DEFAULT_PARAMETERS: Readonly<HdlcParameters> = Object.freeze({
  maxInfoTx: HDLC_DEFAULT_MAX_INFO,
  maxInfoRx: HDLC_DEFAULT_MAX_INFO,
  windowTx: HDLC_DEFAULT_WINDOW,
  windowRx: HDLC_DEFAULT_WINDOW,
});

export interface HdlcParameterEncoding {
  /** Bytes for the info length values: "minimal" (1 if <= 255, else 2) or always 2. Default "minimal". */
  infoWidth?: 'minimal' | 2;
  /** Bytes for the window values. Default 4 (as in the Green Book examples). */
  windowWidth?: 1 | 4;
}

function paramValue(w: ByteWriter, id: number, v: number, width: number): void {
  w.u8(id).u8(width);
  if (width === 1) w.u8(v);
  else if (width === 2) w.u16be(v);
  else w.u32be(v);
}

export function encodeHdlcParameters(p: HdlcParameters, enc: HdlcParameterEncoding = {}): Uint8Array {
  const inner = new ByteWriter(24);
  const iw = (v: number) => (enc.infoWidth === 2 || v > 0xff ? 2 : 1);
  paramValue(inner, HdlcParam.MAX_INFO_TX, p.maxInfoTx, iw(p.maxInfoTx));
  paramValue(inner, HdlcParam.MAX_INFO_RX, p.maxInfoRx, iw(p.maxInfoRx));
  paramValue(inner, HdlcParam.WINDOW_TX, p.windowTx, enc.windowWidth ?? 4);
  paramValue(inner, HdlcParam.WINDOW_RX, p.windowRx, enc.windowWidth ?? 4);
  const body = inner.finish();
  return new ByteWriter(body.length + 3).u8(HdlcParam.FORMAT_ID).u8(HdlcParam.GROUP_ID).u8(body.length).bytes(body).finish();
}

/** Decodes a SNRM/UA information field; absent parameters take the defaults. Empty input = all defaults. */
export function decodeHdlcParameters(info: Uint8Array): HdlcParameters {
  const p: HdlcParameters = { ...HDLC_DEFAULT_PARAMETERS };
  if (info.length === 0) return p;
  const r = new ByteReader(info);
  if (r.u8('hdlc.params.format') !== HdlcParam.FORMAT_ID) r.fail('hdlc.params.format', 'expected 0x81', 0);
  if (r.u8('hdlc.params.group') !== HdlcParam.GROUP_ID) r.fail('hdlc.params.group', 'expected 0x80', 1);
  const n = r.u8('hdlc.params.length');
  if (n !== r.remaining) r.fail('hdlc.params.length', `group length ${n}, ${r.remaining} byte(s) present`, 2);
  while (r.remaining > 0) {
    const at = r.pos;
    const id = r.u8('hdlc.params.id');
    const len = r.u8('hdlc.params.value-length');
    if (len < 1 || len > 4) r.fail('hdlc.params.value-length', `length ${len}`, at + 1);
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + r.u8('hdlc.params.value');
    switch (id) {
      case HdlcParam.MAX_INFO_TX:
        p.maxInfoTx = v;
        break;
      case HdlcParam.MAX_INFO_RX:
        p.maxInfoRx = v;
        break;
      case HdlcParam.WINDOW_TX:
        p.windowTx = v;
        break;
      case HdlcParam.WINDOW_RX:
        p.windowRx = v;
        break;
      default:
        break; // unknown parameters are ignored
    }
  }
  if (p.maxInfoTx < 32 || p.maxInfoRx < 32 || p.maxInfoTx > 2030 || p.maxInfoRx > 2030) r.fail('hdlc.params.max-info', 'outside 32..2030');
  if (p.windowTx < 1 || p.windowRx < 1 || p.windowTx > 7 || p.windowRx > 7) r.fail('hdlc.params.window', 'outside 1..7');
  return p;
}

/**
 * Server side of the negotiation: from the client's SNRM proposal and the server's own limits,
 * the values the server sends in its UA (from the server's point of view: its Tx is the client's Rx).
 */
export function negotiateHdlcParameters(proposed: HdlcParameters, local: HdlcParameters): HdlcParameters {
  return {
    maxInfoTx: Math.min(proposed.maxInfoRx, local.maxInfoTx),
    maxInfoRx: Math.min(proposed.maxInfoTx, local.maxInfoRx),
    windowTx: Math.min(proposed.windowRx, local.windowTx),
    windowRx: Math.min(proposed.windowTx, local.windowRx),
  };
}

// ---- segmentation ----

/** Splits an information field into chunks of at most maxInfo bytes; all but the last are segmented. */
export function segmentInformation(info: Uint8Array, maxInfo: number): { info: Uint8Array; segmented: boolean }[] {
  if (maxInfo < 1) throw new EncodeError('maxInfo must be positive');
  const out: { info: Uint8Array; segmented: boolean }[] = [];
  for (let o = 0; o < info.length; o += maxInfo) {
    const end = Math.min(o + maxInfo, info.length);
    out.push({ info: info.slice(o, end), segmented: end < info.length });
  }
  if (out.length === 0) out.push({ info: new Uint8Array(0), segmented: false });
  return out;
}

/** Joins segmented I-frame information fields; bounded by maxLength. */
export class HdlcReassembler {
  private parts: Uint8Array[] = [];
  private size = 0;
  readonly maxLength: number;
  constructor(options: { maxLength?: number } = {}) {
    this.maxLength = options.maxLength ?? 65535;
  }
  /** Returns the complete information when the last segment arrives, else null. */
  push(frame: Pick<HdlcFrame, 'info' | 'segmented'>): Uint8Array | null {
    this.size += frame.info.length;
    if (this.size > this.maxLength) {
      const at = this.size;
      this.reset();
      throw new DecodeError('hdlc.reassembly', at, `exceeds ${this.maxLength} bytes`);
    }
    this.parts.push(frame.info);
    if (frame.segmented) return null;
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    this.reset();
    return out;
  }
  reset(): void {
    this.parts = [];
    this.size = 0;
  }
}

// ---- streaming reader ----

export interface HdlcFrameReaderOptions extends HdlcCodecOptions {
  /**
   * Inter-octet time-out, ms (IEC 62056-46 6.4.4.4.3.3; HDLC setup, class 23, attribute 6
   * inter_octet_time_out, default 25 ms): a partial frame whose next bytes arrive later than this
   * is abandoned. Applies when push() is given arrival times. Default HDLC_DEFAULT_INTER_OCTET_MS.
   */
  interOctetTimeoutMs?: number;
}

/**
 * Feeds on arbitrary chunks of a serial byte stream and returns complete, checked frames.
 * Resynchronises on the next flag after any error; every dropped frame or run of stray bytes is
 * counted by reason in `drops`. Memory is bounded by maxFrameLength + 2 bytes.
 * A frame whose length field was announced but whose bytes stop coming never blocks the next
 * one: it is abandoned when the inter-octet time-out passes between two chunks, or as soon as a
 * flag inside it opens a valid header (format type 3, addresses, control, HCS that checks).
 */
export class HdlcFrameReader {
  readonly drops: Record<HdlcDropReason, number> = {
    garbage: 0,
    format: 0,
    length: 0,
    flag: 0,
    address: 0,
    control: 0,
    hcs: 0,
    fcs: 0,
    timeout: 0,
    resync: 0,
  };
  /** Frames returned. */
  frames = 0;
  readonly interOctetTimeoutMs: number;
  private buf: Uint8Array;
  private len = 0;
  /** Where the search for a valid header inside the pending partial frame goes on. */
  private hunt = 1;
  private lastAt: number | undefined;
  private readonly crc: CrcFunction;
  private readonly maxFrameLength: number;

  constructor(options: HdlcFrameReaderOptions = {}) {
    this.crc = options.crc ?? crc16x25;
    this.maxFrameLength = Math.min(options.maxFrameLength ?? HDLC_MAX_FRAME_LENGTH, HDLC_MAX_FRAME_LENGTH);
    this.interOctetTimeoutMs = options.interOctetTimeoutMs ?? HDLC_DEFAULT_INTER_OCTET_MS;
    this.buf = new Uint8Array(this.maxFrameLength + 2);
  }

  /**
   * `at`: when the chunk arrived (ms, any monotonic clock). A gap longer than the inter-octet
   * time-out since the previous chunk abandons a partial frame first.
   */
  push(chunk: Uint8Array, at?: number): HdlcFrame[] {
    const out: HdlcFrame[] = [];
    if (at !== undefined) {
      if (this.lastAt !== undefined && at - this.lastAt > this.interOctetTimeoutMs) this.abandon('timeout');
      this.lastAt = at;
    }
    let i = 0;
    while (i < chunk.length) {
      const room = this.buf.length - this.len;
      const n = Math.min(room, chunk.length - i);
      this.buf.set(chunk.subarray(i, i + n), this.len);
      this.len += n;
      i += n;
      this.scan(out);
    }
    this.frames += out.length;
    return out;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.len;
  }

  /** Drops a partial frame (a lone flag that may open the next frame is no frame and is kept). */
  abandon(reason: 'timeout' | 'resync' = 'timeout'): void {
    if (this.len > 1 || (this.len === 1 && this.buf[0] !== HDLC_FLAG)) {
      this.drops[reason]++;
      this.len = 0;
      this.hunt = 1;
    }
  }

  private discard(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
    this.hunt = 1;
  }

  /** Drop the opening flag and hunt for the next one. */
  private drop(reason: HdlcDropReason): void {
    this.drops[reason]++;
    this.discard(1);
  }

  /**
   * 1 if a flag at `p` opens a valid header (its HCS, or for a frame without information its FCS,
   * covers format..control and checks), 0 if it does not, -1 if the bytes so far cannot tell.
   */
  private headerAt(p: number): number {
    const b = this.buf,
      end = this.len;
    if (p + 3 > end) return -1;
    const fmt = ((b[p + 1] as number) << 8) | (b[p + 2] as number);
    const flen = fmt & HDLC_LENGTH_MASK;
    if ((fmt & 0xf000) !== HDLC_FORMAT_TYPE3 || flen < 7 || flen > this.maxFrameLength) return 0;
    let q = p + 3;
    for (let k = 0; k < 2; k++) {
      // destination, then source address
      const a = q;
      while (q < end && q - a < 4 && ((b[q] as number) & 1) === 0) q++;
      if (q >= end) return -1;
      if (q - a === 4 || q - a === 2) return 0; // an address is 1, 2 or 4 bytes
      q++;
    }
    if (q + 3 > end) return -1;
    if (!parseControl(b[q] as number)) return 0;
    if (q + 3 - p > flen + 1) return 0; // header longer than the frame
    const crc = this.crc(b, p + 1, q + 1);
    return crc === ((b[q + 1] as number) | ((b[q + 2] as number) << 8)) ? 1 : 0;
  }

  /** A flag and a valid header after the start of the pending partial frame: where, else -1. */
  private resyncPoint(): number {
    for (let p = this.hunt; p < this.len; p++) {
      if (this.buf[p] !== HDLC_FLAG) continue;
      const h = this.headerAt(p);
      if (h === 1) return p;
      if (h < 0) {
        this.hunt = p;
        return -1;
      }
    }
    this.hunt = this.len; // every flag so far is decided: go on with the next bytes
    return -1;
  }

  private scan(out: HdlcFrame[]): void {
    for (;;) {
      // Hunt for an opening flag.
      let k = 0;
      while (k < this.len && this.buf[k] !== HDLC_FLAG) k++;
      if (k > 0) {
        this.drops.garbage++;
        this.discard(k);
      }
      // Consecutive flags are inter-frame fill.
      while (this.len >= 2 && this.buf[1] === HDLC_FLAG) this.discard(1);
      if (this.len < 3) return;
      const fmt = ((this.buf[1] as number) << 8) | (this.buf[2] as number);
      if ((fmt & 0xf000) !== HDLC_FORMAT_TYPE3) {
        this.drop('format');
        continue;
      }
      const flen = fmt & HDLC_LENGTH_MASK;
      if (flen < 7 || flen > this.maxFrameLength) {
        this.drop('length');
        continue;
      }
      if (this.len < flen + 2) {
        // Waiting for the rest: unless a valid new frame has begun inside it.
        const p = this.resyncPoint();
        if (p < 0) return;
        this.drops.resync++;
        this.discard(p);
        continue;
      }
      if (this.buf[flen + 1] !== HDLC_FLAG) {
        this.drop('flag');
        continue;
      }
      const f = parseBody(this.buf, 1, flen + 1, this.crc);
      if ('reason' in f) {
        // Delimited by a plausible closing flag: skip the whole frame, keep that flag.
        this.drops[f.reason]++;
        this.discard(flen + 1);
        continue;
      }
      out.push(f);
      // Keep the closing flag: it may also open the next frame.
      this.discard(flen + 1);
    }
  }
}
