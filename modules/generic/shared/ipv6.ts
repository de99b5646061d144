// IPv6 (RFC 8200) fixed header and UDP (RFC 768 over IPv6): the one codec of both parts. PLC's
// IPHC (plc/iphc.ts) compresses what encodeIpv6 builds and rebuilds it; NON-LEGAL's TCPIP task
// (nonlegal/net/tcpip.ts) builds datagrams with buildUdp and checks what it receives with
// parsePacket, in the spirit of uIPv6 (one packet at a time, nothing trusted before it is
// checked). Addresses: generic/shared/g3-address.ts. Under generic/shared/, so any part may
// import it: its exports are hardened.
import { ByteReader, ByteWriter } from './bytes.js';
import { EncodeError, seal } from './errors.js';

export const IPV6_HEADER = 40;
export const UDP_HEADER = 8;
export const NH_UDP = 17;
export const NH_ICMPV6 = 58;
/** The IPv6 minimum MTU: ADP reassembles datagrams up to this (RFC 4944 5.3). */
export const IPV6_MTU = 1280;
export const HOP_LIMIT = 64;

export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

export function encodeIpv6(h: Omit<Ipv6Header, 'payloadLength'>, payload: Uint8Array): Uint8Array {
  if (h.src.length !== 16 || h.dst.length !== 16) throw new EncodeError('ipv6: addresses are 16 bytes');
  if (payload.length > 0xffff) throw new EncodeError('ipv6: payload too long');
  const w = new ByteWriter(IPV6_HEADER + payload.length);
  w.u32be(((6 << 28) | ((h.trafficClass & 0xff) << 20) | (h.flowLabel & 0xfffff)) >>> 0);
  w.u16be(payload.length).u8(h.nextHeader).u8(h.hopLimit).bytes(h.src).bytes(h.dst).bytes(payload);
  return w.finish();
}

/** The fixed header and its payload; DecodeError / NeedMoreData naming the field otherwise. */
export function decodeIpv6(b: Uint8Array): { header: Ipv6Header; payload: Uint8Array } {
  const r = new ByteReader(b);
  const w0 = r.u32be('ipv6.version');
  if (w0 >>> 28 !== 6) r.fail('ipv6.version', `version ${w0 >>> 28}`, 0);
  const payloadLength = r.u16be('ipv6.payloadLength');
  const nextHeader = r.u8('ipv6.nextHeader');
  const hopLimit = r.u8('ipv6.hopLimit');
  const src = r.take(16, 'ipv6.src');
  const dst = r.take(16, 'ipv6.dst');
  const payload = r.take(payloadLength, 'ipv6.payload');
  if (r.remaining !== 0) r.fail('ipv6.length', 'bytes after payload');
  return { header: { trafficClass: (w0 >>> 20) & 0xff, flowLabel: w0 & 0xfffff, payloadLength, nextHeader, hopLimit, src, dst }, payload };
}

/** Internet checksum over the IPv6 pseudo-header and the upper-layer packet (RFC 8200 8.1). */
export function upperLayerChecksum(src: Uint8Array, dst: Uint8Array, nextHeader: number, upper: Uint8Array): number {
  let sum = 0;
  const add = (b: Uint8Array): void => {
    for (let i = 0; i < b.length; i += 2) sum += ((b[i] as number) << 8) | (b[i + 1] ?? 0);
  };
  add(src);
  add(dst);
  sum += (upper.length >>> 16) + (upper.length & 0xffff) + nextHeader;
  add(upper);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv6 packet holding one UDP datagram, its checksum computed (never 0: RFC 8200 8.1). */
export function buildUdp(
  src: Uint8Array,
  dst: Uint8Array,
  srcPort: number,
  dstPort: number,
  data: Uint8Array,
  hopLimit = HOP_LIMIT,
): Uint8Array {
  const udp = new ByteWriter(UDP_HEADER + data.length)
    .u16be(srcPort)
    .u16be(dstPort)
    .u16be(UDP_HEADER + data.length)
    .u16be(0)
    .bytes(data)
    .finish();
  let c = upperLayerChecksum(src, dst, NH_UDP, udp);
  if (c === 0) c = 0xffff;
  udp[6] = c >> 8;
  udp[7] = c & 0xff;
  return encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NH_UDP, hopLimit, src, dst }, udp);
}

export type Ipv6Drop = 'short' | 'version' | 'length' | 'nextHeader' | 'checksum' | 'udpLength';

export interface Ipv6Packet {
  nh: number;
  src: Uint8Array;
  dst: Uint8Array;
  upper: Uint8Array;
}

/**
 * A received packet of UDP or ICMPv6 (no extension headers carried): checks the fixed header,
 * the UDP length and the upper layer's checksum; returns the drop reason or the parts.
 */
export function parsePacket(p: Uint8Array): Ipv6Packet | Ipv6Drop {
  if (p.length < IPV6_HEADER + 8) return 'short';
  if (p[0]! >> 4 !== 6) return 'version';
  if (((p[4]! << 8) | p[5]!) !== p.length - IPV6_HEADER || p.length > IPV6_MTU) return 'length';
  const nh = p[6]!;
  if (nh !== NH_UDP && nh !== NH_ICMPV6) return 'nextHeader';
  const src = p.subarray(8, 24),
    dst = p.subarray(24, 40),
    upper = p.subarray(IPV6_HEADER);
  if (nh === NH_UDP) {
    if (((upper[4]! << 8) | upper[5]!) !== upper.length) return 'udpLength';
    if (upper[6] === 0 && upper[7] === 0) return 'checksum'; // mandatory in IPv6
  }
  if (upperLayerChecksum(src, dst, nh, upper) !== 0) return 'checksum';
  return { nh, src, dst, upper };
}

for (const f of [encodeIpv6, decodeIpv6, upperLayerChecksum, buildUdp, parsePacket]) seal(f);
