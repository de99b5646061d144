import assert from 'node:assert/strict';
import {
  HdlcFrameReader,
  HdlcReassembler,
  clientAddress,
  decodeHdlcFrame,
  decodeHdlcParameters,
  encodeHdlcFrame,
  encodeHdlcParameters,
  negotiateHdlcParameters,
  segmentInformation,
  serverAddress,
  encodeAddress,
  type HdlcFrame,
} from '../../modules/nonlegal/dlms/hdlc.js';
import { crc16x25 } from '../../modules/nonlegal/dlms/crc16.js';
import { DecodeError, NeedMoreData } from '../../modules/nonlegal/dlms/errors.js';
import { hex, toH } from './helpers.js';

const server2 = serverAddress(1, 17, 2);
const server4 = serverAddress(1, 17, 4);
const client16 = clientAddress(16);
const AARQ = '601DA109060760857405080101BE10040E01000000065F1F0400001E1DFFFF';

// [source, frame hex, frame]
const vectors: [string, string, HdlcFrame][] = [
  // u9n/dlms-cosem tests/test_hdlc/test_hdlc.py
  [
    'dlms-cosem SNRM',
    '7EA00802232193BD647E',
    { type: 'SNRM', destination: server2, source: client16, pf: true, segmented: false, info: new Uint8Array(0) },
  ],
  [
    'dlms-cosem UA',
    '7EA01F21022373E6C781801205019A06019A070400000001080400000001CCA27E',
    {
      type: 'UA',
      destination: client16,
      source: server2,
      pf: true,
      segmented: false,
      info: hex('81801205019A06019A070400000001080400000001'),
    },
  ],
  [
    'dlms-cosem I (AARQ)',
    '7EA02C02232110AF9FE6E600' + AARQ + 'C5E47E',
    {
      type: 'I',
      destination: server2,
      source: client16,
      pf: true,
      ns: 0,
      nr: 0,
      segmented: false,
      info: hex('E6E600' + AARQ),
    },
  ],
  [
    'dlms-cosem I (AARE)',
    '7EA0382102233034E7E6E7006129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F0400001E1D04C80007B86A7E',
    {
      type: 'I',
      destination: client16,
      source: server2,
      pf: true,
      ns: 0,
      nr: 1,
      segmented: false,
      info: hex('E6E7006129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F0400001E1D04C80007'),
    },
  ],
  // Gyozo Kmethy, "Examples for DLMS/COSEM information exchange" (DLMS UA), section 1 and 2: 4-byte server address
  [
    'Kmethy SNRM',
    '7EA00A00020023219318717E',
    { type: 'SNRM', destination: server4, source: client16, pf: true, segmented: false, info: new Uint8Array(0) },
  ],
  [
    'Kmethy UA',
    '7EA023210002002373F6C58180140502008006020080070400000001080400000001CE6A7E',
    {
      type: 'UA',
      destination: client16,
      source: server4,
      pf: true,
      segmented: false,
      info: hex('8180140502008006020080070400000001080400000001'),
    },
  ],
  [
    'Kmethy I (AARQ)',
    '7EA02E0002002321107ECBE6E600601DA109060760857405080101BE10040E01000000065F1F040000301DFFFFD4C57E',
    {
      type: 'I',
      destination: server4,
      source: client16,
      pf: true,
      ns: 0,
      nr: 0,
      segmented: false,
      info: hex('E6E600601DA109060760857405080101BE10040E01000000065F1F040000301DFFFF'),
    },
  ],
  // gurux.fi forum "DLMS (HDLC) Packet Description needs" (node/20546): GET of 0.0.40.0.0.255 attr 1
  [
    'gurux forum I (GET)',
    '7EA0190341B23239E6E600C001C1000F0000280000FF0100F9797E',
    {
      type: 'I',
      destination: serverAddress(1),
      source: clientAddress(0x20),
      pf: true,
      ns: 1,
      nr: 5,
      segmented: false,
      info: hex('E6E600C001C1000F0000280000FF0100'),
    },
  ],
];

