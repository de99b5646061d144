// 6LoWPAN adaptation sublayer (ADP) framing: mesh header, broadcast header, FRAG1/FRAGN
// (RFC 4944 5.2-5.3), G.9903 ESC command frames, fragmentation and bounded reassembly,
// broadcast duplicate suppression. Every dropped datagram is counted with a reason.
import { ByteReader, ByteWriter, concat, hex4, toHex } from './bytes.js';
import { EncodeError } from './errors.js';
import type { Trace } from './crypto.js';
import type { LinkAddr } from '../generic/shared/g3-address.js';
import {
  ADP_DEFAULT_BROADCAST_LOG_SIZE,
  ADP_DEFAULT_BROADCAST_LOG_TTL_MS,
  ADP_DEFAULT_MAX_REASSEMBLIES,
  ADP_DEFAULT_REASSEMBLY_TIMEOUT_MS,
  ADP_MAX_DATAGRAM,
  DISPATCH_BC0,
  DISPATCH_ESC,
  DISPATCH_FRAG1,
  DISPATCH_FRAGN,
  DISPATCH_FRAG_MASK,
  DISPATCH_IPHC,
  DISPATCH_IPHC_MASK,
  DISPATCH_IPV6,
  DISPATCH_MESH,
  DISPATCH_MESH_MASK,
  MESH_F,
  MESH_HOPS_MASK,
  MESH_V,
} from './adp-const.js';

export interface MeshHeader {
  hopsLeft: number;
  originator: LinkAddr;
  final: LinkAddr;
}

export interface FragHeader {
  first: boolean;
  datagramSize: number;
  tag: number;
  /** In 8-octet units (0 for FRAG1). */
  offset: number;
}

/** A decoded ADP frame: optional headers, then the rest from the next dispatch on. */
export interface AdpFrame {
  mesh?: MeshHeader;
  broadcastSeq?: number;
  frag?: FragHeader;
  /** Bytes after the headers: IPHC, IPv6 (0x41 stripped) or ESC command, or a FRAGN payload. */
  payload: Uint8Array;
  kind: 'iphc' | 'ipv6' | 'esc' | 'fragment';
  /** ESC command id when kind is "esc". */
  command?: number;
}

function writeLink(w: ByteWriter, a: LinkAddr): void {
  if (typeof a === 'number') w.u16be(a);
  else {
    if (a.length !== 8) throw new EncodeError('adp: EUI-64 must be 8 bytes');
    w.bytes(a);
  }
}

export function encodeMeshHeader(m: MeshHeader): Uint8Array {
  if (m.hopsLeft < 0 || m.hopsLeft > 14) throw new EncodeError('adp: hops left 0..14 (0xF is reserved here)');
  const w = new ByteWriter(20);
  w.u8(DISPATCH_MESH | (typeof m.originator === 'number' ? MESH_V : 0) | (typeof m.final === 'number' ? MESH_F : 0) | m.hopsLeft);
  writeLink(w, m.originator);
  writeLink(w, m.final);
  return w.finish();
}

export function encodeBroadcastHeader(seq: number): Uint8Array {
  return Uint8Array.of(DISPATCH_BC0, seq & 0xff);
}

export function encodeFragHeader(f: FragHeader): Uint8Array {
  if (f.datagramSize < 1 || f.datagramSize > 0x7ff) throw new EncodeError('adp: datagram size is 11 bits');
  const w = new ByteWriter(5);
  w.u16be(((f.first ? DISPATCH_FRAG1 : DISPATCH_FRAGN) << 8) | f.datagramSize).u16be(f.tag & 0xffff);
  if (!f.first) w.u8(f.offset);
  return w.finish();
}

/** Wraps a G.9903 command (LOADng, LBP) in the ESC dispatch. */
export function encodeEsc(command: number, body: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(DISPATCH_ESC, command), body);
}

