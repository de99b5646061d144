// The concentrator's storage classes on the SPI NOR (modules/nonlegal/dc/store-flash.ts) on an
// in-memory NOR with the chip model's semantics (test/helpers/nor.ts): the batched log and the
// journal read back across a restart, cleanup of acknowledged sectors round-robin (wear spread),
// a full log refusing appends until the retention lets its oldest sector go (counted), a power cut
// at every program and erase of an append batch, of a cleanup and of a counters save, each
// leaving every record programmed before it readable and the log going on after it.
import assert from 'node:assert/strict';
import { NodeCrc32 } from '../helpers/fram.js';
import { NorArea, SECTOR, xorshift } from '../helpers/nor.js';
import { MirroredCounters, RecordLog, type StoreState, TYPE_RECORD } from '../../modules/nonlegal/dc/store-flash.js';

const crc = new NodeCrc32();
const T0 = 1_800_000_000;
let clock = T0 + 86400;
const nowS = () => clock;
const log = (nor: NorArea, batch = 256, retentionS = 86400) => new RecordLog(nor, crc, batch, retentionS, nowS);
/** A body of 24..71 bytes naming record i (its first 4 bytes). */
function body(i: number): Uint8Array {
  const b = new Uint8Array(24 + (i % 48)).fill(i & 0xff);
  new DataView(b.buffer).setUint32(0, i, true);
  return b;
}
const idOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(0, true);
/** Every record from the reader on: [seq, id]. */
function readAll(l: RecordLog): [number, number][] {
  const out: [number, number][] = [];
  for (let r = l.read(); r; r = l.read()) {
    assert.equal(r.body.length, 24 + (idOf(r.body) % 48));
    out.push([r.seq, idOf(r.body)]);
  }
  return out;
}

describe('DC store: the record logs on the SPI NOR', () => {
  it('appends in batches and as a journal; a restart reads back every record programmed, in seq order', () => {
    for (const batch of [0, 256]) {
      const nor = new NorArea(8 * SECTOR, 'profiles');
      const a = log(nor, batch);
      a.load(0);
      for (let i = 1; i <= 300; i++) assert.equal(a.append(TYPE_RECORD, T0 + i, body(i)), i);
      a.flush();
      assert.equal(a.counters.appends, 300);
      if (batch) assert.ok(a.counters.programs < 300 / 3, `programs=${a.counters.programs}`);
      else assert.equal(a.counters.programs, 300 + a.used); // one per record, one per sector header
      const b = log(nor.clone(), batch);
      b.load(0);
      const got = readAll(b);
      assert.equal(got.length, 300);
      assert.ok(got.every(([s, id], k) => s === k + 1 && id === k + 1));
      assert.equal(b.nextSeq, 301);
      assert.equal(b.counters.dropped, 0);
      // the reader starts after the acknowledged pointer
      const c = log(nor.clone(), batch);
      c.load(200);
      assert.deepEqual(
        readAll(c).map(([s]) => s),
        Array.from({ length: 100 }, (_, k) => 201 + k),
      );
    }
  });

  it('erases only acknowledged sectors, round-robin: erases spread evenly over the area', () => {
    const nor = new NorArea(8 * SECTOR, 'profiles');
    const a = log(nor);
    a.load(0);
    for (let i = 1; i <= 20000; i++) {
      assert.ok(a.append(TYPE_RECORD, nowS(), body(i)) > 0, `append ${i}`);
      if (i % 50 === 0) a.acked = i - 40; // the uplink acknowledges behind the appends
    }
    assert.equal(a.counters.full, 0);
    assert.equal(a.counters.expired, 0);
    const e = [...nor.erases];
    assert.ok(Math.max(...e) - Math.min(...e) <= 1, `erases per sector ${e}`);
    assert.ok(Math.min(...e) >= 30, `erases per sector ${e}`);
  });

  it('a log full of unacknowledged records refuses appends (counted) until the retention lets its oldest sector go', () => {
    const nor = new NorArea(4 * SECTOR, 'events');
    const a = log(nor, 0, 3600);
    a.load(0);
    clock = T0 + 86400;
    let n = 0;
    while (a.append(TYPE_RECORD, clock, body(++n)) > 0);
    assert.equal(a.counters.full, 1);
    const held = n - 1;
    assert.equal(a.unacked, held);
    // an hour later the oldest sector's records are past the retention: erased, counted as expired
    clock += 3601;
    assert.ok(a.append(TYPE_RECORD, clock, body(n)) > 0);
    assert.ok(a.counters.expired > 0 && a.counters.expired < held, `expired=${a.counters.expired}`);
    assert.equal(a.acked, a.counters.expired);
    // what is left is read from the first record kept
    const b = log(nor.clone(), 0, 3600);
    b.load(a.acked);
    const got = readAll(b);
    assert.equal(got[0]![0], a.acked + 1);
    assert.equal(got.at(-1)![1], n);
  });

  it('a power cut at every program and erase of an append batch and of a cleanup: records programmed before are kept, the log goes on', function () {
    this.timeout(60000);
    // a log whose next batch closes the head sector, reclaims the oldest (acknowledged) and opens it
    const nor = new NorArea(4 * SECTOR, 'profiles');
    const a = log(nor, 1024);
    a.load(0);
    let i = 0;
    while (a.used < 4) a.append(TYPE_RECORD, nowS(), body(++i));
    a.flush();
    a.acked = Math.floor(i / 2);
    const acked = a.acked;
    const kept = i;
    // the operations of the next 120 appends (batches, a cleanup: erase + header), counted dry
    const dry = nor.clone(),
      d = log(dry, 1024);
    d.load(acked);
    const ops0 = dry.ops;
    for (let k = 1; k <= 120; k++) d.append(TYPE_RECORD, nowS(), body(kept + k));
    d.flush();
    const ops = dry.ops - ops0;
    assert.ok(d.counters.erases >= 1, 'the appends reclaim a sector');
    assert.ok(ops >= 4, `ops=${ops}`);
    const outcomes: string[] = [];
    for (let k = 1; k <= ops; k++) {
      const n = nor.clone();
      n.rng = xorshift(k);
      const t = log(n, 1024);
      t.load(acked);
      n.budget = k - 1;
      assert.throws(() => {
        for (let j = 1; j <= 120; j++) t.append(TYPE_RECORD, nowS(), body(kept + j));
        t.flush();
      }, /power cut/);
      n.budget = Infinity;
      const u = log(n, 1024);
      u.load(acked);
      const got = readAll(u);
      // every unacknowledged record programmed before the cut is there, in order, once
      const ids = got.map(([, id]) => id);
      for (let j = acked + 1; j <= kept; j++) assert.ok(ids.includes(j), `cut ${k}: record ${j} lost`);
      assert.deepEqual(
        ids,
        Array.from({ length: ids.length }, (_, x) => acked + 1 + x),
        `cut ${k}: out of order`,
      );
      // the log goes on: the next appends read back after a restart
      const next = u.nextSeq;
      u.acked = next - 1; // the uplink took and acknowledged all: room for more
      for (let j = 1; j <= 30; j++) assert.ok(u.append(TYPE_RECORD, nowS(), body(900 + j)) > 0);
      u.flush();
      const v = log(n.clone(), 1024);
      v.load(acked);
      const all = readAll(v);
      assert.deepEqual(
        all.slice(-30).map(([s, id]) => [s, id]),
        Array.from({ length: 30 }, (_, x) => [next + x, 901 + x]),
      );
      outcomes.push(`${k}:${ids.length - (kept - acked)}`);
    }
    console.log(`      append + cleanup: ${ops} operations cut (op:records of the cut batch kept) ${outcomes.join(' ')}`);
  });
});

