// Hostile-input corpus: every decoder must answer DecodeError or NeedMoreData, never another
// exception and never hang. Truncations of every valid vector, bit flips, oversized lengths,
// wrong tags, deep nesting and seeded random bytes.
import assert from 'node:assert/strict';
import { decodeData, AxdrDecoder } from '../../modules/nonlegal/dlms/axdr.js';
import { decodeApdu } from '../../modules/nonlegal/dlms/xdlms.js';
import { decodeAcse } from '../../modules/nonlegal/dlms/acse.js';
import { decodeHdlcFrame, decodeHdlcParameters, HdlcFrameReader } from '../../modules/nonlegal/dlms/hdlc.js';
import { decodeWrapper } from '../../modules/nonlegal/dlms/wrapper.js';
import { parseDataReadout, parseAcknowledgement, parseIdentification, parseSignOn } from '../../modules/nonlegal/dlms/iec62056-21.js';
import { DecodeError, NeedMoreData } from '../../modules/nonlegal/dlms/errors.js';
import { assertDecodeFailure, hex, prng } from './helpers.js';

type Decoder = (b: Uint8Array) => unknown;
const decoders: [string, Decoder, string[]][] = [
  [
    'axdr',
    (b) => decodeData(b),
    ['020309060100010800FF0600433D0A02020F00161E', '13020211100601000203FFFD', '1907E50118FF0E303950FFC400', '0C05C3A9E282AC'],
  ],
  [
    'xdlms',
    (b) => decodeApdu(b),
    [
      'C001C100080000010000FF0200',
      'C003C102000100002A0000FF020000080000010000FF0200',
      'C701C000010009111000001AFDE8857B728A3499106AA665D1',
      'C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B',
      '01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0',
      'D8020600000001',
    ],
  ],
  [
    'acse',
    (b) => decodeAcse(b),
    [
      '6036A1090607608574050801018A0207808B0760857405080205AC0A80084B35366956616759BE10040E01000000065F1F0400007E1F04B0',
      '6142A109060760857405080101A203020100A305A10302010E88020780890760857405080205AA0A8008503677524A323146BE10040E0800065F1F040000501F01F40007',
      '6303800100',
    ],
  ],
  [
    'hdlc',
    (b) => decodeHdlcFrame(b),
    [
      '7EA01F21022373E6C781801205019A06019A070400000001080400000001CCA27E',
      '7EA02E0002002321107ECBE6E600601DA109060760857405080101BE10040E01000000065F1F040000301DFFFFD4C57E',
    ],
  ],
  ['hdlc-params', (b) => decodeHdlcParameters(b), ['8180140502008006020080070400000001080400000001']],
  ['wrapper', (b) => decodeWrapper(b), ['0001001000010005C401C10101']],
  ['iec21-readout', (b) => parseDataReadout(b), ['02312E382E30283030312A6B5768290D0A210D0A0322']],
  ['iec21-ack', (b) => parseAcknowledgement(b), ['063235320D0A']],
  ['iec21-ident', (b) => parseIdentification(b), ['2F49536B354D543137340D0A']],
  ['iec21-signon', (b) => parseSignOn(b), ['2F3F210D0A']],
];

function run(f: Decoder, b: Uint8Array, label: string): void {
  try {
    f(b);
  } catch (e) {
    if (e instanceof DecodeError || e instanceof NeedMoreData) return;
    assert.fail(`${label} ${Buffer.from(b).toString('hex')}: ${(e as Error).name}: ${(e as Error).message}`);
  }
}

describe('malformed input corpus', () => {
  for (const [name, f, seeds] of decoders) {
    it(`${name}: every truncation of a valid input needs more data or is malformed`, () => {
      for (const s of seeds) {
        const b = hex(s);
        // An empty SNRM/UA information field validly means "all defaults".
        for (let n = name === 'hdlc-params' ? 1 : 0; n < b.length; n++)
          assertDecodeFailure(() => f(b.subarray(0, n)), `${name} truncated ${n}/${b.length}`);
      }
    });
    it(`${name}: single-bit flips and appended bytes never escape the two error kinds`, () => {
      for (const s of seeds) {
        const b = hex(s);
        for (let i = 0; i < b.length; i++)
          for (let bit = 0; bit < 8; bit++) {
            const m = b.slice();
            m[i]! ^= 1 << bit;
            run(f, m, `${name} flip ${i}.${bit}`);
          }
        run(f, Uint8Array.from([...b, 0]), `${name} + trailing`);
      }
    });
    it(`${name}: 3000 seeded random inputs`, () => {
      const rnd = prng(0xd1a5 + name.length);
      for (let k = 0; k < 3000; k++) {
        const n = Math.floor(rnd() * 64);
        const b = new Uint8Array(n).map(() => Math.floor(rnd() * 256));
        // Bias towards plausible first bytes so the decoders go deeper.
        const first = hex(seeds[k % seeds.length]!)[0];
        if (n > 0 && k % 2 === 0 && first !== undefined) b[0] = first;
        run(f, b, `${name} random`);
      }
    });
  }

  it('A-XDR: oversized lengths are DecodeError before any allocation', () => {
    for (const h of ['0984FFFFFFFF', '0A83FFFFFF', '0184FFFFFFFF', '0485FFFFFFFFFF', '0980', '0C8400010000', '1312840001000000'])
      assert.equal(
        assertDecodeFailure(() => decodeData(hex(h)), h),
        'decode',
        h,
      );
  });

  it('A-XDR: deep nesting is DecodeError, not a stack overflow', () => {
    const deep = new Uint8Array(200000).fill(0x01).map((_v, i) => (i % 2 ? 0x01 : 0x01));
    assert.equal(
      assertDecodeFailure(() => decodeData(deep)),
      'decode',
    );
    const structs = new Uint8Array(100000);
    for (let i = 0; i < structs.length; i += 2) {
      structs[i] = 0x02;
      structs[i + 1] = 0x01;
    }
    assert.equal(
      assertDecodeFailure(() => decodeData(structs)),
      'decode',
    );
  });

  it('A-XDR: compact-array bombs (nested counts, zero-size elements) terminate', () => {
    // array of 65535 x array of 65535 x unsigned, contents 1 byte
    assert.equal(
      assertDecodeFailure(() => decodeData(hex('1301FFFF01FFFF110100'))),
      'decode',
    );
    // zero-size null elements with non-empty contents
    assert.equal(
      assertDecodeFailure(() => decodeData(hex('13000100'))),
      'decode',
    );
    // structure description with a huge field count
    assert.equal(
      assertDecodeFailure(() => new AxdrDecoder({ maxLength: 10 }).decode(hex('130282FFFF'))),
      'decode',
    );
  });

  it('xDLMS: wrong tags and unknown choices', () => {
    for (const h of ['00', 'FF', 'C0', 'C005C1', 'C401C102', 'C402C1000000000102', 'C301C0000F0000280000FF0102', '0E'])
      assertDecodeFailure(() => decodeApdu(hex(h)), h);
  });

  it('HDLC reader survives 64 KiB of random bytes with bounded memory', () => {
    const rnd = prng(42);
    const r = new HdlcFrameReader();
    for (let k = 0; k < 64; k++) {
      const chunk = new Uint8Array(1024).map(() => (rnd() < 0.05 ? 0x7e : rnd() < 0.1 ? 0xa0 : Math.floor(rnd() * 256)));
      r.push(chunk);
      assert.ok(r.pending <= 2049);
    }
    const total = Object.values(r.drops).reduce((x, y) => x + y, 0);
    assert.ok(total > 0);
  });
});
