// IEEE 802.15.4-2006 MAC frame codec as profiled by G3-PLC (ITU-T G.9903 clause 9).
// The frame handled here is the MPDU without FCS, as exchanged with the modem (PROTOCOL.md).
import { ByteReader, ByteWriter } from './bytes.js';
import { panShortBytes } from '../generic/shared/g3-address.js';
import { EncodeError } from './errors.js';
import {
  AddrMode,
  FCF_ACK_REQUEST,
  FCF_DST_MODE_SHIFT,
  FCF_FRAME_PENDING,
  FCF_PAN_ID_COMPRESSION,
  FCF_SECURITY,
  FCF_SRC_MODE_SHIFT,
  FCF_TYPE_MASK,
  FCF_VERSION_SHIFT,
  FRAME_VERSION_2003,
  FRAME_VERSION_2006,
  KEY_ID_LENGTH,
  MAC_MAX_FRAME_LENGTH,
  MIC_LENGTH,
  MacCommand,
  MacFrameType,
  PAN_BROADCAST,
  SECCTL_KEYID_SHIFT,
  SECCTL_LEVEL_MASK,
  SHORT_BROADCAST,
  SUPERFRAME_NONBEACON,
  SUPERFRAME_PAN_COORDINATOR,
  SUPERFRAME_ASSOCIATION_PERMIT,
} from './mac-const.js';

/** null = no address; number = 16-bit short address; Uint8Array = EUI-64 (most significant byte first). */
export type MacAddr = number | Uint8Array | null;

export interface AuxSecurityHeader {
  level: number;
  keyIdMode: number;
  frameCounter: number;
  /** Key index (key id modes 1-3). */
  keyIndex: number;
  /** Key source for key id modes 2 (4 bytes) and 3 (8 bytes). */
  keySource?: Uint8Array;
}

export interface MacFrame {
  type: MacFrameType;
  framePending?: boolean;
  ackRequest?: boolean;
  /** Defaults to true when both PAN ids are present and equal. */
  panIdCompression?: boolean;
  /** Defaults to 1 (2006) when secured, else 0. */
  version?: number;
  seq: number;
  dstPan?: number;
  dst: MacAddr;
  srcPan?: number;
  src: MacAddr;
  security?: AuxSecurityHeader;
  /** For a secured frame: the ciphertext (encrypted payload), MIC apart. */
  payload: Uint8Array;
  mic?: Uint8Array;
}

export interface DecodedMacFrame extends MacFrame {
  framePending: boolean;
  ackRequest: boolean;
  panIdCompression: boolean;
  version: number;
  /** Length of MHR (header including auxiliary security header): the CCM* "a" data. */
  headerLength: number;
}

export interface MacDecoderOptions {
  /** Longest MPDU accepted (default MAC_MAX_FRAME_LENGTH). */
  maxLength?: number;
}

function modeOf(a: MacAddr): AddrMode {
  return a === null ? AddrMode.NONE : typeof a === 'number' ? AddrMode.SHORT : AddrMode.EXTENDED;
}

/** Addressing modes, PAN id compression and version of a frame to encode, with the encoders'
 * defaults (compression when both PAN ids are equal; 2006 when secured) and checks. */
export function headerShape(f: MacFrame): { dm: AddrMode; sm: AddrMode; compress: boolean; version: number } {
  const dm = modeOf(f.dst),
    sm = modeOf(f.src);
  if (dm !== AddrMode.NONE && f.dstPan === undefined) throw new EncodeError('mac: destination address needs dstPan');
  if (sm !== AddrMode.NONE && f.srcPan === undefined && !(dm !== AddrMode.NONE && f.dstPan !== undefined)) {
    throw new EncodeError('mac: source address needs srcPan');
  }
  const bothAddr = dm !== AddrMode.NONE && sm !== AddrMode.NONE;
  const compress = f.panIdCompression ?? (bothAddr && (f.srcPan === undefined || f.srcPan === f.dstPan));
  if (compress && !bothAddr) throw new EncodeError('mac: PAN id compression needs both addresses');
  if (compress && f.srcPan !== undefined && f.srcPan !== f.dstPan) throw new EncodeError('mac: compressed PAN ids differ');
  const version = f.version ?? (f.security ? FRAME_VERSION_2006 : FRAME_VERSION_2003);
  if (version > 1) throw new EncodeError('mac: frame version');
  return { dm, sm, compress, version };
}

