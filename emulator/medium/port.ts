// Modem-port codec: the byte stream between a node and its (emulated) modem.
// Frame: SOF 0x7E | type u8 | length u16 BE | payload | CRC-32 BE over type..payload.
// See PROTOCOL.md for the message layouts.
import { crc32 } from './crc.js';

export const PORT_SOF = 0x7e;
export const PORT_VERSION = 1;
export const PORT_HEADER_BYTES = 4; // SOF, type, length
export const PORT_CRC_BYTES = 4;
/** Default bound on a payload read from the wire. */
export const PORT_DEFAULT_MAX_PAYLOAD = 1024;
/** "No wake-up planned" in IDLE. */
export const TIME_NEVER = 0xffff_ffff_ffff_ffffn;

export enum MsgType {
  HELLO = 0x01,
  SET_ADDRESS = 0x02,
  DATA_REQUEST = 0x03,
  RESET = 0x04,
  IDLE = 0x05,
  READY = 0x80,
  DATA_CONFIRM = 0x81,
  DATA_INDICATION = 0x82,
  TIME = 0x83,
  ERROR = 0x8f,
}

export enum NodeKind {
  BOARD = 0,
  LIN = 1,
}

export enum AddrMode {
  NONE = 0, // broadcast or no destination: never acknowledged
  SHORT = 2,
  EXTENDED = 3,
}

export const DATA_FLAG_ACK = 0x01;
export const DATA_FLAG_HIGH_PRIORITY = 0x02;

export interface Hello {
  type: MsgType.HELLO;
  version: number;
  kind: NodeKind;
  eui64: bigint;
}
export interface SetAddress {
  type: MsgType.SET_ADDRESS;
  panId: number;
  shortAddr: number;
}
export interface DataRequest {
  type: MsgType.DATA_REQUEST;
  handle: number;
  modulation: number;
  toneMap: number;
  ackRequested: boolean;
  highPriority: boolean;
  dstMode: AddrMode;
  /** Short address in the low 16 bits for SHORT, EUI-64 for EXTENDED. */
  dst: bigint;
  frame: Uint8Array;
}
export interface Reset {
  type: MsgType.RESET;
}
export interface Idle {
  type: MsgType.IDLE;
  until: bigint;
}
export interface Ready {
  type: MsgType.READY;
  version: number;
  simClock: boolean;
  now: bigint;
}
export interface DataConfirm {
  type: MsgType.DATA_CONFIRM;
  handle: number;
  status: number;
  retries: number;
  time: bigint;
}
export interface DataIndication {
  type: MsgType.DATA_INDICATION;
  lqi: number;
  modulation: number;
  time: bigint;
  frame: Uint8Array;
}
export interface TimeMsg {
  type: MsgType.TIME;
  now: bigint;
}
export interface ErrorMsg {
  type: MsgType.ERROR;
  code: number;
  text: string;
}

export type PortMessage = Hello | SetAddress | DataRequest | Reset | Idle | Ready | DataConfirm | DataIndication | TimeMsg | ErrorMsg;

export enum PortError {
  PROTOCOL_VERSION = 1,
  TOO_MANY_NODES = 2,
  NOT_SUPPORTED = 3,
  DUPLICATE_NODE = 4,
}

/** A frame's payload that does not parse as its type says. */
export class DecodeError extends Error {
  constructor(
    what: string,
    readonly at: number,
  ) {
    super(`${what} at byte ${at}`);
    this.name = 'DecodeError';
  }
}

// ---------------------------------------------------------------- encoder

/** One frame around a payload as it is: SOF, type, u16 length, payload, CRC-32 (PROTOCOL.md). */
export function frame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(PORT_HEADER_BYTES + payload.length + PORT_CRC_BYTES);
  const v = new DataView(out.buffer);
  out[0] = PORT_SOF;
  out[1] = type;
  v.setUint16(2, payload.length);
  out.set(payload, PORT_HEADER_BYTES);
  v.setUint32(PORT_HEADER_BYTES + payload.length, crc32(out, 1, PORT_HEADER_BYTES + payload.length));
  return out;
}

export class Encoder {
  encode(msg: PortMessage): Uint8Array {
    return frame(msg.type, this.payload(msg));
  }

