import assert from 'node:assert/strict';
import {
  AxdrDecoder,
  AxdrEncoder,
  decodeData,
  encodeData,
  encodeLength,
  decodeDateTime,
  type DlmsData,
} from '../../modules/nonlegal/dlms/axdr.js';
import { DecodeError, NeedMoreData } from '../../modules/nonlegal/dlms/errors.js';
import { hex, toH } from './helpers.js';

const dt = {
  year: 2021,
  month: 1,
  day: 24,
  dayOfWeek: 0xff,
  hour: 14,
  minute: 48,
  second: 57,
  hundredths: 80,
  deviation: -60,
  clockStatus: 0,
};

// Published vectors: [source, hex, value]
const published: [string, string, DlmsData][] = [
  // u9n/dlms-cosem tests/test_xdlms/test_get.py, GET.response-normal payload (double-long-unsigned 5009)
  ['dlms-cosem test_get.py', '0600001391', { type: 'double-long-unsigned', value: 5009 }],
  // u9n/dlms-cosem tests/test_xdlms/test_set.py: clock time as octet-string(12)
  ['dlms-cosem test_set.py', '090C07E50118FF0E303950FFC400', { type: 'octet-string', value: hex('07E50118FF0E303950FFC400') }],
  // UtilitechAS/amsreader-firmware frames/austria.raw: one register entry (OBIS, value, scaler-unit)
  [
    'amsreader austria.raw',
    '020309060100010800FF0600433D0A02020F00161E',
    {
      type: 'structure',
      items: [
        { type: 'octet-string', value: hex('0100010800FF') },
        { type: 'double-long-unsigned', value: 0x00433d0a },
        {
          type: 'structure',
          items: [
            { type: 'integer', value: 0 },
            { type: 'enum', value: 30 },
          ],
        },
      ],
    },
  ],
  // same source: long-unsigned voltage with scaler -1 (0F FF)
  [
    'amsreader austria.raw',
    '020309060100200700FF12093402020FFF1623',
    {
      type: 'structure',
      items: [
        { type: 'octet-string', value: hex('0100200700FF') },
        { type: 'long-unsigned', value: 0x0934 },
        {
          type: 'structure',
          items: [
            { type: 'integer', value: -1 },
            { type: 'enum', value: 0x23 },
          ],
        },
      ],
    },
  ],
];

