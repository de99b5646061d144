// The lean A-XDR paths (AxdrEncoder.encodeInto, AxdrDecoder.read) against the plain reference
// walkers they replaced (encodeReference, readReference): same bytes, same values, and the same
// errors (class, what, offset, text) on seeded random and mutated input, bounds included.
import assert from 'node:assert/strict';
import { AxdrDecoder, AxdrEncoder, type DlmsData } from '../../modules/nonlegal/dlms/axdr.js';
import { ByteReader, ByteWriter } from '../../modules/nonlegal/dlms/bytes.js';
import { DecodeError, EncodeError, NeedMoreData } from '../../modules/nonlegal/dlms/errors.js';
import { toH } from './helpers.js';

/** xorshift32: the same cases on every run. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/** A random Data encoding, weighted to the lean path's types, containers and length forms. */
function item(rand: (n: number) => number, depth: number, out: number[]): void {
  const bytes = (n: number) => {
    for (let i = 0; i < n; i++) out.push(rand(256));
  };
  const length = (n: number) => {
    if (n < 0x80 && rand(4) > 0) out.push(n);
    else if (n <= 0xff) out.push(0x81, n);
    else out.push(0x82, n >> 8, n & 0xff);
  };
  const k = rand(depth > 4 ? 14 : 18);
  switch (k) {
    case 0:
      return void out.push(0x00);
    case 1:
      return void (out.push(0x03), bytes(1));
    case 2:
      return void (out.push(0x05), bytes(4));
    case 3:
    case 4:
      return void (out.push(0x06), bytes(4));
    case 5: {
      const n = rand(3) === 0 ? 12 : rand(140);
      out.push(0x09);
      length(n);
      return bytes(n);
    }
    case 6:
      return void (out.push(0x0f), bytes(1));
    case 7:
      return void (out.push(0x10), bytes(2));
    case 8:
      return void (out.push(0x11), bytes(1));
    case 9:
      return void (out.push(0x12), bytes(2));
    case 10:
      return void (out.push(0x16), bytes(1));
    case 11:
      return void (out.push(0x0a, 3), bytes(0), out.push(0x61, 0x62, 0x63));
    case 12:
      return void (out.push(0x14), bytes(8));
    case 13:
      return void (out.push(0x19), bytes(12));
    default: {
      const n = rand(6);
      out.push(rand(2) ? 0x01 : 0x02);
      length(n);
      for (let i = 0; i < n; i++) item(rand, depth + 1, out);
    }
  }
}

type Outcome = { value: DlmsData; end: number } | { error: string };

function outcome(f: () => { value: DlmsData; end: number }): Outcome {
  try {
    return f();
  } catch (e) {
    if (e instanceof NeedMoreData) return { error: `NeedMoreData ${e.what} ${e.offset} ${e.needed} ${e.message}` };
    if (e instanceof DecodeError) return { error: `DecodeError ${e.what} ${e.offset} ${e.message}` };
    throw e;
  }
}

function decodeBoth(d: AxdrDecoder, b: Uint8Array, at: number, depth: number): [Outcome, Outcome] {
  const run = (reference: boolean) =>
    outcome(() => {
      const r = new ByteReader(b, at);
      const value = reference ? d.readReference(r, depth) : d.read(r, depth);
      return { value, end: r.pos };
    });
  return [run(false), run(true)];
}

function encodeBoth(e: AxdrEncoder, v: DlmsData): [string, string] {
  const run = (reference: boolean) => {
    const w = new ByteWriter(4).u8(0xaa); // bytes already in the writer stay in front
    try {
      if (reference) e.encodeReference(w, v);
      else e.encodeInto(w, v);
      return toH(w.finish());
    } catch (x) {
      if (x instanceof EncodeError) return `EncodeError ${x.message}`;
      throw x;
    }
  };
  return [run(false), run(true)];
}

describe('A-XDR lean codec against the reference walkers', () => {
  it('decodes 3,000 seeded random items, truncations and byte flips exactly as the reference (values, ends, errors)', () => {
    const rand = rng(0x5eed);
    let valid = 0;
    let errors = 0;
    for (let c = 0; c < 3000; c++) {
      const out: number[] = [];
      if (rand(3) === 0) out.push(rand(256)); // a prefix byte: decoding starts at 1
      const at = out.length;
      item(rand, 0, out);
      let b = Uint8Array.from(out);
      const mutate = rand(4);
      if (mutate === 1 && b.length > at + 1) b = b.subarray(0, at + rand(b.length - at));
      else if (mutate === 2) b[at + rand(b.length - at)] = rand(256);
      const d = new AxdrDecoder(rand(3) === 0 ? { maxDepth: 1 + rand(5), maxLength: rand(200) } : {});
      const [lean, reference] = decodeBoth(d, b, at, rand(2));
      assert.deepStrictEqual(lean, reference, `case ${c}: ${toH(b)}`);
      if ('error' in lean) errors++;
      else valid++;
    }
    // the cases exercise both outcomes
    assert.ok(valid > 1000 && errors > 300, `valid ${valid} errors ${errors}`);
  });

  it('encodes what it decodes, and refuses bad values, exactly as the reference', () => {
    const rand = rng(0xc0de);
    for (let c = 0; c < 1500; c++) {
      const out: number[] = [];
      item(rand, 0, out);
      const v = new AxdrDecoder().decode(Uint8Array.from(out));
      const e = new AxdrEncoder(rand(3) === 0 ? { maxDepth: 1 + rand(4) } : {});
      const [lean, reference] = encodeBoth(e, v);
      assert.equal(lean, reference, `case ${c}: ${toH(Uint8Array.from(out))}`);
    }
    const bad: DlmsData[] = [
      { type: 'double-long-unsigned', value: 4294967296 },
      { type: 'double-long-unsigned', value: -1 },
      { type: 'double-long-unsigned', value: 1.5 },
      { type: 'double-long-unsigned', value: Number.NaN },
      { type: 'double-long-unsigned', value: '7' as unknown as number },
      { type: 'double-long', value: 2147483648 },
      { type: 'double-long', value: -2147483649 },
      { type: 'long', value: -32769 },
      { type: 'long', value: 32768 },
      { type: 'long-unsigned', value: 65536 },
      { type: 'unsigned', value: 256 },
      { type: 'enum', value: -1 },
      { type: 'integer', value: 128 },
      { type: 'integer', value: -129 },
      {
        type: 'structure',
        items: [
          { type: 'unsigned', value: 1 },
          { type: 'long-unsigned', value: 1e6 },
        ],
      },
      { type: 'array', items: [{ type: 'array', items: [{ type: 'array', items: [] }] }] },
    ];
    for (const v of bad) {
      const [lean, reference] = encodeBoth(new AxdrEncoder({ maxDepth: 2 }), v);
      assert.match(lean, /^EncodeError /);
      assert.equal(lean, reference, JSON.stringify(v));
    }
    // lengths in every form, and a writer that must grow many times over
    const big: DlmsData = {
      type: 'array',
      items: [0, 1, 127, 128, 255, 256, 3000, 70000].map((n) => ({ type: 'octet-string', value: new Uint8Array(n).fill(n & 0xff) })),
    };
    const [lean, reference] = encodeBoth(new AxdrEncoder(), big);
    assert.equal(lean, reference);
  });
});