export class MacFrameEncoder {
  readonly maxLength: number;
  constructor(opts: MacDecoderOptions = {}) {
    this.maxLength = opts.maxLength ?? MAC_MAX_FRAME_LENGTH;
  }

  /** The MHR alone (frame control .. auxiliary security header). */
  header(f: MacFrame): Uint8Array {
    const { dm, sm, compress, version } = headerShape(f);
    let fcf = (f.type & FCF_TYPE_MASK) | (dm << FCF_DST_MODE_SHIFT) | (sm << FCF_SRC_MODE_SHIFT) | (version << FCF_VERSION_SHIFT);
    if (f.security) fcf |= FCF_SECURITY;
    if (f.framePending) fcf |= FCF_FRAME_PENDING;
    if (f.ackRequest) fcf |= FCF_ACK_REQUEST;
    if (compress) fcf |= FCF_PAN_ID_COMPRESSION;
    const w = new ByteWriter(32);
    w.u16le(fcf).u8(f.seq);
    if (dm !== AddrMode.NONE) {
      w.u16le(f.dstPan as number);
      writeAddr(w, f.dst);
    }
    if (sm !== AddrMode.NONE) {
      if (!compress) w.u16le((f.srcPan ?? f.dstPan) as number);
      writeAddr(w, f.src);
    }
    if (f.security) {
      const s = f.security;
      if (s.level < 1 || s.level > 7 || s.keyIdMode < 0 || s.keyIdMode > 3) throw new EncodeError('mac: security level/key id mode');
      w.u8((s.level & SECCTL_LEVEL_MASK) | (s.keyIdMode << SECCTL_KEYID_SHIFT)).u32le(s.frameCounter >>> 0);
      if (s.keyIdMode === 2 || s.keyIdMode === 3) {
        const n = s.keyIdMode === 2 ? 4 : 8;
        if (!s.keySource || s.keySource.length !== n) throw new EncodeError('mac: key source length');
        w.bytes(s.keySource);
      }
      if (s.keyIdMode !== 0) w.u8(s.keyIndex);
    }
    return w.finish();
  }

  encode(f: MacFrame): Uint8Array {
    const w = new ByteWriter(64);
    w.bytes(this.header(f)).bytes(f.payload);
    if (f.security) {
      const micLen = MIC_LENGTH[f.security.level & 7] ?? 0;
      if ((f.mic?.length ?? 0) !== micLen) throw new EncodeError(`mac: MIC must be ${micLen} bytes`);
      if (f.mic) w.bytes(f.mic);
    }
    if (w.length > this.maxLength) throw new EncodeError(`mac: frame of ${w.length} bytes exceeds ${this.maxLength}`);
    return w.finish();
  }
}

function writeAddr(w: ByteWriter, a: MacAddr): void {
  if (typeof a === 'number') w.u16le(a);
  else if (a instanceof Uint8Array) {
    if (a.length !== 8) throw new EncodeError('mac: extended address must be 8 bytes');
    w.extLe(a);
  }
}

export class MacFrameDecoder {
  readonly maxLength: number;
  constructor(opts: MacDecoderOptions = {}) {
    this.maxLength = opts.maxLength ?? MAC_MAX_FRAME_LENGTH;
  }

