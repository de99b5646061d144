// The PLC codecs' byte helpers are the ones every part shares; hex4 is the PLC's own.
export { ByteReader, ByteWriter, concat, bytesEqual, toHex, fromHex } from '../generic/shared/bytes.js';

export function hex4(v: number): string {
  return (v & 0xffff).toString(16).padStart(4, '0');
}
