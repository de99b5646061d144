// The MAC frame codec over GENERIC's native "macframe" driver (drivers/macframe, C): the same
// MacCodec shape, results and failures as the TypeScript codec in mac-frame.ts (which stays the
// reference the tests and `PLC BENCH` compare it with). The driver's reason numbers become
// DecodeError (named as the TypeScript decoder names them) or NeedMoreData; encode refusals
// become EncodeError. Secured frames are sealed and opened in one native call (CCM*, mbed TLS).
import type { MacFrameDriver, MacRxTxDriver } from 'drivers/macframe/macframe';
import { DecodeError, EncodeError, NeedMoreData } from './errors.js';
import { AddrMode, MAC_MAX_FRAME_LENGTH, type MacFrameType } from './mac-const.js';
import { headerShape, type DecodedMacFrame, type MacCodec, type MacDecoderOptions, type MacFrame } from './mac-frame.js';

/** Field order of the driver's Uint32Array (drivers/macframe/xs_macframe.c, MF_*). Plain
 * constants, not an enum: isolatedModules keeps const enums as objects. */
const F_TYPE = 0,
  F_FLAGS = 1,
  F_VERSION = 2,
  F_SEQ = 3,
  F_DST_MODE = 4,
  F_SRC_MODE = 5,
  F_DST_PAN = 6,
  F_SRC_PAN = 7,
  F_DST_SHORT = 8,
  F_SRC_SHORT = 9,
  F_SEC_LEVEL = 10,
  F_KEY_ID_MODE = 11,
  F_KEY_INDEX = 12,
  F_FRAME_COUNTER = 13,
  F_HEADER_LENGTH = 14,
  F_PAYLOAD_OFFSET = 15,
  F_PAYLOAD_LENGTH = 16,
  F_MIC_LENGTH = 17,
  F_ERROR_AT = 18,
  F_COUNT = 19;
/** drivers/macframe/macframe.h flags. */
const FLAG_SECURITY = 0x01,
  FLAG_PENDING = 0x02,
  FLAG_ACK_REQUEST = 0x04,
  FLAG_PAN_COMPRESSION = 0x08;

/** Reason number -> the TypeScript decoder's name for the same fault (index = MACFRAME_E_*). */
export const MAC_REASONS = [
  'ok',
  'truncated',
  'mac.length',
  'mac.fcf.type',
  'mac.fcf.addrMode',
  'mac.fcf.version',
  'mac.fcf.panIdCompression',
  'mac.addr',
  'mac.ack',
  'mac.aux.level',
  'mac.aux.reserved',
  'mac.fcf.security',
  'mac.fcs',
  'param',
  'space',
] as const;
const REASON_TRUNCATED = 1;

export class NativeMacCodec implements MacCodec {
  readonly maxLength: number;
  /** Scratch shared by every call: the codec is not re-entrant, as the G3 task is not. */
  private readonly fields = new Uint32Array(F_COUNT);
  private readonly ext = new Uint8Array(24);

  constructor(
    private readonly drv: MacFrameDriver,
    opts: MacDecoderOptions = {},
  ) {
    this.maxLength = opts.maxLength ?? MAC_MAX_FRAME_LENGTH;
  }