describe('HDLC (IEC 62056-46)', () => {
  it('CRC-16/X.25 check value and a published HCS', () => {
    assert.equal(crc16x25(new TextEncoder().encode('123456789')), 0x906e);
    // dlms-cosem test_hdlc.py TestCrc: HCS of 03 3F is 5B EC on the wire (LSB first)
    assert.equal(crc16x25(hex('033F')), 0xec5b);
  });

  for (const [src, h, f] of vectors) {
    it(`${src}: decode and encode byte exact`, () => {
      assert.deepStrictEqual(decodeHdlcFrame(hex(h)), f);
      assert.equal(toH(encodeHdlcFrame(f)), h);
    });
  }

  it('addresses: 1, 2 and 4 bytes with extension bits (dlms-cosem address table)', () => {
    const table: [ReturnType<typeof serverAddress>, string][] = [
      [clientAddress(1), '03'],
      [clientAddress(16), '21'],
      [serverAddress(0b1001010), '95'],
      [clientAddress(0b0100101), '4B'],
      [serverAddress(1, 17), '0223'],
      [serverAddress(1, 17, 4), '00020023'],
      [serverAddress(0x3fff, 0x3fff, 4), 'FEFEFEFF'],
    ];
    for (const [a, h] of table) assert.equal(toH(encodeAddress(a)), h);
  });

  it('control field for every frame type round-trips', () => {
    const types: HdlcFrame[] = (['RR', 'RNR', 'SNRM', 'DISC', 'UA', 'DM', 'FRMR', 'UI'] as const).map((type) => {
      const f: HdlcFrame = {
        type,
        destination: server2,
        source: client16,
        pf: type !== 'UI',
        segmented: false,
        info: type === 'UI' ? hex('0102') : new Uint8Array(0),
      };
      if (type === 'RR' || type === 'RNR') f.nr = 5;
      return f;
    });
    types.push({ type: 'I', destination: server2, source: client16, pf: false, ns: 7, nr: 3, segmented: true, info: hex('AA') });
    for (const f of types) assert.deepStrictEqual(decodeHdlcFrame(encodeHdlcFrame(f)), f, f.type);
    // Control bytes as in 62056-46: RR with N(R)=5 and P/F = 0xB1, DISC|P = 0x53, DM|F = 0x1F
    assert.equal(encodeHdlcFrame(types[0]!)[6], 0xb1);
    assert.equal(encodeHdlcFrame(types[3]!)[6], 0x53);
    assert.equal(encodeHdlcFrame(types[5]!)[6], 0x1f);
  });

  it('SNRM/UA parameters: Kmethy UA (2-byte info lengths) and dlms-cosem UA (1-byte)', () => {
    const k = decodeHdlcParameters(hex('8180140502008006020080070400000001080400000001'));
    assert.deepStrictEqual(k, { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
    assert.equal(toH(encodeHdlcParameters(k, { infoWidth: 2 })), '8180140502008006020080070400000001080400000001');
    const u = decodeHdlcParameters(hex('81801205019A06019A070400000001080400000001'));
    assert.deepStrictEqual(u, { maxInfoTx: 154, maxInfoRx: 154, windowTx: 1, windowRx: 1 });
    assert.equal(toH(encodeHdlcParameters(u)), '81801205019A06019A070400000001080400000001');
    assert.deepStrictEqual(decodeHdlcParameters(new Uint8Array(0)), { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
    assert.deepStrictEqual(
      negotiateHdlcParameters(
        { maxInfoTx: 512, maxInfoRx: 256, windowTx: 7, windowRx: 1 },
        { maxInfoTx: 1024, maxInfoRx: 128, windowTx: 1, windowRx: 1 },
      ),
      { maxInfoTx: 256, maxInfoRx: 128, windowTx: 1, windowRx: 1 },
    );
    assert.throws(() => decodeHdlcParameters(hex('818003050110')), DecodeError); // max info 16 < 32
  });

  it('segments and reassembles an information field within the negotiated length', () => {
    const info = new Uint8Array(300).map((_, i) => i & 0xff);
    const segs = segmentInformation(info, 128);
    assert.deepStrictEqual(
      segs.map((s) => [s.info.length, s.segmented]),
      [
        [128, true],
        [128, true],
        [44, false],
      ],
    );
    const r = new HdlcReassembler();
    const out = segs.map((s, i) =>
      r.push(decodeHdlcFrame(encodeHdlcFrame({ type: 'I', destination: client16, source: server2, pf: true, ns: i, nr: 0, ...s }))),
    );
    assert.equal(out[0], null);
    assert.equal(toH(out[2]!), toH(info));
    assert.throws(() => new HdlcReassembler({ maxLength: 100 }).push({ info, segmented: true }), DecodeError);
  });

  it('stream reader: frames split anywhere, shared flags, idle flags and noise', () => {
    const frames = vectors.map(([, h]) => hex(h));
    // Shared flag: drop the opening flag of every second frame.
    const parts: number[] = [0x7e, 0x7e, 0x55, 0x00];
    frames.forEach((f, i) => {
      parts.push(...(i % 2 ? f.subarray(1) : f));
    });
    const stream = Uint8Array.from(parts);
    for (const step of [1, 3, 7, stream.length]) {
      const r = new HdlcFrameReader();
      const got: HdlcFrame[] = [];
      for (let o = 0; o < stream.length; o += step) got.push(...r.push(stream.subarray(o, o + step)));
      assert.equal(got.length, frames.length, `step ${step}`);
      assert.deepStrictEqual(
        got,
        vectors.map(([, , f]) => f),
      );
      assert.equal(r.drops.garbage, 1);
    }
  });

  it('stream reader counts drops by reason and resynchronises', () => {
    const good = hex(vectors[2]![1]);
    const badFcs = good.slice();
    badFcs[badFcs.length - 2]! ^= 1;
    const badHcs = good.slice();
    badHcs[7]! ^= 1;
    const badFmt = hex('7E12345678');
    const badLen = hex('7EA003');
    const noClose = good.slice(0, -1);
    const r = new HdlcFrameReader();
    const got = [
      ...r.push(badFcs),
      ...r.push(good),
      ...r.push(badHcs),
      ...r.push(good),
      ...r.push(badFmt),
      ...r.push(badLen),
      ...r.push(noClose),
      ...r.push(hex('00')),
      ...r.push(good),
    ];
    assert.equal(got.length, 3);
    assert.equal(r.drops.fcs, 1);
    assert.equal(r.drops.hcs, 1);
    assert.equal(r.drops.format, 1);
    assert.equal(r.drops.length, 1);
    assert.ok(r.drops.flag >= 1);
  });

  // Issue 16 finding 1: `7E A7 FF` announces a 2,047-byte frame; the SNRM after it must not be swallowed.
  it('stream reader: a stale announced length never swallows a flag and a valid header (7E A7 FF, then SNRM)', () => {
    const snrm = hex('7EA00A00020023219318717E'); // Kmethy SNRM, no information field: its FCS covers the header
    const aarq = hex(vectors[6]![1]); // I frame with information: its HCS checks
    for (const next of [snrm, aarq]) {
      for (const split of [false, true]) {
        const r = new HdlcFrameReader();
        const stream = Uint8Array.from([0x7e, 0xa7, 0xff, ...next]);
        const got = split
          ? [...r.push(stream.subarray(0, 3)), ...Array.from(stream.subarray(3), (b) => r.push(Uint8Array.of(b))).flat()]
          : r.push(stream);
        assert.deepStrictEqual(got, [decodeHdlcFrame(next)], split ? 'byte by byte' : 'one chunk');
        assert.equal(r.drops.resync, 1);
        assert.equal(r.pending, 1); // only the closing flag, which may open the next frame
      }
    }
    // A flag inside a partial frame that opens no valid header (HCS wrong) does not cut it short.
    const r = new HdlcFrameReader();
    const bad = snrm.slice();
    bad[bad.length - 3]! ^= 1;
    assert.deepStrictEqual(r.push(Uint8Array.from([0x7e, 0xa7, 0xff, ...bad])), []);
    assert.equal(r.drops.resync, 0);
    assert.equal(r.pending, 3 + bad.length);
  });

  it('stream reader: 2 KB of random bytes then a frame; a partial frame abandoned after the inter-octet time-out', () => {
    let seed = 16;
    const rnd = (n: number) =>
      Uint8Array.from({ length: n }, () => {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        return seed >>> 24;
      });
    const good = hex(vectors[2]![1]);
    for (let run = 0; run < 20; run++) {
      const r = new HdlcFrameReader();
      const noise = rnd(2048);
      noise[run] = 0x7e;
      noise[run + 1] = 0xa7;
      noise[run + 2] = 0xff; // and a header announcing 2,047 bytes
      for (let o = 0; o < noise.length; o += 64) r.push(noise.subarray(o, o + 64));
      assert.deepStrictEqual(r.push(good), [decodeHdlcFrame(good)], `run ${run}: pending ${r.pending}`);
    }
    // Inter-octet time-out: the partial frame is dropped when the next bytes come too late...
    const r = new HdlcFrameReader({ interOctetTimeoutMs: 25 });
    assert.equal(r.interOctetTimeoutMs, 25);
    assert.deepStrictEqual(r.push(good.subarray(0, 10), 1000), []);
    assert.deepStrictEqual(r.push(good.subarray(10), 1026), []);
    assert.equal(r.drops.timeout, 1);
    assert.deepStrictEqual(r.push(good, 1027), [decodeHdlcFrame(good)]);
    // ...and kept when they come in time (a lone flag left between frames is not a partial frame).
    assert.deepStrictEqual(r.push(good.subarray(1, 10), 2000), []);
    assert.deepStrictEqual(r.push(good.subarray(10), 2025), [decodeHdlcFrame(good)]);
    assert.equal(r.drops.timeout, 1);
    assert.equal(new HdlcFrameReader().interOctetTimeoutMs, 25); // the HDLC setup object's default
  });

  it('strict decode: NeedMoreData when short, DecodeError naming the field', () => {
    const good = hex(vectors[0]![1]);
    assert.throws(() => decodeHdlcFrame(good.subarray(0, 5)), NeedMoreData);
    const bad = good.slice();
    bad[bad.length - 2]! ^= 1;
    assert.throws(
      () => decodeHdlcFrame(bad),
      (e: unknown) => e instanceof DecodeError && e.what === 'hdlc.fcs',
    );
    assert.throws(
      () => decodeHdlcFrame(hex('7EA00802232193BD6400')),
      (e: unknown) => e instanceof DecodeError && e.what === 'hdlc.flag',
    );
    assert.throws(() => decodeHdlcFrame(hex('7EA00802232193BD647E00')), DecodeError);
  });
});
