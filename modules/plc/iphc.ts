// LOWPAN_IPHC / NHC-UDP compression (RFC 6282) of the IPv6 and UDP headers
// (their codec: generic/shared/ipv6.ts), with the address derivation G3 uses
// (generic/shared/g3-address.ts: interface identifier from PAN id and short address, G.9903 9.4,
// RFC 4944 section 6).
import { ByteReader, ByteWriter, bytesEqual, concat } from './bytes.js';
import {
  DISPATCH_IPHC,
  DISPATCH_IPHC_MASK,
  IPHC_CID,
  IPHC_DAC,
  IPHC_DAM_MASK,
  IPHC_HLIM_MASK,
  IPHC_HLIM_VALUES,
  IPHC_M,
  IPHC_NH,
  IPHC_SAC,
  IPHC_SAM_SHIFT,
  IPHC_TF_SHIFT,
  IPV6_HEADER_LENGTH,
  NEXT_HEADER_UDP,
  NHC_UDP,
  NHC_UDP_C,
  NHC_UDP_MASK,
  UDP_HEADER_LENGTH,
  UDP_PORT_4BIT_BASE,
  UDP_PORT_8BIT_BASE,
  ADP_MAX_DATAGRAM,
} from './adp-const.js';
import { iidFromLink, type LinkAddr, type ShortIidMode } from '../generic/shared/g3-address.js';
import { decodeIpv6 } from '../generic/shared/ipv6.js';

// ---------------- IPHC ----------------

/** fe80::/64, elided by IPHC's stateless address modes (RFC 6282 3.1.1). */
const LINK_LOCAL_PREFIX = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0);

export interface IphcOptions {
  panId: number;
  /** Context 0..15: 64-bit prefixes for context-based compression (G3: the global prefix is context 0). */
  contexts?: (Uint8Array | undefined)[];
  shortIidMode?: ShortIidMode;
  /** Compress UDP with NHC (RFC 6282 4.3). Default true. */
  nhcUdp?: boolean;
}

export interface Compressed {
  /** IPHC header bytes (dispatch .. inline fields, NHC UDP header included). */
  header: Uint8Array;
  /** Bytes of the uncompressed packet the header stands for (40, or 48 with UDP). */
  consumed: number;
}

const isZero = (b: Uint8Array, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
};

interface AddrChoice {
  ctx: number; // -1 = stateless
  mode: number; // SAM/DAM
  inline: Uint8Array;
}

function chooseUnicast(addr: Uint8Array, link: LinkAddr, o: IphcOptions, isSrc: boolean): AddrChoice {
  const mode = o.shortIidMode ?? 'g3';
  const iid = addr.subarray(8, 16);
  const tryIid = (ctx: number): AddrChoice => {
    if (bytesEqual(iid, iidFromLink(link, o.panId, mode))) return { ctx, mode: 3, inline: new Uint8Array(0) };
    const shortIid = iidFromLink(((addr[14] as number) << 8) | (addr[15] as number), o.panId, mode);
    if (bytesEqual(iid, shortIid)) return { ctx, mode: 2, inline: addr.slice(14, 16) };
    return { ctx, mode: 1, inline: addr.slice(8, 16) };
  };
  if (isSrc && isZero(addr, 0, 16)) return { ctx: 0, mode: 0, inline: new Uint8Array(0) }; // :: (SAC=1 SAM=00)
  if (bytesEqual(addr.subarray(0, 8), LINK_LOCAL_PREFIX)) return tryIid(-1);
  const ctxs = o.contexts ?? [];
  for (let c = 0; c < ctxs.length && c < 16; c++) {
    const p = ctxs[c];
    if (p && bytesEqual(addr.subarray(0, 8), p.subarray(0, 8))) return tryIid(c);
  }
  return { ctx: -1, mode: 0, inline: addr.slice() };
}