describe('DC store: the mirrored counters', () => {
  const st = (k: number, clean = false): StoreState => ({ profilesAcked: k * 10, eventsAcked: k, boots: 1, clean });
  it('the newest valid copy wins; a cut at every program and erase of 300 saves leaves the last or the previous value', function () {
    this.timeout(60000);
    const a = new NorArea(SECTOR, 'counters-a'),
      b = new NorArea(SECTOR, 'counters-b');
    const c = new MirroredCounters([a, b], crc);
    assert.equal(c.load(), undefined);
    const saves = 300; // more than a sector of 128 records: each area erased twice
    let ops = 0;
    for (let k = 1; k <= saves; k++) {
      const before = a.ops + b.ops;
      c.save(st(k, k % 7 === 0));
      ops += a.ops + b.ops - before;
    }
    assert.equal(c.erases, 4);
    assert.deepEqual(new MirroredCounters([a.clone(), b.clone()], crc).load(), st(saves, saves % 7 === 0));
    // replay with a cut at every operation
    let cuts = 0;
    for (let cut = 1; cut <= ops; cut++) {
      const x = new NorArea(SECTOR, 'counters-a'),
        y = new NorArea(SECTOR, 'counters-b');
      x.rng = xorshift(cut);
      y.rng = x.rng;
      // one budget over both areas: the cut falls on the cut-th operation of the run
      let left = cut - 1;
      for (const n of [x, y]) {
        const prog = n.program.bind(n),
          er = n.erase.bind(n);
        n.program = (o: number, v: ArrayBufferView) => {
          n.budget = left-- > 0 ? Infinity : 0;
          prog(o, v);
        };
        n.erase = (o: number) => {
          n.budget = left-- > 0 ? Infinity : 0;
          er(o);
        };
      }
      const m = new MirroredCounters([x, y], crc);
      m.load();
      let k = 0;
      try {
        for (k = 1; k <= saves; k++) m.save(st(k, k % 7 === 0));
      } catch (e) {
        assert.match(String(e), /power cut/);
        cuts++;
        const got = new MirroredCounters([x.clone(), y.clone()], crc).load();
        // the first save cut in its first program leaves nothing: the store is new
        if (k === 1 && !got) continue;
        assert.ok(got && (got.eventsAcked === k || got.eventsAcked === k - 1), `cut ${cut} in save ${k}: got ${JSON.stringify(got)}`);
        // and the counters go on from there
        const z = new MirroredCounters([x, y], crc);
        x.budget = y.budget = Infinity;
        x.program = NorArea.prototype.program.bind(x);
        y.program = NorArea.prototype.program.bind(y);
        x.erase = NorArea.prototype.erase.bind(x);
        y.erase = NorArea.prototype.erase.bind(y);
        z.load();
        z.save(st(1000));
        assert.equal(new MirroredCounters([x.clone(), y.clone()], crc).load()?.eventsAcked, 1000, `after cut ${cut}`);
      }
    }
    assert.equal(cuts, ops);
    console.log(`      counters: ${saves} saves, ${ops} operations, each cut`);
  });
});
