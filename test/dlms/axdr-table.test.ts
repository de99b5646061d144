// The A-XDR table codec (modules/nonlegal/dlms/axdr-table.ts and its native twin drivers/axdr,
// built here with ASan/UBSan through drivers/axdr/test/axdr_check.c): its bytes are the generic
// Data codec's, byte for byte; the C and TypeScript codecs agree on every result, reason and
// offset, on random tables and on their corruptions; a table either path accepts decodes to the
// same tree through the generic decoder, and one it refuses is left to the generic decoder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ROOT } from '../../emulator/node.js';
import { AxdrDecoder, AxdrEncoder, type DlmsData } from '../../modules/nonlegal/dlms/axdr.js';
import { DataTag } from '../../modules/nonlegal/dlms/axdr-const.js';
import {
  AxdrTable,
  TableReason,
  decodeGetResponseTable,
  encodeGetResponseTable,
  tsTable,
  type TableColumn,
} from '../../modules/nonlegal/dlms/axdr-table.js';
import { ByteWriter, fromHex, toHex } from '../../modules/nonlegal/dlms/bytes.js';
import { DecodeError, NeedMoreData } from '../../modules/nonlegal/dlms/errors.js';
import { decodeApdu, encodeApdu } from '../../modules/nonlegal/dlms/xdlms.js';
import { arr, dt, st, u32 } from '../../modules/nonlegal/cosem/data.js';
import { toDateTime } from '../../modules/nonlegal/cosem/clock.js';

const OUT = join(ROOT, 'build', 'test', 'axdr');
const BIN = join(OUT, 'axdr_check');

const h = (b: Uint8Array): string => (b.length ? toHex(b) : '-');

/** One answer line per request from the C check. */
function runC(lines: string[]): string[] {
  const out = execFileSync(BIN, { input: lines.map((l) => `${l}\n`).join(''), encoding: 'utf8', maxBuffer: 64 << 20 })
    .trimEnd()
    .split('\n');
  assert.equal(out.length, lines.length, 'one answer per request');
  return out;
}

function tsEncode(layout: Uint8Array, rec: Uint8Array, rows: number, room: number): string {
  const out = new Uint8Array(room);
  const e = tsTable.encode(layout, rec, rows, out, 0);
  return e < 0 ? `${-e} -` : `0 ${h(out.subarray(0, e))}`;
}

function tsDecode(layout: Uint8Array, input: Uint8Array, maxRows: number, depth: number, maxDepth: number, room: number, recSize: number) {
  const rec = new Uint8Array(room);
  const info = new Uint32Array(3);
  const e = tsTable.decode(layout, input, 0, input.length, maxRows, depth, maxDepth, rec, info);
  return `${e} ${info[0]} ${info[1]} ${info[2]} ${h(e === 0 ? rec.subarray(0, (info[0] as number) * recSize) : new Uint8Array(0))}`;
}

/** The bench's day of load profile: clock and four registers, 96 entries. */
function profileDay(): DlmsData {
  const rows: DlmsData[] = [];
  for (let k = 0; k < 96; k++)
    rows.push(st(dt(toDateTime(Date.UTC(2026, 0, 1) + k * 900000)), u32(1000 + k), u32(k), u32(500 + k), u32(2 * k)));
  return arr(rows);
}
const PROFILE_COLUMNS: TableColumn[] = [
  { tag: DataTag.OCTET_STRING, size: 12 },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
];

// Columns: every fixed-size tag, and octet-strings of 1..127 bytes.
const FIXED = [0, 3, 5, 6, 13, 15, 16, 17, 18, 20, 21, 22, 25, 26, 27];
const column = fc.oneof(
  fc.constantFrom(...FIXED).map((tag): TableColumn => ({ tag })),
  fc.integer({ min: 1, max: 127 }).map((size): TableColumn => ({ tag: DataTag.OCTET_STRING, size })),
);
const tableCase = fc
  .record({ columns: fc.array(column, { minLength: 1, maxLength: 8 }), rows: fc.integer({ min: 0, max: 40 }) })
  .chain(({ columns, rows }) => {
    const t = new AxdrTable(columns);
    return fc.record({
      columns: fc.constant(columns),
      rows: fc.constant(rows),
      rec: fc.uint8Array({ minLength: rows * t.recordSize, maxLength: rows * t.recordSize }),
    });
  });