function chooseMulticast(a: Uint8Array): { mode: number; inline: Uint8Array } {
  // RFC 6282 3.1.1 DAM with M=1.
  if (a[1] === 0x02 && isZero(a, 2, 15)) return { mode: 3, inline: a.slice(15) }; // ff02::00XX
  if (isZero(a, 2, 13)) return { mode: 2, inline: Uint8Array.of(a[1] as number, a[13] as number, a[14] as number, a[15] as number) };
  if (isZero(a, 2, 11)) return { mode: 1, inline: Uint8Array.of(a[1] as number, ...a.subarray(11, 16)) };
  return { mode: 0, inline: a.slice() };
}

/** Compresses the IPv6 header (and a UDP header after it) of `packet`. */
export function compressIphc(packet: Uint8Array, linkSrc: LinkAddr, linkDst: LinkAddr | null, o: IphcOptions): Compressed {
  const { header: h, payload } = decodeIpv6(packet);
  let b0 = DISPATCH_IPHC,
    b1 = 0;
  const inline = new ByteWriter(48);
  // Traffic class / flow label (TF), with the IPHC ECN/DSCP order.
  const ecn = h.trafficClass & 0x03,
    dscp = h.trafficClass >> 2;
  if (h.flowLabel === 0 && h.trafficClass === 0) b0 |= 3 << IPHC_TF_SHIFT;
  else if (h.flowLabel === 0) {
    b0 |= 2 << IPHC_TF_SHIFT;
    inline.u8((ecn << 6) | dscp);
  } else if (dscp === 0) {
    b0 |= 1 << IPHC_TF_SHIFT;
    inline.u8((ecn << 6) | ((h.flowLabel >> 16) & 0x0f)).u16be(h.flowLabel & 0xffff);
  } else {
    inline
      .u8((ecn << 6) | dscp)
      .u8((h.flowLabel >> 16) & 0x0f)
      .u16be(h.flowLabel & 0xffff);
  }
  const udp = h.nextHeader === NEXT_HEADER_UDP && (o.nhcUdp ?? true) && payload.length >= UDP_HEADER_LENGTH;
  if (udp) b0 |= IPHC_NH;
  else inline.u8(h.nextHeader);
  const hl = IPHC_HLIM_VALUES.indexOf(h.hopLimit as 1 | 64 | 255);
  if (hl > 0) b0 |= hl;
  else inline.u8(h.hopLimit);

  const s = chooseUnicast(h.src, linkSrc, o, true);
  const srcIsUnspecified = isZero(h.src, 0, 16);
  let sci = 0,
    dci = 0;
  if (srcIsUnspecified) b1 |= IPHC_SAC;
  else if (s.ctx >= 0) {
    b1 |= IPHC_SAC;
    sci = s.ctx;
  }
  b1 |= s.mode << IPHC_SAM_SHIFT;
  let dInline: Uint8Array;
  if (h.dst[0] === 0xff) {
    const m = chooseMulticast(h.dst);
    b1 |= IPHC_M | m.mode;
    dInline = m.inline;
  } else {
    const d = linkDst === null ? { ctx: -1, mode: 0, inline: h.dst.slice() } : chooseUnicast(h.dst, linkDst, o, false);
    if (linkDst === null) {
      // No link destination (broadcast): IID cannot be derived, but 16/64-bit inline still work.
      const dd = chooseUnicast(h.dst, 0xffff, o, false);
      if (dd.mode !== 3) Object.assign(d, dd);
    }
    if (d.ctx >= 0) {
      b1 |= IPHC_DAC;
      dci = d.ctx;
    }
    b1 |= d.mode;
    dInline = d.inline;
  }
  const w = new ByteWriter(64);
  if (sci !== 0 || dci !== 0) b1 |= IPHC_CID;
  w.u8(b0).u8(b1);
  if (b1 & IPHC_CID) w.u8((sci << 4) | dci);
  w.bytes(inline.finish());
  if (!srcIsUnspecified) w.bytes(s.inline);
  w.bytes(dInline);
  let consumed = IPV6_HEADER_LENGTH;
  if (udp) {
    const sp = ((payload[0] as number) << 8) | (payload[1] as number);
    const dp = ((payload[2] as number) << 8) | (payload[3] as number);
    let nhc = NHC_UDP;
    const ports = new ByteWriter(4);
    if ((sp & 0xfff0) === UDP_PORT_4BIT_BASE && (dp & 0xfff0) === UDP_PORT_4BIT_BASE) {
      nhc |= 3;
      ports.u8(((sp & 0xf) << 4) | (dp & 0xf));
    } else if ((dp & 0xff00) === UDP_PORT_8BIT_BASE) {
      nhc |= 1;
      ports.u16be(sp).u8(dp & 0xff);
    } else if ((sp & 0xff00) === UDP_PORT_8BIT_BASE) {
      nhc |= 2;
      ports.u8(sp & 0xff).u16be(dp);
    } else ports.u16be(sp).u16be(dp);
    w.u8(nhc)
      .bytes(ports.finish())
      .u8(payload[6] as number)
      .u8(payload[7] as number); // checksum carried inline (C=0)
    consumed += UDP_HEADER_LENGTH;
  }
  return { header: w.finish(), consumed };
}

