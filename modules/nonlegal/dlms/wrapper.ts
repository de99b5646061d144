// DLMS/COSEM transport layer for IP networks (Green Book 10.6 / IEC 62056-9-7):
// the wrapper header is version (2 bytes, = 1), source wPort, destination wPort, length of APDU.
import { ByteReader, ByteWriter } from './bytes.js';
import { EncodeError } from './errors.js';

export const WRAPPER_VERSION = 1;
export const WRAPPER_HEADER_LENGTH = 8;

/** Well-known wPorts (Green Book 10.6.3). */
export const WPort = Object.freeze({ MANAGEMENT_LOGICAL_DEVICE: 1, PUBLIC_CLIENT: 16, UDP_PORT: 4059, TCP_PORT: 4059 } as const);

export interface WrapperPdu {
  sourceWPort: number;
  destinationWPort: number;
  apdu: Uint8Array;
}

export interface WrapperOptions {
  /** Largest APDU length accepted. Default 65535 (the field's maximum). */
  maxLength?: number;
}

export function encodeWrapper(p: WrapperPdu): Uint8Array {
  if (p.apdu.length > 0xffff) throw new EncodeError('APDU longer than 65535 bytes');
  const w = new ByteWriter(WRAPPER_HEADER_LENGTH + p.apdu.length);
  w.u16be(WRAPPER_VERSION).u16be(p.sourceWPort).u16be(p.destinationWPort).u16be(p.apdu.length).bytes(p.apdu);
  return w.finish();
}

/**
 * Decodes one wrapper PDU at `offset` (a TCP stream may hold several or a part of one).
 * NeedMoreData if incomplete; DecodeError on a wrong version or an oversized length.
 */
export function decodeWrapper(bytes: Uint8Array, offset = 0, options: WrapperOptions = {}): { pdu: WrapperPdu; end: number } {
  const max = options.maxLength ?? 0xffff;
  const r = new ByteReader(bytes, offset);
  const at = r.pos;
  const version = r.u16be('wrapper.version');
  if (version !== WRAPPER_VERSION) r.fail('wrapper.version', `version ${version}`, at);
  const sourceWPort = r.u16be('wrapper.source-wport');
  const destinationWPort = r.u16be('wrapper.destination-wport');
  const len = r.u16be('wrapper.length');
  if (len > max) r.fail('wrapper.length', `length ${len} exceeds limit ${max}`, at + 6);
  const apdu = r.take(len, 'wrapper.apdu');
  return { pdu: { sourceWPort, destinationWPort, apdu }, end: r.pos };
}

/** For UDP: one datagram holds exactly one PDU; the length field must match. */
export function decodeWrapperDatagram(datagram: Uint8Array, options: WrapperOptions = {}): WrapperPdu {
  const { pdu, end } = decodeWrapper(datagram, 0, options);
  if (end !== datagram.length) new ByteReader(datagram, end).fail('wrapper.length', `${datagram.length - end} byte(s) beyond length`);
  return pdu;
}