// Round-trip table: every type (encodings derived from the A-XDR rules, not from a publication).
const roundTrip: [string, DlmsData][] = [
  ['00', { type: 'null' }],
  ['FF', { type: 'dont-care' }],
  ['0300', { type: 'boolean', value: false }],
  ['0301', { type: 'boolean', value: true }],
  ['040BA5E0', { type: 'bit-string', bitLength: 11, value: hex('A5E0') }],
  ['05FFFFFFFE', { type: 'double-long', value: -2 }],
  ['06FFFFFFFF', { type: 'double-long-unsigned', value: 4294967295 }],
  ['0900', { type: 'octet-string', value: new Uint8Array(0) }],
  ['0A03414243', { type: 'visible-string', value: 'ABC' }],
  ['0C05C3A9E282AC', { type: 'utf8-string', value: 'é€' }],
  ['0D12', { type: 'bcd', value: 0x12 }],
  ['0F80', { type: 'integer', value: -128 }],
  ['108000', { type: 'long', value: -32768 }],
  ['11FF', { type: 'unsigned', value: 255 }],
  ['12FFFF', { type: 'long-unsigned', value: 65535 }],
  ['148000000000000000', { type: 'long64', value: -(1n << 63n) }],
  ['15FFFFFFFFFFFFFFFF', { type: 'long64-unsigned', value: (1n << 64n) - 1n }],
  ['1603', { type: 'enum', value: 3 }],
  ['173FC00000', { type: 'float32', value: 1.5 }],
  ['18400921FB54442D18', { type: 'float64', value: Math.PI }],
  ['1907E50118FF0E303950FFC400', { type: 'date-time', value: dt }],
  ['1A07E5011807', { type: 'date', value: { year: 2021, month: 1, day: 24, dayOfWeek: 7 } }],
  ['1B0E303950', { type: 'time', value: { hour: 14, minute: 48, second: 57, hundredths: 80 } }],
  ['0100', { type: 'array', items: [] }],
  [
    '010211011102',
    {
      type: 'array',
      items: [
        { type: 'unsigned', value: 1 },
        { type: 'unsigned', value: 2 },
      ],
    },
  ],
  [
    '020102021101100002',
    {
      type: 'structure',
      items: [
        {
          type: 'structure',
          items: [
            { type: 'unsigned', value: 1 },
            { type: 'long', value: 2 },
          ],
        },
      ],
    },
  ],
  // compact-array of long-unsigned: description 12, contents 4 bytes
  [
    '13120400010002',
    {
      type: 'compact-array',
      description: { tag: 0x12 },
      items: [
        { type: 'long-unsigned', value: 1 },
        { type: 'long-unsigned', value: 2 },
      ],
    },
  ],
  // compact-array of structure{unsigned, long}
  [
    '13020211100601000203FFFD',
    {
      type: 'compact-array',
      description: { tag: 2, fields: [{ tag: 0x11 }, { tag: 0x10 }] },
      items: [
        {
          type: 'structure',
          items: [
            { type: 'unsigned', value: 1 },
            { type: 'long', value: 2 },
          ],
        },
        {
          type: 'structure',
          items: [
            { type: 'unsigned', value: 3 },
            { type: 'long', value: -3 },
          ],
        },
      ],
    },
  ],
];
describe('A-XDR data codec', () => {
  for (const [src, h, v] of published) {
    it(`decodes and re-encodes ${h} (${src})`, () => {
      assert.deepStrictEqual(decodeData(hex(h)), v);
      assert.equal(toH(encodeData(v)), h);
    });
  }
  for (const [h, v] of roundTrip) {
    it(`round-trips ${v.type} ${h}`, () => {
      assert.equal(toH(encodeData(v)), h);
      assert.deepStrictEqual(decodeData(hex(h)), v);
    });
  }

  it('encodes lengths per A-XDR (short form below 0x80, else 0x8n + n bytes)', () => {
    const table: [number, string][] = [
      [0, '00'],
      [0x7f, '7F'],
      [0x80, '8180'],
      [0xff, '81FF'],
      [0x100, '820100'],
      [0x10000, '83010000'],
      [0x1000000, '8401000000'],
    ];
    for (const [n, h] of table) assert.equal(toH(encodeLength(n)), h);
  });

  it('round-trips a 200-byte octet-string with a long-form length', () => {
    const v: DlmsData = { type: 'octet-string', value: new Uint8Array(200).fill(7) };
    const b = encodeData(v);
    assert.equal(toH(b.subarray(0, 3)), '0981C8');
    assert.deepStrictEqual(decodeData(b), v);
  });

  it('decodes date-time deviation 0x8000 as not specified', () => {
    assert.equal(decodeDateTime(hex('FFFFFFFFFFFFFFFFFF8000FF')).deviation, -0x8000);
  });

  it('NeedMoreData on a truncated item, DecodeError on a bad tag, and names where', () => {
    assert.throws(
      () => decodeData(hex('0600')),
      (e: unknown) => e instanceof NeedMoreData && e.what === 'axdr.double-long-unsigned',
    );
    assert.throws(
      () => decodeData(hex('07')),
      (e: unknown) => e instanceof DecodeError && /tag/.test(e.what) && e.offset === 0,
    );
    assert.throws(
      () => decodeData(hex('020108')),
      (e: unknown) => e instanceof DecodeError && e.offset === 2,
    );
    assert.throws(
      () => decodeData(hex('020211')),
      (e: unknown) => e instanceof NeedMoreData,
    );
    assert.throws(
      () => decodeData(hex('02010007')),
      (e: unknown) => e instanceof DecodeError && e.offset === 3,
    );
  });

  it('enforces maxLength and maxDepth options', () => {
    const d = new AxdrDecoder({ maxLength: 4, maxDepth: 2 });
    assert.throws(() => d.decode(hex('0905')), DecodeError);
    assert.deepStrictEqual(d.decode(hex('090401020304')), { type: 'octet-string', value: hex('01020304') });
    assert.throws(
      () => d.decode(hex('0101010101010100')),
      (e: unknown) => e instanceof DecodeError && /maxDepth/.test(e.message),
    );
    assert.deepStrictEqual(d.decode(hex('01010100')), { type: 'array', items: [{ type: 'array', items: [] }] });
    assert.throws(() => new AxdrEncoder({ maxDepth: 1 }).encode({ type: 'array', items: [{ type: 'array', items: [] }] }));
  });

  // Issue 16 finding 4: nesting read from the wire must cost no engine stack (XS has 1,024 slots).
  it('walks nested arrays and structures without recursion: 200,000 levels decode when maxDepth allows', () => {
    const levels = 200000;
    const b = new Uint8Array(levels * 2 + 1);
    for (let i = 0; i < levels; i++) {
      b[2 * i] = i % 2 ? 0x02 : 0x01;
      b[2 * i + 1] = 1;
    }
    b[levels * 2] = 0x00; // null at the bottom
    let d: DlmsData = new AxdrDecoder({ maxDepth: levels }).decode(b);
    for (let i = 0; i < levels; i++) {
      assert.ok((d.type === 'array' || d.type === 'structure') && d.items.length === 1, `level ${i}`);
      d = d.items[0]!;
    }
    assert.equal(d.type, 'null');
    // and the encoder walks them the same way: the bytes come back exactly
    const top = new AxdrDecoder({ maxDepth: levels }).decode(b);
    assert.equal(toH(new AxdrEncoder({ maxDepth: levels }).encode(top)), toH(b));
    assert.throws(() => new AxdrEncoder({ maxDepth: levels - 1 }).encode(top), /maxDepth/);
    // the bound still holds, at the exact level, wherever the containers sit in their parents
    const nest = (n: number) => hex('02021105'.repeat(n - 1) + '0100'); // n levels: structure{unsigned, structure{...}}, array(0) last
    assert.deepStrictEqual(new AxdrDecoder({ maxDepth: 8 }).decodePrefix(nest(8), 0).end, nest(8).length);
    assert.throws(
      () => new AxdrDecoder({ maxDepth: 7 }).decode(nest(8)),
      (e: unknown) => e instanceof DecodeError && /maxDepth 7/.test(e.message),
    );
    // the selective-access parameters: 14 arrays deep, refused by the server's bound (8)
    assert.throws(
      () => new AxdrDecoder({ maxDepth: 8 }).decode(hex('0102'.repeat(13) + '0100')),
      (e: unknown) => e instanceof DecodeError && e.offset === 16,
    );
  });

  it('decodePrefix returns the end offset for streaming', () => {
    const r = new AxdrDecoder().decodePrefix(hex('1101AABB'), 0);
    assert.equal(r.end, 2);
    assert.deepStrictEqual(r.value, { type: 'unsigned', value: 1 });
  });

  it('rejects out-of-range values on encode', () => {
    assert.throws(() => encodeData({ type: 'unsigned', value: 256 }));
    assert.throws(() => encodeData({ type: 'visible-string', value: 'é' }));
    assert.throws(() => encodeData({ type: 'long64-unsigned', value: -1n }));
  });
});