export function decodeAdpFrame(b: Uint8Array): AdpFrame {
  const r: ByteReader = new ByteReader(b);
  const out: AdpFrame = { payload: new Uint8Array(0), kind: 'iphc' };
  let d = r.u8('adp.dispatch');
  if ((d & DISPATCH_MESH_MASK) === DISPATCH_MESH) {
    const hopsLeft = d & MESH_HOPS_MASK;
    if (hopsLeft === 0x0f) r.fail('adp.mesh.hopsLeft', 'deep hops left not supported', r.pos - 1);
    const originator = d & MESH_V ? r.u16be('adp.mesh.originator') : r.take(8, 'adp.mesh.originator');
    const final = d & MESH_F ? r.u16be('adp.mesh.final') : r.take(8, 'adp.mesh.final');
    out.mesh = { hopsLeft, originator, final };
    d = r.u8('adp.dispatch');
  }
  if (d === DISPATCH_BC0) {
    out.broadcastSeq = r.u8('adp.bc0.seq');
    d = r.u8('adp.dispatch');
  }
  if ((d & DISPATCH_FRAG_MASK) === DISPATCH_FRAG1 || (d & DISPATCH_FRAG_MASK) === DISPATCH_FRAGN) {
    const first = (d & DISPATCH_FRAG_MASK) === DISPATCH_FRAG1;
    const at = r.pos - 1;
    const datagramSize = ((d & 0x07) << 8) | r.u8('adp.frag.size');
    const tag = r.u16be('adp.frag.tag');
    const offset = first ? 0 : r.u8('adp.frag.offset');
    if (datagramSize === 0) r.fail('adp.frag.size', 'zero datagram size', at);
    out.frag = { first, datagramSize, tag, offset };
    if (!first) {
      out.kind = 'fragment';
      out.payload = r.rest();
      if (out.payload.length === 0) r.fail('adp.frag.payload', 'empty fragment');
      return out;
    }
    d = r.u8('adp.dispatch');
  }
  if ((d & DISPATCH_IPHC_MASK) === DISPATCH_IPHC) {
    out.kind = 'iphc';
    out.payload = b.slice(r.pos - 1);
  } else if (d === DISPATCH_IPV6) {
    out.kind = 'ipv6';
    out.payload = r.rest();
  } else if (d === DISPATCH_ESC) {
    if (out.frag) r.fail('adp.esc', 'fragmented command frames not supported', r.pos - 1);
    out.kind = 'esc';
    out.command = r.u8('adp.esc.command');
    out.payload = r.rest();
  } else r.fail('adp.dispatch', `unsupported dispatch 0x${d.toString(16)}`, r.pos - 1);
  return out;
}

// ---------------- fragmentation (RFC 4944 5.3, RFC 6282 for compressed headers) ----------------

/**
 * Splits a datagram whose IPv6 (+UDP) header was compressed to `compressed` (standing for
 * `uncompressedHeaderLength` bytes) and whose remaining bytes are `rest`. Returns the
 * frames' ADP bytes after any mesh/broadcast header. `maxFrame` bounds each fragment
 * (header included). Offsets and size are in the uncompressed datagram.
 */
export function fragment(
  compressed: Uint8Array,
  uncompressedHeaderLength: number,
  rest: Uint8Array,
  tag: number,
  maxFrame: number,
): Uint8Array[] {
  const size = uncompressedHeaderLength + rest.length;
  if (size > ADP_MAX_DATAGRAM) throw new EncodeError(`adp: datagram of ${size} bytes exceeds ${ADP_MAX_DATAGRAM}`);
  if (compressed.length + rest.length <= maxFrame) return [concat(compressed, rest)];
  const firstRoom = maxFrame - 4 - compressed.length;
  // The uncompressed bytes the first fragment covers must be a multiple of 8.
  let firstData = Math.floor((uncompressedHeaderLength + firstRoom) / 8) * 8 - uncompressedHeaderLength;
  if (firstData < 0) throw new EncodeError('adp: fragment size too small for the header');
  firstData = Math.min(firstData, rest.length);
  const out = [concat(encodeFragHeader({ first: true, datagramSize: size, tag, offset: 0 }), compressed, rest.subarray(0, firstData))];
  const nRoom = Math.floor((maxFrame - 5) / 8) * 8;
  if (nRoom <= 0) throw new EncodeError('adp: fragment size too small');
  for (let pos = firstData; pos < rest.length; pos += nRoom) {
    const off = (uncompressedHeaderLength + pos) / 8;
    out.push(
      concat(
        encodeFragHeader({ first: false, datagramSize: size, tag, offset: off }),
        rest.subarray(pos, Math.min(rest.length, pos + nRoom)),
      ),
    );
  }
  return out;
}

export type ReassemblyDrop = 'overlap' | 'oversize' | 'timeout' | 'busy' | 'duplicate' | 'malformed';

export interface ReassemblyOptions {
  maxReassemblies?: number;
  maxDatagram?: number;
  timeoutMs?: number;
  trace?: Trace;
}

