// ICMPv6 (RFC 4443): the one codec of both parts, over the IPv6 codec of ./ipv6.ts. Echo request
// and reply (4.1, 4.2): PLC's automatic reply (plc/netstack.ts) and PING command (plc/ping.ts),
// NON-LEGAL's TCPIP task (nonlegal/net/tcpip.ts); destination-unreachable errors (3.1): the TCPIP
// task's port-unreachable. Under generic/shared/, so any part may import it: its exports are hardened.
import { ByteReader } from './bytes.js';
import { HOP_LIMIT, NH_ICMPV6, decodeIpv6, encodeIpv6, upperLayerChecksum, type Ipv6Header } from './ipv6.js';
import { seal } from './errors.js';

export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PORT_UNREACHABLE = 4; // code of DEST_UNREACHABLE
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

export interface Echo {
  type: number;
  identifier: number;
  sequence: number;
  data: Uint8Array;
}

/** An IPv6 packet holding one ICMPv6 message: type, code, 4 bytes of rest-of-header, body. */
export function buildIcmp(
  src: Uint8Array,
  dst: Uint8Array,
  type: number,
  code: number,
  rest: Uint8Array,
  body: Uint8Array,
  hopLimit = HOP_LIMIT,
): Uint8Array {
  const u = new Uint8Array(8 + body.length);
  u[0] = type;
  u[1] = code;
  u.set(rest.subarray(0, 4), 4);
  u.set(body, 8);
  const c = upperLayerChecksum(src, dst, NH_ICMPV6, u);
  u[2] = c >> 8;
  u[3] = c & 0xff;
  return encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NH_ICMPV6, hopLimit, src, dst }, u);
}

export function buildEcho(src: Uint8Array, dst: Uint8Array, e: Echo, hopLimit = HOP_LIMIT): Uint8Array {
  const rest = Uint8Array.of(e.identifier >> 8, e.identifier & 0xff, e.sequence >> 8, e.sequence & 0xff);
  return buildIcmp(src, dst, e.type, 0, rest, e.data, hopLimit);
}

/** Parses an IPv6 packet holding an ICMPv6 echo request/reply; verifies the checksum. */
export function parseEcho(packet: Uint8Array): { ip: Ipv6Header; echo: Echo } {
  const { header, payload } = decodeIpv6(packet);
  const r = new ByteReader(payload);
  if (header.nextHeader !== NH_ICMPV6) r.fail('icmpv6.nextHeader', `${header.nextHeader}`, 0);
  const type = r.u8('icmpv6.type');
  if (type !== ICMPV6_ECHO_REQUEST && type !== ICMPV6_ECHO_REPLY) r.fail('icmpv6.type', `not an echo: ${type}`, 0);
  if (r.u8('icmpv6.code') !== 0) r.fail('icmpv6.code', 'echo code must be 0', 1);
  r.u16be('icmpv6.checksum');
  const identifier = r.u16be('icmpv6.identifier');
  const sequence = r.u16be('icmpv6.sequence');
  const data = r.rest();
  if (upperLayerChecksum(header.src, header.dst, NH_ICMPV6, payload) !== 0) r.fail('icmpv6.checksum', 'bad checksum', 2);
  return { ip: header, echo: { type, identifier, sequence, data } };
}

/** Echo reply from `self` for a request, or null if the packet is not an echo request. */
export function echoReplyFor(packet: Uint8Array, self: Uint8Array, hopLimit = HOP_LIMIT): Uint8Array | null {
  const { ip, echo } = parseEcho(packet);
  if (echo.type !== ICMPV6_ECHO_REQUEST) return null;
  return buildEcho(self, ip.src, { ...echo, type: ICMPV6_ECHO_REPLY }, hopLimit);
}

for (const f of [buildIcmp, buildEcho, parseEcho, echoReplyFor]) seal(f);