  private payload(msg: PortMessage): Uint8Array {
    switch (msg.type) {
      case MsgType.HELLO: {
        const b = new Uint8Array(10);
        const v = new DataView(b.buffer);
        b[0] = msg.version;
        b[1] = msg.kind;
        v.setBigUint64(2, msg.eui64);
        return b;
      }
      case MsgType.SET_ADDRESS: {
        const b = new Uint8Array(4);
        const v = new DataView(b.buffer);
        v.setUint16(0, msg.panId);
        v.setUint16(2, msg.shortAddr);
        return b;
      }
      case MsgType.DATA_REQUEST: {
        const b = new Uint8Array(13 + msg.frame.length);
        const v = new DataView(b.buffer);
        b[0] = msg.handle;
        b[1] = msg.modulation;
        b[2] = msg.toneMap;
        b[3] = (msg.ackRequested ? DATA_FLAG_ACK : 0) | (msg.highPriority ? DATA_FLAG_HIGH_PRIORITY : 0);
        b[4] = msg.dstMode;
        v.setBigUint64(5, msg.dst);
        b.set(msg.frame, 13);
        return b;
      }
      case MsgType.RESET:
        return new Uint8Array(0);
      case MsgType.IDLE: {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, msg.until);
        return b;
      }
      case MsgType.READY: {
        const b = new Uint8Array(10);
        b[0] = msg.version;
        b[1] = msg.simClock ? 1 : 0;
        new DataView(b.buffer).setBigUint64(2, msg.now);
        return b;
      }
      case MsgType.DATA_CONFIRM: {
        const b = new Uint8Array(11);
        b[0] = msg.handle;
        b[1] = msg.status;
        b[2] = msg.retries;
        new DataView(b.buffer).setBigUint64(3, msg.time);
        return b;
      }
      case MsgType.DATA_INDICATION: {
        const b = new Uint8Array(10 + msg.frame.length);
        b[0] = msg.lqi;
        b[1] = msg.modulation;
        new DataView(b.buffer).setBigUint64(2, msg.time);
        b.set(msg.frame, 10);
        return b;
      }
      case MsgType.TIME: {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, msg.now);
        return b;
      }
      case MsgType.ERROR: {
        const text = new TextEncoder().encode(msg.text);
        const b = new Uint8Array(1 + text.length);
        b[0] = msg.code;
        b.set(text, 1);
        return b;
      }
    }
  }
}

// ---------------------------------------------------------------- decoder

export interface DecoderOptions {
  /** Largest payload accepted; a longer length field is treated as garbage. */
  maxPayload?: number;
  /** Largest number of bytes kept while waiting for the rest of a frame. */
  maxBuffered?: number;
}

export interface DecoderStats {
  frames: number;
  /** Bytes skipped while looking for a SOF (garbage, or the tail of a bad frame). */
  droppedBytes: number;
  /** Frames dropped: bad CRC, bad length, unknown type or malformed payload. */
  droppedFrames: number;
  badCrc: number;
  badLength: number;
  unknownType: number;
  malformed: number;
}

/**
 * Streaming decoder. push() bytes in any fragmentation, get whole messages out.
 * Malformed input never throws out of push(): it is counted and skipped, and the
 * decoder resynchronises on the next SOF after the bad frame's SOF.
 */
export class Decoder {
  readonly stats: DecoderStats = {
    frames: 0,
    droppedBytes: 0,
    droppedFrames: 0,
    badCrc: 0,
    badLength: 0,
    unknownType: 0,
    malformed: 0,
  };
  private readonly maxPayload: number;
  private readonly maxBuffered: number;
  private buf = new Uint8Array(0);

  constructor(opts: DecoderOptions = {}) {
    this.maxPayload = opts.maxPayload ?? PORT_DEFAULT_MAX_PAYLOAD;
    this.maxBuffered = opts.maxBuffered ?? 4 * (this.maxPayload + PORT_HEADER_BYTES + PORT_CRC_BYTES);
  }

  push(chunk: Uint8Array): PortMessage[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const out: PortMessage[] = [];
    let i = 0;
    for (;;) {
      // Hunt for SOF.
      const sof = joined.indexOf(PORT_SOF, i);
      if (sof < 0) {
        this.stats.droppedBytes += joined.length - i;
        i = joined.length;
        break;
      }
      this.stats.droppedBytes += sof - i;
      i = sof;
      if (joined.length - i < PORT_HEADER_BYTES) break; // need more bytes
      const type = joined[i + 1]!;
      const len = (joined[i + 2]! << 8) | joined[i + 3]!;
      // Judge the header before waiting for its payload, so a garbage SOF
      // rarely holds up the real frames behind it.
      const bounds = PAYLOAD_BOUNDS[type];
      if (bounds === undefined) {
        this.dropFrame('unknownType');
        i += 1;
        continue;
      }
      if (len < bounds[0] || len > Math.min(bounds[1], this.maxPayload)) {
        this.dropFrame('badLength');
        i += 1;
        continue;
      }
      const total = PORT_HEADER_BYTES + len + PORT_CRC_BYTES;
      if (joined.length - i < total) break; // need more bytes
      const v = new DataView(joined.buffer, joined.byteOffset);
      const crc = v.getUint32(i + PORT_HEADER_BYTES + len);
      if (crc !== crc32(joined, i + 1, i + PORT_HEADER_BYTES + len)) {
        this.dropFrame('badCrc');
        i += 1;
        continue;
      }
      const payload = joined.slice(i + PORT_HEADER_BYTES, i + PORT_HEADER_BYTES + len);
      i += total;
      try {
        const msg = decodePayload(type, payload);
        if (msg === undefined) throw new DecodeError('unknown type', i);
        this.stats.frames++;
        out.push(msg);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        this.dropFrame('malformed');
      }
    }
    this.buf = joined.slice(i);
    if (this.buf.length > this.maxBuffered) {
      // Cannot happen with a sane maxPayload, kept as a hard bound.
      this.stats.droppedBytes += this.buf.length;
      this.buf = new Uint8Array(0);
    }
    return out;
  }

