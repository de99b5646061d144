// The load profile's buffer (Profile generic attribute 2) read through the A-XDR table codec
// (profile.ts encoded(), dlms/axdr-table.ts): the same GET.responses, byte for byte, as the Data
// tree path, whole and by block transfer, by range and by entry, in a GET with-list; the Data
// path answers where the records cannot hold a value; the server counts the encoded results.
import assert from 'node:assert/strict';
import type { DlmsData } from '../../modules/nonlegal/dlms/axdr.js';
import { DataTag } from '../../modules/nonlegal/dlms/axdr-const.js';
import { AxdrTable, tsTable, type TableColumn } from '../../modules/nonlegal/dlms/axdr-table.js';
import { Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { ClassId, def, items, type ProfileBuffer } from './exports.js';
import { LoadProfile } from '../../modules/nonlegal/meter/meter.js';
import { buffer, client, dateTime, linkTo, loadProfileRows, makeMeter, type Transport } from './helpers.js';

const LP = '1.0.99.1.0.255';
const COLUMNS: TableColumn[] = [
  { tag: DataTag.OCTET_STRING, size: 12 },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
];

/** buffer(rows) that also gives its entries as records; `bad` entries do not fit (records() -1). */
function tableBuffer(rows: DlmsData[][], bad = new Set<number>()): ProfileBuffer & { calls: number } {
  const t = new AxdrTable(COLUMNS);
  const rec = new Uint8Array(rows.length * t.recordSize);
  const n = t.fromData({ type: 'array', items: rows.map((r) => ({ type: 'structure', items: r })) }, rec);
  assert.equal(n, rows.length);
  const b = {
    ...buffer(rows),
    calls: 0,
    table: {
      columns: COLUMNS,
      codec: tsTable,
      records(first: number, k: number, out: Uint8Array): number {
        b.calls++;
        const end = Math.min(first + k, rows.length);
        for (let i = first; i < end; i++) if (bad.has(i)) return -1;
        if (end <= first) return 0;
        out.set(rec.subarray(first * t.recordSize, end * t.recordSize));
        return end - first;
      },
    },
  };
  return b;
}

/** A public client (unciphered: replies comparable byte for byte) and every APDU the server sent. */
async function session(m: ReturnType<typeof makeMeter>, kind: Transport, maxPduSize: number) {
  const sent: Uint8Array[] = [];
  const handle = m.server.handle.bind(m.server);
  m.server.handle = async (sap, apdu, peer) => {
    const r = await handle(sap, apdu, peer);
    if (r) sent.push(r);
    return r;
  };
  const c = client(linkTo(m, kind, 16).link, { maxPduSize });
  await c.associate({ mechanism: Mechanism.LOWEST, ciphered: false });
  return { c, sent };
}

for (const kind of ['udp', 'hdlc'] as Transport[]) {
  describe(`load profile through the table codec over ${kind}`, () => {
    for (const maxPduSize of [1024, 128]) {
      it(`same APDUs as the Data path with a ${maxPduSize}-byte client PDU (block transfer)`, async () => {
        const rows = loadProfileRows();
        const tb = tableBuffer(rows);
        const table = makeMeter({ loadProfile: tb }),
          data = makeMeter({ rows });
        const reads = async (m: ReturnType<typeof makeMeter>) => {
          const { c, sent } = await session(m, kind, maxPduSize);
          const from = sent.length;
          const whole = items(await c.get(ClassId.PROFILE_GENERIC, LP, 2)) ?? [];
          const range = await c.readProfileByRange(LP, dateTime(1, 1, 0), dateTime(1, 2, 0), [
            def(ClassId.CLOCK, '0.0.1.0.0.255'),
            def(ClassId.REGISTER, '1.0.2.8.0.255'),
          ]);
          const entry = await c.readProfileByEntry(LP, 10, 12, 2, 3);
          const empty = await c.readProfileByRange(LP, dateTime(3, 0, 0), dateTime(4, 0, 0));
          const list = await c.getList([
            [ClassId.REGISTER, '1.0.1.8.0.255', 2],
            [ClassId.PROFILE_GENERIC, LP, 7],
          ]);
          return { whole, range, entry, empty, list, apdus: sent.slice(from) };
        };
        const a = await reads(table),
          b = await reads(data);
        assert.equal(a.whole.length, 96);
        assert.equal(a.range.length, 5);
        assert.equal(a.entry.length, 3);
        assert.equal(a.empty.length, 0);
        assert.deepEqual(a, b);
        assert.ok(tb.calls > 0);
        assert.equal(table.server.encodedGets.count, 4);
        assert.equal(data.server.encodedGets.count, 0);
      });
    }

    it('GET with-list holding the buffer: same APDU, encoded by the table codec', async () => {
      const rows = loadProfileRows(8);
      const table = makeMeter({ loadProfile: tableBuffer(rows) }),
        data = makeMeter({ rows });
      const apdus = [];
      for (const m of [table, data]) {
        const { c, sent } = await session(m, kind, 1024);
        const r = await c.getList([
          [ClassId.PROFILE_GENERIC, LP, 2],
          [ClassId.REGISTER, '1.0.1.8.0.255', 2],
          [ClassId.PROFILE_GENERIC, LP, 9],
        ]);
        assert.equal(items((r[0] as { data: DlmsData }).data)?.length, 8);
        apdus.push(sent[sent.length - 1]);
      }
      assert.deepEqual(apdus[0], apdus[1]);
      assert.equal(table.server.encodedGets.count, 1);
    });

    it('an entry the records cannot hold: the Data path answers, with the same bytes', async () => {
      const rows = loadProfileRows(20);
      const tb = tableBuffer(rows, new Set([17]));
      const table = makeMeter({ loadProfile: tb }),
        data = makeMeter({ rows });
      const out = [];
      for (const m of [table, data]) {
        const { c, sent } = await session(m, kind, 1024);
        assert.equal((await c.readProfileByEntry(LP, 1, 4)).length, 4);
        assert.equal((items(await c.get(ClassId.PROFILE_GENERIC, LP, 2)) ?? []).length, 20);
        out.push(sent.slice(-2));
      }
      assert.deepEqual(out[0], out[1]);
      assert.equal(table.server.encodedGets.count, 1); // the entries 1..4 only
    });
  });
}

describe("the meter's LoadProfile as records", () => {
  it('gives the bytes of read() (dates from 1970 to 9999, values up to 2^32-1), and -1 for a value a record cannot hold', () => {
    const lp = new LoadProfile(300);
    const t = new AxdrTable(COLUMNS);
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const regs = (v: number) => ({ aImp: v, aExp: v / 3, rQ1: v / 7, rQ2: 1, rQ3: 0.4, rQ4: v / 11, app: 0 });
    for (const ms of [0, 951782400000, 951868800000, 4107542400000, 253402300799999, 1767225600000 + 899999]) lp.add(ms, regs(4294967295));
    for (let k = 0; k < 294; k++) lp.add(Math.floor(rnd() * 253402300800000), regs(Math.floor(rnd() * 4294967296)));
    const rec = new Uint8Array(300 * t.recordSize),
      want = new Uint8Array(rec.length);
    assert.equal(lp.records(0, 300, rec), 300);
    const rows = lp.read(0, 300);
    assert.equal(t.fromData({ type: 'array', items: rows.map((r) => ({ type: 'structure', items: r })) }, want), 300);
    assert.deepEqual(rec, want);
    assert.equal(lp.records(290, 16, rec), 10);
    lp.add(1767225600000, regs(-1));
    assert.equal(lp.records(299, 1, rec), -1);
  });
});
