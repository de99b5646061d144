import assert from 'node:assert/strict';
import {
  BroadcastLog,
  Reassembler,
  decodeAdpFrame,
  encodeBroadcastHeader,
  encodeEsc,
  encodeFragHeader,
  encodeMeshHeader,
  fragment,
} from '../../modules/plc/adp.js';
import { compressIphc, decompressIphc, type IphcOptions } from '../../modules/plc/iphc.js';
import { buildEcho, parseEcho } from '../../modules/generic/shared/icmpv6.js';
import { buildUdp } from '../../modules/generic/shared/ipv6.js';
import { iidFromLink, linkLocalFromLink, type LinkAddr } from '../../modules/generic/shared/g3-address.js';
import { concat } from '../../modules/plc/bytes.js';
import { eui, hex, toH } from './helpers.js';

const PAN = 0x781d;
const G3: IphcOptions = { panId: PAN, contexts: [hex('20010db8000000010000000000000000')] };
const RFC: IphcOptions = { panId: PAN, shortIidMode: 'rfc6282' };

function roundTrip(packet: Uint8Array, s: LinkAddr, d: LinkAddr | null, o: IphcOptions): Uint8Array {
  const c = compressIphc(packet, s, d, o);
  const frame = concat(c.header, packet.subarray(c.consumed));
  const x = decompressIphc(frame, s, d, o);
  const back = concat(x.header, frame.subarray(x.consumed));
  assert.equal(toH(back), toH(packet));
  return c.header;
}