export interface Decompressed {
  /** Uncompressed IPv6 header (40 bytes), plus the UDP header (8) if NHC UDP was used. */
  header: Uint8Array;
  /** Compressed bytes consumed from the input. */
  consumed: number;
}

/**
 * Decompresses an IPHC header at the start of `b`. `datagramSize` (from a fragment header) gives
 * the IPv6 packet size; otherwise it is header + the rest of `b`.
 */
export function decompressIphc(
  b: Uint8Array,
  linkSrc: LinkAddr,
  linkDst: LinkAddr | null,
  o: IphcOptions,
  datagramSize?: number,
): Decompressed {
  const mode = o.shortIidMode ?? 'g3';
  const r: ByteReader = new ByteReader(b);
  const b0 = r.u8('iphc.dispatch');
  if ((b0 & DISPATCH_IPHC_MASK) !== DISPATCH_IPHC) r.fail('iphc.dispatch', 'not IPHC', 0);
  const b1 = r.u8('iphc.byte1');
  let sci = 0,
    dci = 0;
  if (b1 & IPHC_CID) {
    const c = r.u8('iphc.cid');
    sci = c >> 4;
    dci = c & 0x0f;
  }
  const tf = (b0 >> IPHC_TF_SHIFT) & 3;
  let tc = 0,
    fl = 0;
  if (tf === 0) {
    const x = r.u8('iphc.tf');
    tc = ((x & 0x3f) << 2) | (x >> 6);
    fl = ((r.u8('iphc.fl') & 0x0f) << 16) | r.u16be('iphc.fl');
  } else if (tf === 1) {
    const x = r.u8('iphc.tf');
    tc = x >> 6;
    fl = ((x & 0x0f) << 16) | r.u16be('iphc.fl');
  } else if (tf === 2) {
    const x = r.u8('iphc.tf');
    tc = ((x & 0x3f) << 2) | (x >> 6);
  }
  const nhc = (b0 & IPHC_NH) !== 0;
  let nextHeader = nhc ? -1 : r.u8('iphc.nextHeader');
  const hl = b0 & IPHC_HLIM_MASK;
  const hopLimit = hl === 0 ? r.u8('iphc.hopLimit') : (IPHC_HLIM_VALUES[hl] as number);

  const ctxPrefix = (c: number, what: string): Uint8Array => {
    const p = o.contexts?.[c];
    if (!p) r.fail(what, `unknown context ${c}`);
    return p.subarray(0, 8);
  };
  const unicast = (am: number, ac: boolean, ctx: number, link: LinkAddr | null, what: string): Uint8Array => {
    if (ac && am === 0) {
      if (what === 'iphc.dst') r.fail(what, 'reserved DAC=1 DAM=00');
      return new Uint8Array(16); // ::
    }
    if (!ac && am === 0) return r.take(16, what);
    const prefix = ac ? ctxPrefix(ctx, what) : LINK_LOCAL_PREFIX;
    let iid: Uint8Array;
    if (am === 1) iid = r.take(8, what);
    else if (am === 2) {
      const s = r.u16be(what);
      iid = iidFromLink(s, o.panId, mode);
    } else {
      if (link === null) r.fail(what, 'address elided without a link address');
      iid = iidFromLink(link, o.panId, mode);
    }
    return concat(prefix, iid);
  };
  const sam = (b1 >> IPHC_SAM_SHIFT) & 3;
  const src = unicast(sam, (b1 & IPHC_SAC) !== 0, sci, linkSrc, 'iphc.src');
  const dam = b1 & IPHC_DAM_MASK;
  let dst: Uint8Array;
  if (b1 & IPHC_M) {
    if (b1 & IPHC_DAC) r.fail('iphc.dst', 'unicast-prefix-based multicast not supported');
    dst = new Uint8Array(16);
    dst[0] = 0xff;
    if (dam === 0) dst = r.take(16, 'iphc.dst');
    else if (dam === 1) {
      dst[1] = r.u8('iphc.dst');
      dst.set(r.take(5, 'iphc.dst'), 11);
    } else if (dam === 2) {
      dst[1] = r.u8('iphc.dst');
      dst.set(r.take(3, 'iphc.dst'), 13);
    } else {
      dst[1] = 0x02;
      dst[15] = r.u8('iphc.dst');
    }
  } else dst = unicast(dam, (b1 & IPHC_DAC) !== 0, dci, linkDst, 'iphc.dst');

  let udpHeader: Uint8Array | null = null;
  if (nhc) {
    const at = r.pos;
    const n = r.u8('nhc');
    if ((n & NHC_UDP_MASK) !== NHC_UDP) r.fail('nhc', `unsupported NHC 0x${n.toString(16)}`, at);
    if (n & NHC_UDP_C) r.fail('nhc.udp.checksum', 'elided UDP checksum not allowed', at);
    let sp: number, dp: number;
    switch (n & 3) {
      case 0:
        sp = r.u16be('nhc.udp.ports');
        dp = r.u16be('nhc.udp.ports');
        break;
      case 1:
        sp = r.u16be('nhc.udp.ports');
        dp = UDP_PORT_8BIT_BASE | r.u8('nhc.udp.ports');
        break;
      case 2:
        sp = UDP_PORT_8BIT_BASE | r.u8('nhc.udp.ports');
        dp = r.u16be('nhc.udp.ports');
        break;
      default: {
        const x = r.u8('nhc.udp.ports');
        sp = UDP_PORT_4BIT_BASE | (x >> 4);
        dp = UDP_PORT_4BIT_BASE | (x & 0x0f);
      }
    }
    const ck = r.u16be('nhc.udp.checksum');
    nextHeader = NEXT_HEADER_UDP;
    udpHeader = new ByteWriter(8).u16be(sp).u16be(dp).u16be(0).u16be(ck).finish();
  }
  const consumed = r.pos;
  const upperHdr = udpHeader ? UDP_HEADER_LENGTH : 0;
  const total = datagramSize ?? IPV6_HEADER_LENGTH + upperHdr + (b.length - consumed);
  if (total > ADP_MAX_DATAGRAM || total < IPV6_HEADER_LENGTH + upperHdr) r.fail('iphc.length', `datagram of ${total} bytes`, 0);
  const payloadLength = total - IPV6_HEADER_LENGTH;
  const w = new ByteWriter(48);
  w.u32be(((6 << 28) | (tc << 20) | fl) >>> 0)
    .u16be(payloadLength)
    .u8(nextHeader)
    .u8(hopLimit)
    .bytes(src)
    .bytes(dst);
  if (udpHeader) {
    udpHeader[4] = payloadLength >> 8;
    udpHeader[5] = payloadLength & 0xff;
    w.bytes(udpHeader);
  }
  return { header: w.finish(), consumed };
}
