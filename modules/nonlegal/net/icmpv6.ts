// ICMPv6 (RFC 4443) messages the TCPIP task sends: echo replies and destination-unreachable
// errors, in the IPv6 codec of generic/shared/ipv6.ts.
import { HOP_LIMIT, NH_ICMPV6, encodeIpv6, upperLayerChecksum } from '../../generic/shared/ipv6.js';

export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PORT_UNREACHABLE = 4; // code of DEST_UNREACHABLE
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

/** ICMPv6 message: type, code, 4 bytes of rest-of-header, body. */
export function buildIcmp(src: Uint8Array, dst: Uint8Array, type: number, code: number, rest: Uint8Array, body: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + body.length);
  u[0] = type;
  u[1] = code;
  u.set(rest.subarray(0, 4), 4);
  u.set(body, 8);
  const c = upperLayerChecksum(src, dst, NH_ICMPV6, u);
  u[2] = c >> 8;
  u[3] = c & 0xff;
  return encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NH_ICMPV6, hopLimit: HOP_LIMIT, src, dst }, u);
}