describe('plc IPHC (RFC 6282) with G3 addressing', () => {
  it('derives the G3 interface identifier from PAN id and short address (U/L bit 0)', () => {
    assert.equal(toH(iidFromLink(0x0009, 0x781d)), '781d00fffe000009');
    assert.equal(toH(iidFromLink(0x0009, 0x7a1d)), '781d00fffe000009'); // U/L bit forced to 0
    assert.equal(toH(iidFromLink(0x0009, 0x781d, 'rfc6282')), '000000fffe000009');
    assert.equal(toH(iidFromLink(eui(1), 0)), '0280e10000000001'); // EUI-64: U/L inverted
  });
  it('RFC 6282 stateless link-local from short addresses compresses to 3 bytes (7A 33 3A)', () => {
    const src = linkLocalFromLink(1, PAN, 'rfc6282'),
      dst = linkLocalFromLink(2, PAN, 'rfc6282');
    const p = buildEcho(src, dst, { type: 128, identifier: 1, sequence: 1, data: hex('0102') });
    // TF=11, NH inline, HLIM=64 -> 0x7A; SAM=11, DAM=11 -> 0x33; next header 58.
    assert.equal(toH(roundTrip(p, 1, 2, RFC)), '7a333a');
  });
  it('G3 link-local addresses fully elided, and 16-bit inline when not the link address', () => {
    const src = linkLocalFromLink(1, PAN),
      dst = linkLocalFromLink(2, PAN);
    const p = buildEcho(src, dst, { type: 128, identifier: 1, sequence: 1, data: hex('aa') });
    assert.equal(toH(roundTrip(p, 1, 2, G3)), '7a333a');
    // Mesh-forwarded: link addresses are the mesh originator/final; here link src differs -> SAM=10.
    assert.equal(toH(roundTrip(p, 5, 2, G3)), '7a233a0001');
  });
  it('every source and destination mode round-trips', () => {
    const srcs: [Uint8Array, string][] = [
      [linkLocalFromLink(eui(1), PAN), 'SAM=11 from EUI-64'],
      [hex('fe800000000000000211223344556677'), 'SAM=01'],
      [hex('20010db8000000010000000000000001').map((x, i) => (i < 8 ? x : i === 15 ? 1 : 0)), 'SAM=00 full'],
      [hex('20010db8000000010000000000000000'), 'context 0 (SAC=1)'],
      [concat(hex('20010db800000001'), iidFromLink(3, PAN)), 'context + 16-bit'],
      [new Uint8Array(16), 'unspecified'],
      [hex('20010db9000000000000000000000001'), 'no context: full'],
    ];
    const dsts: Uint8Array[] = [
      linkLocalFromLink(eui(2), PAN),
      hex('ff020000000000000000000000000001'),
      hex('ff050000000000000000000000010203'),
      hex('ff0e0000000000000000000102030405'),
      hex('ff0e0102030405060708090a0b0c0d0e'),
      hex('20010db8000000010000000000000099'),
      hex('fe800000000000000000000000000001'),
    ];
    for (const [s, label] of srcs) {
      for (const d of dsts) {
        for (const [tc, fl] of [
          [0, 0],
          [0xb8, 0],
          [0x01, 0x12345],
          [0xb9, 0xabcde],
        ] as const) {
          const p = buildUdp(s, d, 5000, 0xf0b1, hex('01020304'));
          p[0] = 0x60 | (tc >> 4);
          p[1] = ((tc & 0x0f) << 4) | (fl >> 16);
          p[2] = (fl >> 8) & 0xff;
          p[3] = fl & 0xff;
          for (const hl of [1, 64, 255, 17]) {
            p[7] = hl;
            roundTrip(p, eui(1), eui(2), G3);
          }
        }
        void label;
      }
    }
  });
  it('multicast ff02::1 compresses to one inline byte (DAM=11)', () => {
    const p = buildEcho(linkLocalFromLink(1, PAN), hex('ff020000000000000000000000000001'), {
      type: 128,
      identifier: 0,
      sequence: 0,
      data: new Uint8Array(0),
    });
    assert.equal(toH(roundTrip(p, 1, null, G3)), '7a3b3a01');
  });
  it('NHC UDP port compression (4-bit, 8-bit and inline ports)', () => {
    const s = linkLocalFromLink(1, PAN),
      d = linkLocalFromLink(2, PAN);
    const h = roundTrip(buildUdp(s, d, 0xf0b1, 0xf0b2, hex('00')), 1, 2, G3);
    assert.equal(toH(h.subarray(0, 4)), '7e33f312'); // NH=1, NHC 11110011, ports 0x1 0x2
    assert.equal(toH(roundTrip(buildUdp(s, d, 4059, 0xf012, hex('00')), 1, 2, G3).subarray(2, 6)), 'f10fdb12');
    assert.equal(toH(roundTrip(buildUdp(s, d, 0xf034, 4059, hex('00')), 1, 2, G3).subarray(2, 6)), 'f2340fdb');
    assert.equal(toH(roundTrip(buildUdp(s, d, 4059, 4060, hex('00')), 1, 2, G3).subarray(2, 7)), 'f00fdb0fdc');
  });
  it('ICMPv6 echo build/parse verifies the checksum', () => {
    const p = buildEcho(linkLocalFromLink(1, PAN), linkLocalFromLink(2, PAN), { type: 128, identifier: 7, sequence: 9, data: hex('6869') });
    const e = parseEcho(p);
    assert.equal(e.echo.identifier, 7);
    assert.equal(e.echo.sequence, 9);
    p[p.length - 1] = (p[p.length - 1] as number) ^ 1;
    assert.throws(() => parseEcho(p), { name: 'DecodeError' });
  });
});

