// ICMPv6 echo request and reply (RFC 4443 4.1, 4.2): the one echo codec of the PLC stack (the
// node's automatic reply in netstack.ts, the PING shell command in ping.ts).
import { ByteReader, ByteWriter } from './bytes.js';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, NEXT_HEADER_ICMPV6 } from './adp-const.js';
import { decodeIpv6, encodeIpv6, upperLayerChecksum, type Ipv6Header } from '../generic/shared/ipv6.js';

export interface Echo {
  type: number;
  identifier: number;
  sequence: number;
  data: Uint8Array;
}

export function buildEcho(src: Uint8Array, dst: Uint8Array, e: Echo, hopLimit = 64): Uint8Array {
  const icmp = new ByteWriter(8 + e.data.length).u8(e.type).u8(0).u16be(0).u16be(e.identifier).u16be(e.sequence).bytes(e.data).finish();
  const c = upperLayerChecksum(src, dst, NEXT_HEADER_ICMPV6, icmp);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  return encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NEXT_HEADER_ICMPV6, hopLimit, src, dst }, icmp);
}

/** Parses an IPv6 packet holding an ICMPv6 echo request/reply; verifies the checksum. */
export function parseEcho(packet: Uint8Array): { ip: Ipv6Header; echo: Echo } {
  const { header, payload } = decodeIpv6(packet);
  const r = new ByteReader(payload);
  if (header.nextHeader !== NEXT_HEADER_ICMPV6) r.fail('icmpv6.nextHeader', `${header.nextHeader}`, 0);
  const type = r.u8('icmpv6.type');
  if (type !== ICMPV6_ECHO_REQUEST && type !== ICMPV6_ECHO_REPLY) r.fail('icmpv6.type', `not an echo: ${type}`, 0);
  if (r.u8('icmpv6.code') !== 0) r.fail('icmpv6.code', 'echo code must be 0', 1);
  r.u16be('icmpv6.checksum');
  const identifier = r.u16be('icmpv6.identifier');
  const sequence = r.u16be('icmpv6.sequence');
  const data = r.rest();
  if (upperLayerChecksum(header.src, header.dst, NEXT_HEADER_ICMPV6, payload) !== 0) r.fail('icmpv6.checksum', 'bad checksum', 2);
  return { ip: header, echo: { type, identifier, sequence, data } };
}

/** Echo reply for a request, or null if the packet is not an echo request. */
export function echoReplyFor(packet: Uint8Array, self: Uint8Array, hopLimit = 64): Uint8Array | null {
  const { ip, echo } = parseEcho(packet);
  if (echo.type !== ICMPV6_ECHO_REQUEST) return null;
  return buildEcho(self, ip.src, { ...echo, type: ICMPV6_ECHO_REPLY }, hopLimit);
}
