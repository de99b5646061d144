// 6LoWPAN adaptation (ADP) constants: RFC 4944 (dispatch, mesh, broadcast, fragments),
// RFC 6282 (IPHC, NHC UDP), G.9903 clause 9.4 / annex (ESC command frames, ADP IB defaults).

/** Dispatch values, RFC 4944 5.1 (bit patterns of the first octet). */
export const DISPATCH_ESC = 0x40; // 01 000000: G.9903 command frame (followed by a command id)
export const DISPATCH_IPV6 = 0x41; // 01 000001: uncompressed IPv6
export const DISPATCH_BC0 = 0x50; // 01 010000: broadcast header, 1-octet sequence number
export const DISPATCH_IPHC_MASK = 0xe0;
export const DISPATCH_IPHC = 0x60; // 011xxxxx: LOWPAN_IPHC, RFC 6282 3.1
export const DISPATCH_MESH_MASK = 0xc0;
export const DISPATCH_MESH = 0x80; // 10 V F HHHH, RFC 4944 5.2
export const DISPATCH_FRAG_MASK = 0xf8;
export const DISPATCH_FRAG1 = 0xc0; // 11000 + 11-bit size, RFC 4944 5.3
export const DISPATCH_FRAGN = 0xe0; // 11100 + 11-bit size

/** Mesh header flags, RFC 4944 5.2: V/F set when the originator/final address is 16-bit. */
export const MESH_V = 0x20;
export const MESH_F = 0x10;
export const MESH_HOPS_MASK = 0x0f;

/** G.9903 ESC command ids (first octet after DISPATCH_ESC). */
export enum AdpCommand {
  LOADNG = 0x01, // mesh routing message
  LBP = 0x02, // LoWPAN bootstrapping protocol
}

/** IPv6 minimum MTU; ADP datagrams are bounded by it (RFC 4944 5.3, G.9903 adpMaxDatagramSize). */
export const ADP_MAX_DATAGRAM = 1280;
/** Reassembly timeout: RFC 4944 5.3 says at most 60 s; G3 adpReassembyTimer default is 60 s. */
export const ADP_DEFAULT_REASSEMBLY_TIMEOUT_MS = 60_000;
export const ADP_DEFAULT_MAX_REASSEMBLIES = 4;
/** Broadcast duplicate suppression (adpBroadcastLogTableEntryTTL, 2 min default). */
export const ADP_DEFAULT_BROADCAST_LOG_TTL_MS = 2 * 60_000;
export const ADP_DEFAULT_BROADCAST_LOG_SIZE = 32;
/** adpMaxHops default (G.9903 ADP IB). */
export const ADP_DEFAULT_MAX_HOPS = 8;
/** G3 multicast short address used as mesh final address for broadcast (0x8001, group 1). */
export const ADP_BROADCAST_SHORT = 0x8001;

/** IPHC first octet, RFC 6282 3.1.1: 011 TF(2) NH HLIM(2). */
export const IPHC_TF_SHIFT = 3;
export const IPHC_NH = 0x04;
export const IPHC_HLIM_MASK = 0x03;
/** IPHC second octet: CID SAC SAM(2) M DAC DAM(2). */
export const IPHC_CID = 0x80;
export const IPHC_SAC = 0x40;
export const IPHC_SAM_SHIFT = 4;
export const IPHC_M = 0x08;
export const IPHC_DAC = 0x04;
export const IPHC_DAM_MASK = 0x03;
/** HLIM encodings 01, 10, 11. */
export const IPHC_HLIM_VALUES = [0, 1, 64, 255] as const;

/** NHC UDP, RFC 6282 4.3.3: 11110 C PP. */
export const NHC_UDP_MASK = 0xf8;
export const NHC_UDP = 0xf0;
export const NHC_UDP_C = 0x04;
export const UDP_PORT_8BIT_BASE = 0xf000; // 0xF0xx
export const UDP_PORT_4BIT_BASE = 0xf0b0; // 0xF0Bx

export const IPV6_HEADER_LENGTH = 40;
export const UDP_HEADER_LENGTH = 8;
export const NEXT_HEADER_UDP = 17;
export const NEXT_HEADER_ICMPV6 = 58;
// The ICMPv6 echo types: the one ICMPv6 codec's (generic/shared/icmpv6.ts).
export { ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY } from '../generic/shared/icmpv6.js';
