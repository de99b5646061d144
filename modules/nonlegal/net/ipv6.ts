// IPv6 (RFC 8200), UDP (RFC 768 over IPv6) and ICMPv6 (RFC 4443) headers for the TCPIP task:
// build, check and take apart, in the spirit of uIPv6 (one packet at a time, nothing trusted
// before it is checked). Addresses are the G3 link-local ones (generic/shared/g3-address.ts),
// the same ones PLC's IPHC compresses away.

export const IPV6_HEADER = 40;
export const UDP_HEADER = 8;
export const NH_UDP = 17;
export const NH_ICMPV6 = 58;
export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PORT_UNREACHABLE = 4; // code of DEST_UNREACHABLE
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
/** The IPv6 minimum MTU: ADP reassembles datagrams up to this (RFC 4944 5.3). */
export const IPV6_MTU = 1280;
export const HOP_LIMIT = 64;

export const LOOPBACK = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
export const ALL_NODES = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Internet checksum over the IPv6 pseudo-header (RFC 8200 8.1) and the upper-layer bytes. */
export function checksum(src: Uint8Array, dst: Uint8Array, nh: number, upper: Uint8Array): number {
  let sum = upper.length + nh;
  for (let i = 0; i < 16; i += 2) sum += ((src[i]! << 8) | src[i + 1]!) + ((dst[i]! << 8) | dst[i + 1]!);
  const n = upper.length;
  for (let i = 0; i + 1 < n; i += 2) sum += (upper[i]! << 8) | upper[i + 1]!;
  if (n & 1) sum += upper[n - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

function packet(src: Uint8Array, dst: Uint8Array, nh: number, upper: Uint8Array, ck: number): Uint8Array {
  const p = new Uint8Array(IPV6_HEADER + upper.length);
  p[0] = 0x60;
  p[4] = upper.length >> 8;
  p[5] = upper.length & 0xff;
  p[6] = nh;
  p[7] = HOP_LIMIT;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(upper, IPV6_HEADER);
  const c = checksum(src, dst, nh, upper);
  p[IPV6_HEADER + ck] = c >> 8;
  p[IPV6_HEADER + ck + 1] = c & 0xff;
  return p;
}

export function buildUdp(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(UDP_HEADER + data.length);
  const len = u.length;
  u[0] = srcPort >> 8;
  u[1] = srcPort & 0xff;
  u[2] = dstPort >> 8;
  u[3] = dstPort & 0xff;
  u[4] = len >> 8;
  u[5] = len & 0xff;
  u.set(data, UDP_HEADER);
  const p = packet(src, dst, NH_UDP, u, 6);
  // RFC 8200 8.1: a computed checksum of zero is sent as 0xFFFF
  if (p[IPV6_HEADER + 6] === 0 && p[IPV6_HEADER + 7] === 0) p[IPV6_HEADER + 6] = p[IPV6_HEADER + 7] = 0xff;
  return p;
}

/** ICMPv6 message: type, code, 4 bytes of rest-of-header, body. */
export function buildIcmp(src: Uint8Array, dst: Uint8Array, type: number, code: number, rest: Uint8Array, body: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + body.length);
  u[0] = type;
  u[1] = code;
  u.set(rest.subarray(0, 4), 4);
  u.set(body, 8);
  return packet(src, dst, NH_ICMPV6, u, 2);
}

export type Ipv6Drop = 'short' | 'version' | 'length' | 'nextHeader' | 'checksum' | 'udpLength';

export interface Ipv6Packet {
  nh: number;
  src: Uint8Array;
  dst: Uint8Array;
  upper: Uint8Array;
}

/** Checks the fixed header and the upper layer's checksum; returns the drop reason or the parts. */
export function parsePacket(p: Uint8Array): Ipv6Packet | Ipv6Drop {
  if (p.length < IPV6_HEADER + 8) return 'short';
  if (p[0]! >> 4 !== 6) return 'version';
  if (((p[4]! << 8) | p[5]!) !== p.length - IPV6_HEADER || p.length > IPV6_MTU) return 'length';
  const nh = p[6]!;
  if (nh !== NH_UDP && nh !== NH_ICMPV6) return 'nextHeader'; // no extension headers carried
  const src = p.subarray(8, 24),
    dst = p.subarray(24, 40),
    upper = p.subarray(IPV6_HEADER);
  if (nh === NH_UDP) {
    if (((upper[4]! << 8) | upper[5]!) !== upper.length) return 'udpLength';
    if (upper[6] === 0 && upper[7] === 0) return 'checksum'; // mandatory in IPv6
  }
  if (checksum(src, dst, nh, upper) !== 0) return 'checksum';
  return { nh, src, dst, upper };
}