  decode(bytes: Uint8Array): DecodedMacFrame {
    const v = this.fields,
      x = this.ext;
    const e = this.drv.decode(bytes, v, x, false, this.maxLength);
    if (e !== 0) {
      if (e === REASON_TRUNCATED) throw new NeedMoreData('mac', v[F_ERROR_AT] as number, 1);
      throw new DecodeError(MAC_REASONS[e] ?? 'mac', v[F_ERROR_AT] as number);
    }
    const flags = v[F_FLAGS] as number,
      dm = v[F_DST_MODE] as number,
      sm = v[F_SRC_MODE] as number;
    const at = v[F_PAYLOAD_OFFSET] as number,
      end = at + (v[F_PAYLOAD_LENGTH] as number);
    const f: DecodedMacFrame = {
      type: v[F_TYPE] as MacFrameType,
      seq: v[F_SEQ] as number,
      version: v[F_VERSION] as number,
      framePending: (flags & FLAG_PENDING) !== 0,
      ackRequest: (flags & FLAG_ACK_REQUEST) !== 0,
      panIdCompression: (flags & FLAG_PAN_COMPRESSION) !== 0,
      dst: null,
      src: null,
      payload: bytes.slice(at, end),
      headerLength: v[F_HEADER_LENGTH] as number,
    };
    if (dm !== 0) {
      f.dstPan = v[F_DST_PAN];
      f.dst = dm === AddrMode.SHORT ? (v[F_DST_SHORT] as number) : x.slice(0, 8);
    }
    if (sm !== 0) {
      f.srcPan = v[F_SRC_PAN];
      f.src = sm === AddrMode.SHORT ? (v[F_SRC_SHORT] as number) : x.slice(8, 16);
    }
    if (flags & FLAG_SECURITY) {
      const keyIdMode = v[F_KEY_ID_MODE] as number;
      f.security = {
        level: v[F_SEC_LEVEL] as number,
        keyIdMode,
        frameCounter: v[F_FRAME_COUNTER] as number,
        keyIndex: v[F_KEY_INDEX] as number,
      };
      if (keyIdMode >= 2) f.security.keySource = x.slice(16, keyIdMode === 2 ? 20 : 24);
      if ((v[F_MIC_LENGTH] as number) > 0) f.mic = bytes.slice(end, end + (v[F_MIC_LENGTH] as number));
    }
    return f;
  }

  /** Fills the scratch fields from f, with the TypeScript encoder's defaults and checks. */
  private load(f: MacFrame): void {
    const { dm, sm, compress, version } = headerShape(f);
    const s = f.security;
    const v = this.fields,
      x = this.ext;
    v[F_TYPE] = f.type;
    v[F_FLAGS] =
      (s ? FLAG_SECURITY : 0) |
      (f.framePending ? FLAG_PENDING : 0) |
      (f.ackRequest ? FLAG_ACK_REQUEST : 0) |
      (compress ? FLAG_PAN_COMPRESSION : 0);
    v[F_VERSION] = version;
    v[F_SEQ] = f.seq;
    v[F_DST_MODE] = dm;
    v[F_SRC_MODE] = sm;
    v[F_DST_PAN] = f.dstPan ?? 0;
    v[F_SRC_PAN] = f.srcPan ?? f.dstPan ?? 0;
    v[F_DST_SHORT] = typeof f.dst === 'number' ? f.dst : 0;
    v[F_SRC_SHORT] = typeof f.src === 'number' ? f.src : 0;
    if (f.dst instanceof Uint8Array) this.putExt(f.dst, 0);
    if (f.src instanceof Uint8Array) this.putExt(f.src, 8);
    v[F_SEC_LEVEL] = s ? s.level : 0;
    v[F_KEY_ID_MODE] = s ? s.keyIdMode : 0;
    v[F_KEY_INDEX] = s ? s.keyIndex : 0;
    v[F_FRAME_COUNTER] = s ? s.frameCounter >>> 0 : 0;
    if (s && (s.keyIdMode === 2 || s.keyIdMode === 3)) {
      const n = s.keyIdMode === 2 ? 4 : 8;
      if (!s.keySource || s.keySource.length !== n) throw new EncodeError('mac: key source length');
      x.set(s.keySource, 16);
    }
  }

  private putExt(a: Uint8Array, at: number): void {
    if (a.length !== 8) throw new EncodeError('mac: extended address must be 8 bytes');
    this.ext.set(a, at);
  }

  private result(r: Uint8Array | number): Uint8Array {
    if (typeof r === 'number') throw new EncodeError(`mac: frame refused (${MAC_REASONS[r] ?? r})`);
    return r;
  }

  encode(f: MacFrame): Uint8Array {
    this.load(f);
    return this.result(this.drv.encode(this.fields, this.ext, f.payload, f.mic, false, this.maxLength));
  }

  header(f: MacFrame): Uint8Array {
    this.load(f);
    // the MHR of a frame without payload; a secured one carries a placeholder MIC, cut off here
    const mic = f.security ? new Uint8Array([0, 4, 8, 16][f.security.level & 3] as number) : undefined;
    const all = this.result(this.drv.encode(this.fields, this.ext, new Uint8Array(0), mic, false, this.maxLength));
    return all.subarray(0, all.length - (mic?.length ?? 0));
  }

