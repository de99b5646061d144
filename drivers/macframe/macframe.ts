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

const bytesOr = (r: ArrayBuffer | number): Bytes | number => (typeof r === 'number' ? r : new Uint8Array(r));

export const macframe: MacFrameDriver = {
  decode: (frame, fields, ext, fcs, maxLength) => decodeNative(frame, fields, ext, fcs, maxLength),
  encode: (fields, ext, payload, mic, fcs, maxLength) => bytesOr(encodeNative(fields, ext, payload, mic, fcs, maxLength)),
  seal: (fields, ext, key, nonceSource, payload, maxLength) => bytesOr(sealNative(fields, ext, key, nonceSource, payload, maxLength)),
  open: (frame, key, nonceSource, headerLength, level, frameCounter) => {
    const r = openNative(frame, key, nonceSource, headerLength, level, frameCounter);
    return r === undefined ? undefined : new Uint8Array(r);
  },
};