describe('A-XDR table codec (drivers/axdr and axdr-table.ts)', function () {
  this.timeout(120000);
  before(() => {
    mkdirSync(OUT, { recursive: true });
    const d = join(ROOT, 'drivers', 'axdr');
    execFileSync('gcc', [
      '-std=c99',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-O1',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      `-I${d}`,
      join(d, 'axdr.c'),
      join(d, 'test', 'axdr_check.c'),
      '-o',
      BIN,
    ]);
  });

  it('encodes the day of load profile byte for byte as the generic encoder, in C and in TypeScript, and decodes it back', () => {
    const day = profileDay();
    const t = new AxdrTable(PROFILE_COLUMNS);
    const rec = new Uint8Array(96 * t.recordSize);
    assert.equal(t.recordSize, 28);
    assert.equal(t.fromData(day, rec), 96);
    const generic = new AxdrEncoder().encode(day);
    assert.equal(generic.length, 3458);
    const w = new ByteWriter();
    t.encodeInto(w, rec, 96);
    assert.equal(toHex(w.finish()), toHex(generic));
    assert.equal(t.size(96), generic.length);
    const [c] = runC([`E ${toHex(t.layout)} 96 ${toHex(rec)} ${generic.length}`]);
    assert.equal(c, `0 ${toHex(generic)}`);
    // array of 96, the first entry: structure of 5, the clock as octet-string(12), four double-long-unsigned
    assert.equal(toHex(generic.subarray(0, 40)), '01600205090c07ea0101040000000000000006000003e8060000000006000001f406000000000205');
    const back = new Uint8Array(rec.length);
    assert.deepEqual(t.decodePrefix(generic, 0, generic.length, back, { maxRows: 65535, maxDepth: 16 }), { rows: 96, end: 3458 });
    assert.equal(toHex(back), toHex(rec));
    assert.deepEqual(t.toData(back, 96), new AxdrDecoder().decode(generic));
  });

  it("a GET.response-normal of the table is the xDLMS encoder's, and decodes as decodeApdu does", () => {
    const day = profileDay();
    const t = new AxdrTable(PROFILE_COLUMNS);
    const rec = new Uint8Array(96 * t.recordSize);
    t.fromData(day, rec);
    const invoke = { invokeId: 1, confirmed: true, highPriority: true };
    const apdu = encodeApdu({ kind: 'get-response-normal', invoke, result: { data: day } });
    assert.equal(apdu.length, 3462);
    assert.equal(toHex(encodeGetResponseTable(invoke, t, rec, 96)), toHex(apdu));
    const back = new Uint8Array(rec.length);
    assert.deepEqual(decodeGetResponseTable(apdu, t, back, { maxRows: 65535, maxDepth: 16 }), { invoke: 0xc1, rows: 96 });
    assert.equal(toHex(back), toHex(rec));
    // another APDU, a cut one, one with a data-access-result: left to decodeApdu
    assert.equal(decodeGetResponseTable(apdu.subarray(0, 3000), t, back, { maxRows: 65535, maxDepth: 16 }), undefined);
    assert.throws(() => decodeApdu(apdu.subarray(0, 3000)), NeedMoreData);
    assert.equal(decodeGetResponseTable(fromHex('c401c10101'), t, back, { maxRows: 65535, maxDepth: 16 }), undefined);
    assert.equal(decodeGetResponseTable(fromHex('c001c100030100010800ff0200'), t, back, { maxRows: 65535, maxDepth: 16 }), undefined);
  });

  it('C and TypeScript agree with each other and with the generic codec on random tables (fast-check)', () => {
    const cases = fc.sample(tableCase, { numRuns: 300, seed: 5 });
    const lines: string[] = [];
    const expect: string[] = [];
    const enc = new AxdrEncoder();
    for (const { columns, rows, rec } of cases) {
      const t = new AxdrTable(columns);
      const generic = enc.encode(t.toData(rec, rows));
      assert.equal(t.size(rows), generic.length);
      const room = generic.length;
      lines.push(`E ${toHex(t.layout)} ${rows} ${h(rec)} ${room}`);
      expect.push(tsEncode(t.layout, rec, rows, room));
      assert.equal(expect[expect.length - 1], `0 ${toHex(generic)}`);
      // one byte short of room: SPACE
      lines.push(`E ${toHex(t.layout)} ${rows} ${h(rec)} ${room - 1}`);
      expect.push(tsEncode(t.layout, rec, rows, room - 1));
      lines.push(`D ${toHex(t.layout)} 65535 0 16 ${rec.length} ${toHex(generic)}`);
      const dec = tsDecode(t.layout, generic, 65535, 0, 16, rec.length, t.recordSize);
      expect.push(dec);
      // booleans come back as 0/1: the record re-encodes to the same bytes
      const back = new Uint8Array(rec.length);
      assert.ok(t.decodePrefix(generic, 0, generic.length, back, { maxRows: 65535, maxDepth: 16 }));
      assert.deepEqual(t.toData(back, rows), new AxdrDecoder().decode(generic));
    }
    assert.deepEqual(runC(lines), expect);
  });

  it('C and TypeScript agree on corrupted, cut and out-of-bound tables; an accepted one decodes to the same tree generically', () => {
    const mutated = tableCase.chain((c) =>
      fc.record({
        c: fc.constant(c),
        cut: fc.integer({ min: 0, max: 400 }),
        flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        maxRows: fc.oneof(fc.constant(65535), fc.integer({ min: 0, max: 50 })),
        depth: fc.integer({ min: 0, max: 3 }),
        maxDepth: fc.integer({ min: 0, max: 4 }),
        roomLess: fc.integer({ min: 0, max: 40 }),
      }),
    );
    const lines: string[] = [];
    const expect: string[] = [];
    const checks: (() => void)[] = [];
    const enc = new AxdrEncoder();
    for (const { c, cut, flips, maxRows, depth, maxDepth, roomLess } of fc.sample(mutated, { numRuns: 600, seed: 7 })) {
      const t = new AxdrTable(c.columns);
      const bytes = enc.encode(t.toData(c.rec, c.rows)).slice();
      for (const [at, v] of flips) if (bytes.length) bytes[at % bytes.length] = v;
      const input = bytes.subarray(0, Math.max(0, bytes.length - (cut % (bytes.length + 1))));
      const room = Math.max(0, c.rec.length - roomLess);
      lines.push(`D ${toHex(t.layout)} ${maxRows} ${depth} ${maxDepth} ${room} ${h(input)}`);
      const got = tsDecode(t.layout, input, maxRows, depth, maxDepth, room, t.recordSize);
      expect.push(got);
      const [reason, rows, used] = got.split(' ').map(Number) as [number, number, number];
      checks.push(() => {
        const dec = new AxdrDecoder({ maxLength: maxRows, maxDepth });
        if (reason === TableReason.OK) {
          // accepted: the generic decoder accepts the same bytes, with the same tree
          const back = new Uint8Array(room);
          const r = t.decodePrefix(input, 0, input.length, back, { maxRows, depth, maxDepth });
          if (!r) return; // a column longer than maxRows: the table path leaves it to the generic decoder
          assert.equal(r.rows, rows);
          const g = dec.decodePrefix(input, 0);
          assert.equal(g.end, used);
          assert.deepEqual(t.toData(back, rows), g.value);
        } else {
          // refused: the generic decoder gives a value or its own DecodeError / NeedMoreData
          try {
            dec.decodePrefix(input, 0);
          } catch (e) {
            assert.ok(e instanceof DecodeError || e instanceof NeedMoreData, String(e));
          }
        }
      });
    }
    assert.deepEqual(runC(lines), expect);
    for (const f of checks) f();
    const reasons = new Set(expect.map((l) => Number(l.split(' ')[0])));
    for (const r of [TableReason.OK, TableReason.SHORT, TableReason.SHAPE, TableReason.ROWS, TableReason.SPACE, TableReason.DEPTH])
      assert.ok(reasons.has(r), `reason ${r} exercised`);
  });

  it('refuses malformed layouts and length fields with their reasons, in C and in TypeScript', () => {
    const cases: [string, string][] = [
      ['-', '01020206000000011900'], // no columns
      ['09', '0100'], // octet-string without its length
      ['0900', '0100'], // octet-string of 0 bytes
      ['0980', '0100'], // octet-string of 128 bytes
      ['17', '0100'], // float32: not a table type
      ['06', '0180'], // length-of-length 0
      ['06', '0185000000000001'], // length-of-length 5
      ['06', '01820001'], // long form cut
      ['06', '0182000102010600000001'], // long-form row count: accepted
      ['06', '010102810106000000001'.slice(0, 20)], // long-form structure count: another shape
      ['0904', '0101020109050102030405'], // octet-string of another length
    ];
    const lines = cases.map(([l, i]) => `D ${l} 65535 0 16 64 ${i}`);
    const expect = cases.map(([l, i]) => tsDecode(fromHex(l === '-' ? '' : l), fromHex(i), 65535, 0, 16, 64, 4));
    assert.deepEqual(runC(lines), expect);
    assert.deepEqual(
      expect.map((e) => Number(e.split(' ')[0])),
      [3, 3, 3, 3, 3, 7, 7, 1, 0, 2, 2],
    );
    assert.throws(() => new AxdrTable([{ tag: DataTag.FLOAT32 }]), /table/);
    assert.throws(() => new AxdrTable([]), /table/);
    assert.throws(() => new AxdrTable(Array.from({ length: 65 }, () => ({ tag: DataTag.UNSIGNED }))), /table/);
  });
});