  decode(bytes: Uint8Array): DecodedMacFrame {
    const r = new ByteReader(bytes);
    if (bytes.length > this.maxLength) r.fail('mac.length', `${bytes.length} > ${this.maxLength}`, 0);
    const fcf = r.u16le('mac.fcf');
    const type = fcf & FCF_TYPE_MASK;
    if (type > MacFrameType.COMMAND) r.fail('mac.fcf.type', `reserved type ${type}`, 0);
    const dm = (fcf >> FCF_DST_MODE_SHIFT) & 3,
      sm = (fcf >> FCF_SRC_MODE_SHIFT) & 3;
    const version = (fcf >> FCF_VERSION_SHIFT) & 3;
    if (dm === 1 || sm === 1) r.fail('mac.fcf.addrMode', 'reserved addressing mode', 0);
    if (version > FRAME_VERSION_2006) r.fail('mac.fcf.version', `unsupported version ${version}`, 1);
    const secured = (fcf & FCF_SECURITY) !== 0;
    const compress = (fcf & FCF_PAN_ID_COMPRESSION) !== 0;
    if (compress && (dm === 0 || sm === 0)) r.fail('mac.fcf.panIdCompression', 'needs both addresses', 0);
    // 2003 security has no auxiliary header; G3 secures with 2006 frames only (G.9903 9.3.x).
    if (secured && version === FRAME_VERSION_2003) r.fail('mac.fcf.security', 'security in a 2003 frame', 0);
    const seq = r.u8('mac.seq');
    const f: DecodedMacFrame = {
      type,
      seq,
      version,
      framePending: (fcf & FCF_FRAME_PENDING) !== 0,
      ackRequest: (fcf & FCF_ACK_REQUEST) !== 0,
      panIdCompression: compress,
      dst: null,
      src: null,
      payload: new Uint8Array(0),
      headerLength: 0,
    };
    if (type === MacFrameType.ACK) {
      if (dm !== 0 || sm !== 0 || secured) r.fail('mac.ack', 'ACK carries no address or security', 0);
      f.headerLength = r.pos;
      f.payload = r.rest();
      if (f.payload.length !== 0) r.fail('mac.ack', 'trailing bytes', 3);
      return f;
    }
    if (dm !== 0) {
      f.dstPan = r.u16le('mac.dstPan');
      f.dst = dm === AddrMode.SHORT ? r.u16le('mac.dstAddr') : r.extLe('mac.dstAddr');
    }
    if (sm !== 0) {
      f.srcPan = compress ? f.dstPan : r.u16le('mac.srcPan');
      f.src = sm === AddrMode.SHORT ? r.u16le('mac.srcAddr') : r.extLe('mac.srcAddr');
    }
    if (dm === 0 && sm === 0 && type !== MacFrameType.BEACON && type !== MacFrameType.COMMAND) {
      // 802.15.4-2006 7.2.1.1.6: a data frame with no address at all is not valid.
      r.fail('mac.addr', 'data frame without any address', 0);
    }
    let micLen = 0;
    if (secured) {
      const at = r.pos;
      const sc = r.u8('mac.aux.securityControl');
      const level = sc & SECCTL_LEVEL_MASK,
        keyIdMode = (sc >> SECCTL_KEYID_SHIFT) & 3;
      if (level === 0) r.fail('mac.aux.level', 'security enabled with level 0', at);
      if ((sc & 0xe0) !== 0) r.fail('mac.aux.reserved', 'reserved bits set', at);
      const frameCounter = r.u32le('mac.aux.frameCounter');
      const sec: AuxSecurityHeader = { level, keyIdMode, frameCounter, keyIndex: 0 };
      if (keyIdMode === 2 || keyIdMode === 3) sec.keySource = r.take((KEY_ID_LENGTH[keyIdMode] as number) - 1, 'mac.aux.keySource');
      if (keyIdMode !== 0) sec.keyIndex = r.u8('mac.aux.keyIndex');
      f.security = sec;
      micLen = MIC_LENGTH[level] ?? 0;
    }
    f.headerLength = r.pos;
    r.need(micLen, 'mac.mic');
    f.payload = bytes.slice(r.pos, bytes.length - micLen);
    if (micLen > 0) f.mic = bytes.slice(bytes.length - micLen);
    return f;
  }
}

/** A MAC frame codec: this TypeScript one, or the native one (mac-native.ts). Decoding throws
 * only DecodeError / NeedMoreData, encoding only EncodeError. */