interface Reassembly {
  key: string;
  size: number;
  buf: Uint8Array;
  /** [start, end) byte ranges received, in the uncompressed datagram. */
  ranges: [number, number][];
  received: number;
  started: number;
}

/**
 * Bounded reassembly (RFC 4944 5.3): keyed by originator, final destination, size and tag.
 * The first fragment's compressed header is expanded by the caller's `expand` callback.
 */
export class Reassembler {
  readonly drops: Record<ReassemblyDrop, number> = { overlap: 0, oversize: 0, timeout: 0, busy: 0, duplicate: 0, malformed: 0 };
  private readonly max: number;
  private readonly maxDatagram: number;
  private readonly timeoutMs: number;
  private readonly trace: Trace;
  private readonly table = new Map<string, Reassembly>();

  constructor(o: ReassemblyOptions = {}) {
    this.max = o.maxReassemblies ?? ADP_DEFAULT_MAX_REASSEMBLIES;
    this.maxDatagram = o.maxDatagram ?? ADP_MAX_DATAGRAM;
    this.timeoutMs = o.timeoutMs ?? ADP_DEFAULT_REASSEMBLY_TIMEOUT_MS;
    this.trace = o.trace ?? (() => {});
  }

  get active(): number {
    return this.table.size;
  }

  private drop(reason: ReassemblyDrop, key: string): null {
    this.drops[reason]++;
    this.trace(`adp: reassembly drop ${reason} ${key}`);
    return null;
  }

  /**
   * Feeds one fragment; `data` is the uncompressed bytes it carries (for FRAG1: the expanded
   * header and what follows). Returns the complete datagram, or null.
   */
  input(src: LinkAddr, dst: LinkAddr, frag: FragHeader, data: Uint8Array, now: number): Uint8Array | null {
    this.expire(now);
    const key = `${typeof src === 'number' ? hex4(src) : toHex(src)}>${typeof dst === 'number' ? hex4(dst) : toHex(dst)}/${frag.datagramSize}/${frag.tag}`;
    if (frag.datagramSize > this.maxDatagram) return this.drop('oversize', key);
    const start = frag.offset * 8,
      end = start + data.length;
    if (end > frag.datagramSize) {
      this.table.delete(key);
      return this.drop('oversize', key);
    }
    if (data.length === 0) return this.drop('malformed', key);
    let ra = this.table.get(key);
    if (!ra) {
      if (this.table.size >= this.max) return this.drop('busy', key);
      ra = { key, size: frag.datagramSize, buf: new Uint8Array(frag.datagramSize), ranges: [], received: 0, started: now };
      this.table.set(key, ra);
    }
    for (const [s, e] of ra.ranges) {
      if (s === start && e === end) return this.drop('duplicate', key);
      if (start < e && s < end) {
        // RFC 4944 5.3: overlapping fragments that are not duplicates discard the datagram.
        this.table.delete(key);
        return this.drop('overlap', key);
      }
    }
    ra.buf.set(data, start);
    ra.ranges.push([start, end]);
    ra.received += data.length;
    if (ra.received === ra.size) {
      this.table.delete(key);
      return ra.buf;
    }
    return null;
  }

  expire(now: number): void {
    for (const [k, ra] of this.table) {
      if (now - ra.started >= this.timeoutMs) {
        this.table.delete(k);
        this.drop('timeout', k);
      }
    }
  }
}

// ---------------- broadcast duplicate suppression ----------------

/** Bounded log of (originator, BC0 sequence) seen (G.9903 adpBroadcastLogTable). */
export class BroadcastLog {
  private readonly entries = new Map<string, number>();
  private readonly size: number;
  private readonly ttl: number;
  duplicates = 0;
  constructor(size = ADP_DEFAULT_BROADCAST_LOG_SIZE, ttlMs = ADP_DEFAULT_BROADCAST_LOG_TTL_MS) {
    this.size = size;
    this.ttl = ttlMs;
  }
  /** True if new (and records it); false for a duplicate. */
  accept(originator: LinkAddr, seq: number, now: number): boolean {
    for (const [k, t] of this.entries) if (now - t > this.ttl) this.entries.delete(k);
    const key = `${typeof originator === 'number' ? hex4(originator) : toHex(originator)}#${seq}`;
    if (this.entries.has(key)) {
      this.duplicates++;
      return false;
    }
    if (this.entries.size >= this.size) {
      const first = this.entries.keys().next();
      if (!first.done) this.entries.delete(first.value);
    }
    this.entries.set(key, now);
    return true;
  }
}
