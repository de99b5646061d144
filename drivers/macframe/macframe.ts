// Driver "macframe": the native 802.15.4-2006 / G3-PLC MAC frame codec (drivers/macframe) and
// the secured-frame hot path (encode + CCM* seal, CCM* open; mbed TLS), granted to PLC only
// (config.grants "driver.macframe"). A frame crosses as a flat Uint32Array of fields (order:
// MacFrameField) plus 24 bytes: destination EUI-64, source EUI-64, key source (MSB first).
// Failures come back as reason numbers (MacFrameReason); the PLC part turns them into its
// DecodeError / NeedMoreData / EncodeError.

type Bytes = Uint8Array;

const decodeNative =
  native<(frame: Bytes, fields: Uint32Array, ext: Bytes, fcs: boolean, maxLength: number) => number>('xs_macframe_decode');
const encodeNative =
  native<
    (fields: Uint32Array, ext: Bytes, payload: Bytes, mic: Bytes | undefined, fcs: boolean, maxLength: number) => ArrayBuffer | number
  >('xs_macframe_encode');
const sealNative =
  native<(fields: Uint32Array, ext: Bytes, key: Bytes, nonceSource: Bytes, payload: Bytes, maxLength: number) => ArrayBuffer | number>(
    'xs_macframe_seal',
  );
const openNative =
  native<
    (frame: Bytes, key: Bytes, nonceSource: Bytes, headerLength: number, level: number, frameCounter: number) => ArrayBuffer | undefined
  >('xs_macframe_open');

export interface MacFrameDriver {
  /** Decodes into fields/ext; returns 0 or a reason (drivers/macframe/macframe.h). */
  decode(frame: Bytes, fields: Uint32Array, ext: Bytes, fcs: boolean, maxLength: number): number;
  /** The frame, or a reason number. */
  encode(fields: Uint32Array, ext: Bytes, payload: Bytes, mic: Bytes | undefined, fcs: boolean, maxLength: number): Bytes | number;
  /** Encodes a secured frame and applies CCM* to it: the frame, or a reason number. */
  seal(fields: Uint32Array, ext: Bytes, key: Bytes, nonceSource: Bytes, payload: Bytes, maxLength: number): Bytes | number;
  /** CCM* open of a decoded secured frame: the plaintext payload, or undefined (MIC mismatch). */
  open(frame: Bytes, key: Bytes, nonceSource: Bytes, headerLength: number, level: number, frameCounter: number): Bytes | undefined;
}

const stateSizeNative = native<(maxSources: number, capacity: number) => number>('xs_macrx_state_size');
const initNative = native<(state: ArrayBuffer, maxSources: number, maxLength: number) => number>('xs_macrx_init');
const setKeyNative = native<(state: ArrayBuffer, index: number, key: Bytes | undefined) => number>('xs_macrx_set_key');
const countersNative = native<(state: ArrayBuffer, out: Uint32Array) => number>('xs_macrx_counters');
const clearNative = native<(state: ArrayBuffer) => number>('xs_macrx_clear');
const receiveNative =
  native<
    (
      state: ArrayBuffer,
      frame: Bytes,
      result: Uint32Array,
      ext: Bytes,
      now: number,
      pan: number,
      short: number,
      ourExt: Bytes,
      promiscuous: boolean,
      dupTtl: number,
    ) => number
  >('xs_macrx_receive');
const transmitNative =
  native<
    (
      state: ArrayBuffer,
      payload: Bytes,
      seq: number,
      dstPan: number,
      dst: number,
      dstExt: Bytes | undefined,
      src: number,
      srcExt: Bytes | undefined,
      flags: number,
      frameCounter: number,
      keyIndex: number,
    ) => ArrayBuffer | number
  >('xs_macrx_transmit');

/** The receive and transmit paths in one call each (drivers/macframe/macrx.h): the state (keys,
 * drop counters, the per-source replay and duplicate table) is an ArrayBuffer the script owns. */
export interface MacRxTxDriver {
  /** Bytes of a state holding `capacity` of at most `maxSources` sources. */
  stateSize(maxSources: number, capacity: number): number;
  /** 0 or a reason. */
  init(state: ArrayBuffer, maxSources: number, maxLength: number): number;
  setKey(state: ArrayBuffer, index: number, key: Bytes | undefined): number;
  /** Drops by reason (MacDropReason order), then the number of sources. */
  counters(state: ArrayBuffer, out: Uint32Array): number;
  clear(state: ArrayBuffer): number;
  /** A status (MACRX_* in macrx.h); result and ext get the fields; a secured frame is opened in place. */
  receive(
    state: ArrayBuffer,
    frame: Bytes,
    result: Uint32Array,
    ext: Bytes,
    now: number,
    pan: number,
    short: number,
    ourExt: Bytes,
    promiscuous: boolean,
    dupTtl: number,
  ): number;
  /** The frame (MHR, payload, MIC; sealed when flags & 2), or a reason number. dst/src: short
   * address, -1 = the EUI-64 in dstExt/srcExt, -2 = none. */
  transmit(
    state: ArrayBuffer,
    payload: Bytes,
    seq: number,
    dstPan: number,
    dst: number,
    dstExt: Bytes | undefined,
    src: number,
    srcExt: Bytes | undefined,
    flags: number,
    frameCounter: number,
    keyIndex: number,
  ): Bytes | number;
}

const bytesOr = (r: ArrayBuffer | number): Bytes | number => (typeof r === 'number' ? r : new Uint8Array(r));

export const macframe: MacFrameDriver & MacRxTxDriver = {
  decode: (frame, fields, ext, fcs, maxLength) => decodeNative(frame, fields, ext, fcs, maxLength),
  encode: (fields, ext, payload, mic, fcs, maxLength) => bytesOr(encodeNative(fields, ext, payload, mic, fcs, maxLength)),
  seal: (fields, ext, key, nonceSource, payload, maxLength) => bytesOr(sealNative(fields, ext, key, nonceSource, payload, maxLength)),
  open: (frame, key, nonceSource, headerLength, level, frameCounter) => {
    const r = openNative(frame, key, nonceSource, headerLength, level, frameCounter);
    return r === undefined ? undefined : new Uint8Array(r);
  },
  stateSize: (maxSources, capacity) => stateSizeNative(maxSources, capacity),
  init: (state, maxSources, maxLength) => initNative(state, maxSources, maxLength),
  setKey: (state, index, key) => setKeyNative(state, index, key),
  counters: (state, out) => countersNative(state, out),
  clear: (state) => clearNative(state),
  receive: receiveNative,
  transmit: (state, payload, seq, dstPan, dst, dstExt, src, srcExt, flags, frameCounter, keyIndex) =>
    bytesOr(transmitNative(state, payload, seq, dstPan, dst, dstExt, src, srcExt, flags, frameCounter, keyIndex)),
};