describe('plc ADP headers, fragmentation and reassembly (RFC 4944)', () => {
  it('encodes mesh, broadcast and fragment headers with RFC 4944 bit patterns', () => {
    assert.equal(toH(encodeMeshHeader({ hopsLeft: 5, originator: 0x0001, final: 0x0004 })), 'b500010004');
    assert.equal(toH(encodeMeshHeader({ hopsLeft: 1, originator: eui(1), final: 2 })), '91' + toH(eui(1)) + '0002');
    assert.equal(toH(encodeBroadcastHeader(0x2a)), '502a');
    assert.equal(toH(encodeFragHeader({ first: true, datagramSize: 1280, tag: 0x1234, offset: 0 })), 'c5001234');
    assert.equal(toH(encodeFragHeader({ first: false, datagramSize: 1280, tag: 0x1234, offset: 13 })), 'e50012340d');
    const f = decodeAdpFrame(
      concat(encodeMeshHeader({ hopsLeft: 3, originator: 1, final: 4 }), encodeBroadcastHeader(7), encodeEsc(1, hex('00'))),
    );
    assert.deepEqual(f.mesh, { hopsLeft: 3, originator: 1, final: 4 });
    assert.equal(f.broadcastSeq, 7);
    assert.equal(f.kind, 'esc');
    assert.equal(f.command, 1);
  });

  function datagram(size: number): { packet: Uint8Array; frags: Uint8Array[] } {
    const data = new Uint8Array(size - 48).map((_, i) => i & 0xff);
    const packet = buildUdp(linkLocalFromLink(1, PAN), linkLocalFromLink(2, PAN), 0xf0b1, 0xf0b2, data);
    const c = compressIphc(packet, 1, 2, G3);
    return { packet, frags: fragment(c.header, c.consumed, packet.subarray(c.consumed), 0x55, 90) };
  }
  function feed(r: Reassembler, frag: Uint8Array, now: number): Uint8Array | null {
    const a = decodeAdpFrame(frag);
    assert.ok(a.frag);
    let data = a.payload;
    if (a.frag.first) {
      const x = decompressIphc(a.payload, 1, 2, G3, a.frag.datagramSize);
      data = concat(x.header, a.payload.subarray(x.consumed));
    }
    return r.input(1, 2, a.frag, data, now);
  }

  it('fragments a 1280-byte datagram and reassembles it in order and reordered', () => {
    const { packet, frags } = datagram(1280);
    assert.ok(frags.length > 10);
    for (const f of frags) assert.ok(f.length <= 90);
    const r = new Reassembler();
    let out: Uint8Array | null = null;
    for (const f of frags) out = feed(r, f, 0);
    assert.equal(toH(out as Uint8Array), toH(packet));
    const rev = [...frags].reverse();
    out = null;
    for (const f of rev) out = feed(r, f, 0) ?? out;
    assert.equal(toH(out as Uint8Array), toH(packet));
    assert.equal(r.active, 0);
  });
  it('ignores duplicates, drops on overlap, lost fragments time out', () => {
    const { packet, frags } = datagram(600);
    const r = new Reassembler({ timeoutMs: 1000 });
    let out: Uint8Array | null = null;
    for (const f of [frags[0], frags[1], frags[1], ...frags.slice(2)] as Uint8Array[]) out = feed(r, f, 0) ?? out;
    assert.equal(toH(out as Uint8Array), toH(packet));
    assert.equal(r.drops.duplicate, 1);
    // Overlap: a FRAGN whose offset points inside another one.
    const a = decodeAdpFrame(frags[1] as Uint8Array);
    assert.ok(a.frag);
    feed(r, frags[1] as Uint8Array, 0);
    assert.equal(r.input(1, 2, { ...a.frag, offset: a.frag.offset + 1 }, a.payload, 0), null);
    assert.equal(r.drops.overlap, 1);
    assert.equal(r.active, 0);
    // Lost fragment: the partial datagram times out.
    for (const f of frags.slice(0, -1)) feed(r, f, 10);
    assert.equal(r.active, 1);
    r.expire(2000);
    assert.equal(r.drops.timeout, 1);
    assert.equal(r.active, 0);
  });
  it('bounds concurrent reassemblies and datagram size', () => {
    const r = new Reassembler({ maxReassemblies: 2 });
    for (let tag = 0; tag < 3; tag++) r.input(1, 2, { first: false, datagramSize: 200, tag, offset: 5 }, new Uint8Array(16), 0);
    assert.equal(r.active, 2);
    assert.equal(r.drops.busy, 1);
    assert.equal(r.input(1, 2, { first: false, datagramSize: 1500, tag: 9, offset: 1 }, new Uint8Array(8), 0), null);
    assert.equal(r.input(1, 2, { first: false, datagramSize: 100, tag: 9, offset: 12 }, new Uint8Array(8), 0), null);
    assert.equal(r.drops.oversize, 2);
  });
  it('suppresses duplicate broadcasts by (originator, sequence)', () => {
    const log = new BroadcastLog(4, 1000);
    assert.ok(log.accept(1, 7, 0));
    assert.ok(!log.accept(1, 7, 10));
    assert.ok(log.accept(2, 7, 10));
    assert.ok(log.accept(1, 7, 2000)); // expired
    assert.equal(log.duplicates, 1);
  });
});