  private dropFrame(reason: 'badCrc' | 'badLength' | 'unknownType' | 'malformed'): void {
    this.stats.droppedFrames++;
    this.stats[reason]++;
    // The SOF byte of a rejected header is skipped by the caller; count it.
    if (reason !== 'malformed') this.stats.droppedBytes++;
  }
}

/** Payload length bounds per type, [min, max]. */
const PAYLOAD_BOUNDS: Readonly<Record<number, readonly [number, number]>> = {
  [MsgType.HELLO]: [10, 10],
  [MsgType.SET_ADDRESS]: [4, 4],
  [MsgType.DATA_REQUEST]: [14, 0xffff],
  [MsgType.RESET]: [0, 0],
  [MsgType.IDLE]: [8, 8],
  [MsgType.READY]: [10, 10],
  [MsgType.DATA_CONFIRM]: [11, 11],
  [MsgType.DATA_INDICATION]: [11, 0xffff],
  [MsgType.TIME]: [8, 8],
  [MsgType.ERROR]: [1, 0xffff],
};

function need(p: Uint8Array, n: number, what: string): DataView {
  if (p.length < n) throw new DecodeError(`${what}: payload ${p.length} < ${n}`, p.length);
  return new DataView(p.buffer, p.byteOffset, p.byteLength);
}

/** Decode one payload; undefined for an unknown type; DecodeError if malformed. */
export function decodePayload(type: number, p: Uint8Array): PortMessage | undefined {
  switch (type) {
    case MsgType.HELLO: {
      const v = need(p, 10, 'HELLO');
      if (p[1]! > NodeKind.LIN) throw new DecodeError('HELLO: bad kind', 1);
      return { type, version: p[0]!, kind: p[1]! as NodeKind, eui64: v.getBigUint64(2) };
    }
    case MsgType.SET_ADDRESS: {
      const v = need(p, 4, 'SET_ADDRESS');
      return { type, panId: v.getUint16(0), shortAddr: v.getUint16(2) };
    }
    case MsgType.DATA_REQUEST: {
      const v = need(p, 14, 'DATA_REQUEST');
      const mode = p[4]!;
      if (mode !== AddrMode.NONE && mode !== AddrMode.SHORT && mode !== AddrMode.EXTENDED) {
        throw new DecodeError('DATA_REQUEST: bad address mode', 4);
      }
      return {
        type,
        handle: p[0]!,
        modulation: p[1]!,
        toneMap: p[2]!,
        ackRequested: (p[3]! & DATA_FLAG_ACK) !== 0,
        highPriority: (p[3]! & DATA_FLAG_HIGH_PRIORITY) !== 0,
        dstMode: mode as AddrMode,
        dst: v.getBigUint64(5),
        frame: p.slice(13),
      };
    }
    case MsgType.RESET:
      return { type };
    case MsgType.IDLE:
      return { type, until: need(p, 8, 'IDLE').getBigUint64(0) };
    case MsgType.READY: {
      const v = need(p, 10, 'READY');
      return { type, version: p[0]!, simClock: p[1] === 1, now: v.getBigUint64(2) };
    }
    case MsgType.DATA_CONFIRM: {
      const v = need(p, 11, 'DATA_CONFIRM');
      return { type, handle: p[0]!, status: p[1]!, retries: p[2]!, time: v.getBigUint64(3) };
    }
    case MsgType.DATA_INDICATION: {
      const v = need(p, 11, 'DATA_INDICATION');
      return { type, lqi: p[0]!, modulation: p[1]!, time: v.getBigUint64(2), frame: p.slice(10) };
    }
    case MsgType.TIME:
      return { type, now: need(p, 8, 'TIME').getBigUint64(0) };
    case MsgType.ERROR:
      need(p, 1, 'ERROR');
      return { type, code: p[0]!, text: new TextDecoder().decode(p.subarray(1)) };
    default:
      return undefined;
  }
}

const sharedEncoder = new Encoder();
export function encode(msg: PortMessage): Uint8Array {
  return sharedEncoder.encode(msg);
}