export interface MacCodec {
  decode(bytes: Uint8Array): DecodedMacFrame;
  encode(f: MacFrame): Uint8Array;
  /** The MHR alone: the CCM* a data. */
  header(f: MacFrame): Uint8Array;
  /**
   * Optional one-call secured frame (encode + CCM*): the frame with `plaintext` encrypted and
   * its MIC. `f.payload` and `f.mic` are ignored. Without it the MAC layer seals in steps.
   */
  seal?(f: MacFrame, key: Uint8Array, nonceSource: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Optional one-call CCM* open of a frame `decode` returned: plaintext or null. */
  open?(bytes: Uint8Array, f: DecodedMacFrame, key: Uint8Array, nonceSource: Uint8Array): Uint8Array | null;
}

/** The TypeScript codec as a MacCodec. */
export function tsMacCodec(opts: MacDecoderOptions = {}): MacCodec {
  const enc = new MacFrameEncoder(opts),
    dec = new MacFrameDecoder(opts);
  return { decode: (b) => dec.decode(b), encode: (f) => enc.encode(f), header: (f) => enc.header(f) };
}

const defaultEncoder = new MacFrameEncoder();
const defaultDecoder = new MacFrameDecoder();
export const encodeMacFrame = (f: MacFrame): Uint8Array => defaultEncoder.encode(f);
export const decodeMacFrame = (b: Uint8Array): DecodedMacFrame => defaultDecoder.decode(b);

/** Immediate ACK (3 bytes), as the real-time MAC sends it. */
export function encodeAck(seq: number, framePending = false): Uint8Array {
  return encodeMacFrame({ type: MacFrameType.ACK, seq, dst: null, src: null, payload: new Uint8Array(0), framePending });
}

/** G3 beacon payload (802.15.4 7.2.2.1 + G.9903 beacon payload: route cost to coordinator). */
export interface BeaconPayload {
  panCoordinator: boolean;
  associationPermit: boolean;
  /** Route cost from the sender to the PAN coordinator (G3 "RC_COORD"). */
  rcCoord: number;
}

export function encodeBeaconPayload(b: BeaconPayload): Uint8Array {
  let sf = SUPERFRAME_NONBEACON;
  if (b.panCoordinator) sf |= SUPERFRAME_PAN_COORDINATOR;
  if (b.associationPermit) sf |= SUPERFRAME_ASSOCIATION_PERMIT;
  // GTS specification 0 (no GTS), pending address specification 0, then the beacon payload.
  return new ByteWriter(8)
    .u16le(sf)
    .u8(0)
    .u8(0)
    .u16le(b.rcCoord & 0xffff)
    .finish();
}

export function decodeBeaconPayload(p: Uint8Array): BeaconPayload {
  const r = new ByteReader(p);
  const sf = r.u16le('beacon.superframe');
  const gts = r.u8('beacon.gts');
  if ((gts & 0x07) !== 0) r.fail('beacon.gts', 'G3 PANs have no GTS', 2);
  const pend = r.u8('beacon.pendingAddr');
  // Skip pending address lists, bounded by the frame (7.2.2.1.6: up to 7 short + 7 extended).
  r.take((pend & 7) * 2 + ((pend >> 4) & 7) * 8, 'beacon.pendingAddrList');
  const rcCoord = r.u16le('beacon.rcCoord');
  return {
    panCoordinator: (sf & SUPERFRAME_PAN_COORDINATOR) !== 0,
    associationPermit: (sf & SUPERFRAME_ASSOCIATION_PERMIT) !== 0,
    rcCoord,
  };
}

/** Beacon request command (802.15.4-2006 7.3.7): broadcast, no source address. */
export function encodeBeaconRequest(seq: number): Uint8Array {
  return encodeMacFrame({
    type: MacFrameType.COMMAND,
    seq,
    dstPan: PAN_BROADCAST,
    dst: SHORT_BROADCAST,
    src: null,
    payload: Uint8Array.of(MacCommand.BEACON_REQUEST),
  });
}

export function isBeaconRequest(f: DecodedMacFrame): boolean {
  return f.type === MacFrameType.COMMAND && !f.security && f.payload.length === 1 && f.payload[0] === MacCommand.BEACON_REQUEST;
}

/** CCM* nonce (802.15.4-2006 7.6.3.2): source address (8) || frame counter (4, BE) || security level. */
export function ccmNonce(srcExt: Uint8Array, frameCounter: number, level: number): Uint8Array {
  const n = new Uint8Array(13);
  n.set(srcExt.subarray(0, 8), 0);
  n[8] = (frameCounter >>> 24) & 0xff;
  n[9] = (frameCounter >>> 16) & 0xff;
  n[10] = (frameCounter >>> 8) & 0xff;
  n[11] = frameCounter & 0xff;
  n[12] = level & 0xff;
  return n;
}

/**
 * 64-bit source used in the nonce when the frame carries a short source address: G3 frames are
 * sent with short addresses, so the nonce address is built from the PAN id and the short
 * address (same layout as the RFC 4944 section 6 interface identifier).
 */
export function nonceSourceFromShort(panId: number, short: number): Uint8Array {
  return panShortBytes(panId, short);
}

export function macAddrEqual(a: MacAddr, b: MacAddr): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function macAddrKey(a: MacAddr): string {
  if (a === null) return '-';
  if (typeof a === 'number') return 's' + a.toString(16).padStart(4, '0');
  let s = 'x';
  for (const b of a) s += b.toString(16).padStart(2, '0');
  return s;
}