  seal(f: MacFrame, key: Uint8Array, nonceSource: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!f.security) throw new EncodeError('mac: seal needs a security header');
    this.load(f);
    return this.result(this.drv.seal(this.fields, this.ext, key, nonceSource, plaintext, this.maxLength));
  }

  open(bytes: Uint8Array, f: DecodedMacFrame, key: Uint8Array, nonceSource: Uint8Array): Uint8Array | null {
    const s = f.security;
    if (!s) return null;
    return this.drv.open(bytes, key, nonceSource, f.headerLength, s.level, s.frameCounter) ?? null;
  }
}

/** Statuses of the one-call receive (drivers/macframe/macrx.h MACRX_*); a drop is RX_DROP + its
 * index in MacDropReason order (mac.ts). */
export const RX_DATA = 0,
  RX_ACK = 1,
  RX_BEACON_REQUEST = 2,
  RX_BEACON = 3,
  RX_GROW = 4,
  RX_DROP = 0x10;
/** Result fields of the one-call receive (macrx.h MACRX_R_*). */
export const R_TYPE = 0,
  R_SEQ = 1,
  R_SRC_MODE = 2,
  R_SRC_SHORT = 3,
  R_SRC_PAN = 4,
  R_DST_MODE = 5,
  R_DST_SHORT = 6,
  R_DST_PAN = 7,
  R_LEVEL = 8,
  R_KEY_ID_MODE = 9,
  R_KEY_INDEX = 10,
  R_FRAME_COUNTER = 11,
  R_PREV_COUNTER = 12,
  R_PAYLOAD_OFFSET = 13,
  R_PAYLOAD_LENGTH = 14,
  R_REASON = 15,
  R_ERROR_AT = 16,
  R_EVICTED = 17,
  R_COUNT = 18;
/** Transmit address arguments besides a short address, and flags (xs_macrx_transmit). */
export const TX_EXT = -1,
  TX_NONE = -2,
  TX_ACK_REQUEST = 1,
  TX_SECURE = 2;
/** Drop counters the state keeps (MacDropReason order), then the number of sources. */
export const RX_DROP_REASONS = 10;
/** Sources the state holds before it first grows (it doubles up to the manifest bound). */
const INITIAL_SOURCES = 8;

/**
 * The MAC layer's receive and transmit paths in one native call each (drivers/macframe/macrx.c):
 * the keys, the drop counters and the per-source table of frame counters and sequence numbers
 * (replay and duplicate checks) live in `state`, an ArrayBuffer this object owns and grows (by
 * doubling, up to `maxSources`, the manifest bound) when the call asks for it. The call fills
 * `result` (R_*) and `ext` (destination EUI-64, source EUI-64) and builds no object.
 */
export class NativeMacPath {
  state: ArrayBuffer;
  readonly result = new Uint32Array(R_COUNT);
  readonly ext = new Uint8Array(16);
  private capacity: number;

  constructor(
    readonly drv: MacRxTxDriver,
    readonly maxSources: number,
    readonly maxLength: number = MAC_MAX_FRAME_LENGTH,
  ) {
    if (!(maxSources >= 1 && maxSources <= 0xfffe)) throw new RangeError('mac: sources 1..65534');
    this.capacity = Math.min(INITIAL_SOURCES, maxSources);
    this.state = new ArrayBuffer(drv.stateSize(maxSources, this.capacity));
    if (drv.init(this.state, maxSources, maxLength) !== 0) throw new RangeError('mac: native state refused');
  }

  /** Doubles the table (up to maxSources), keeping every entry where it is. */
  grow(): void {
    this.capacity = Math.min(this.capacity * 2, this.maxSources);
    const next = new ArrayBuffer(this.drv.stateSize(this.maxSources, this.capacity));
    new Uint8Array(next).set(new Uint8Array(this.state));
    this.state = next;
  }

  setKey(index: number, key: Uint8Array | undefined): void {
    if (this.drv.setKey(this.state, index, key) !== 0) throw new RangeError(`mac: GMK ${index} refused`);
  }

  /** Drops by reason (MacDropReason order), then the number of sources held. */
  counters(): Uint32Array {
    const out = new Uint32Array(RX_DROP_REASONS + 1);
    this.drv.counters(this.state, out);
    return out;
  }

  clearSources(): void {
    this.drv.clear(this.state);
  }
}
