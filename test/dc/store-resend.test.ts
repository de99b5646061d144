// The durable uplink (modules/nonlegal/dc/store.ts) on in-memory NOR areas and a model uplink
// whose head-end stores by (meter, OBIS, capture time) as the receiver does: records and alarms
// are fed from the logs as the uplink has room; an ack moves the acknowledged pointers (mirrored
// counters); a power cut at random program/erase operations, then a reboot on the same flash,
// resends what was not acknowledged. At the end the head-end holds every record and alarm exactly
// once and the counters say whether the last stop was clean.
import assert from 'node:assert/strict';
import { NodeCrc32 } from '../helpers/fram.js';
import { NorArea, SECTOR, xorshift } from '../helpers/nor.js';
import type { UplinkAlarm, UplinkRecord } from '../../modules/nonlegal/dc/headend/records.js';
import type { Uplink, UplinkStats } from '../../modules/nonlegal/dc/headend/uplink.js';
import { DcStore } from '../../modules/nonlegal/dc/store.js';
import { MirroredCounters, RecordLog } from '../../modules/nonlegal/dc/store-flash.js';

const crc = new NodeCrc32();
const T0 = 1_800_000_000;
const eui = (n: number) => `4D4657000000${n.toString(16).padStart(4, '0').toUpperCase()}`;

/** A model uplink: batches of up to 16 tags, at most 4 unacknowledged uploads; ack() settles the oldest. */
class ModelUplink {
  uploads: { tags: number[]; recs: UplinkRecord[]; alarms: UplinkAlarm[] }[] = [];
  batch: { tags: number[]; recs: UplinkRecord[]; alarms: UplinkAlarm[] } = { tags: [], recs: [], alarms: [] };
  onSettled: Uplink['onSettled'];
  sent = 0;
  bulkRoom = () => this.uploads.length < 4;
  alarmRoom = () => true;
  constructor(readonly batchRecords = 16) {}
  recordTagged(r: UplinkRecord, tag: number): boolean {
    this.batch.recs.push(r);
    this.batch.tags.push(tag);
    if (this.batch.tags.length >= this.batchRecords) this.close();
    return true;
  }
  alarmTagged(a: UplinkAlarm, tag: number): boolean {
    this.uploads.unshift({ tags: [tag], recs: [], alarms: [a] });
    return true;
  }
  record = (r: UplinkRecord) => this.recordTagged(r, -1);
  alarm = (a: UplinkAlarm) => void this.alarmTagged(a, -1);
  close(): void {
    if (this.batch.tags.length) this.uploads.push(this.batch);
    this.batch = { tags: [], recs: [], alarms: [] };
  }
  flush = () => this.close();
  stats = () => ({}) as UplinkStats;
  /** The head-end stores the oldest upload and acknowledges it. */
  ack(he: HeadEnd): boolean {
    const u = this.uploads.shift();
    if (!u) return false;
    for (const r of u.recs) he.store(`${r.meter}/${r.obis}/${r.captureS}/${r.values.join(',')}`);
    for (const a of u.alarms) he.store(`alarm ${a.meter}/${a.code}/${a.eventS}`);
    this.sent++;
    this.onSettled?.(u.tags, true);
    return true;
  }
}

class HeadEnd {
  readonly rows = new Set<string>();
  arrivals = 0;
  store(k: string): void {
    this.arrivals++;
    this.rows.add(k);
  }
}

interface Flash {
  p: NorArea;
  e: NorArea;
  a: NorArea;
  b: NorArea;
}
const all = (f: Flash) => [f.p, f.e, f.a, f.b];

function boot(f: Flash, batchRecords = 16): { s: DcStore; up: ModelUplink } {
  const up = new ModelUplink(batchRecords);
  const s = new DcStore(
    new RecordLog(f.p, crc, 512, 7 * 86400, () => T0),
    new RecordLog(f.e, crc, 0, 7 * 86400, () => T0),
    new MirroredCounters([f.a, f.b], crc),
    up as unknown as Uplink,
  );
  s.boot();
  return { s, up };
}

describe('DC store: the durable uplink across power cuts', () => {
  it('sends what was not acknowledged again after a reboot; the counters say whether the stop was clean', () => {
    const f: Flash = {
      p: new NorArea(16 * SECTOR, 'profiles'),
      e: new NorArea(8 * SECTOR, 'events'),
      a: new NorArea(SECTOR, 'counters-a'),
      b: new NorArea(SECTOR, 'counters-b'),
    };
    const he = new HeadEnd();
    let { s, up } = boot(f);
    assert.equal(s.lastStop, 'new');
    for (let i = 0; i < 100; i++)
      assert.ok(s.record({ kind: 'profile', meter: eui(1 + (i % 5)), obis: '1.0.99.1.0.255', captureS: T0 + 900 * i, values: [i, 230] }));
    s.alarm({ meter: eui(3), code: 1, eventS: T0, receivedS: T0 + 2, count: 1 });
    s.flush();
    up.close();
    up.ack(he); // the alarm
    up.ack(he); // 16 records
    assert.equal(s.events.log.acked, 1);
    assert.equal(s.profiles.log.acked, 16);
    // power cut: RAM lost (the unacknowledged uploads), the flash kept
    ({ s, up } = boot(f));
    assert.equal(s.lastStop, 'cut');
    assert.equal(s.profiles.log.unacked, 84);
    up.close();
    while (up.ack(he)) up.close();
    assert.equal(he.rows.size, 101);
    assert.equal(he.arrivals, 101); // nothing acknowledged was sent again
    s.powerFail();
    ({ s, up } = boot(f));
    assert.equal(s.lastStop, 'clean');
    assert.equal(s.boots, 3);
    assert.equal(s.profiles.log.unacked + s.events.log.unacked, 0);
  });

  it('random power cuts during appends, flushes, acks and cleanups, 300 reboots: every record and alarm at the head-end exactly once', function () {
    this.timeout(120000);
    const rng = xorshift(0x5107e);
    const f: Flash = {
      p: new NorArea(8 * SECTOR, 'profiles'),
      e: new NorArea(4 * SECTOR, 'events'),
      a: new NorArea(SECTOR, 'counters-a'),
      b: new NorArea(SECTOR, 'counters-b'),
    };
    for (const n of all(f)) n.rng = rng;
    const he = new HeadEnd();
    // the i-th thing the scheduler takes: an alarm, an event or a profile interval, by i
    const keyOf = (i: number) =>
      i % 13 === 5
        ? `alarm ${eui(1 + (i % 7))}/${1 + (i % 5)}/${T0 + i}`
        : `${eui(1 + (i % 7))}/${i % 10 === 9 ? '0.0.99.98.0.255' : '1.0.99.1.0.255'}/${T0 + 60 * i}/${i}`;
    let { s, up } = boot(f);
    const take = (i: number): boolean => {
      if (i % 13 === 5) {
        s.alarm({ meter: eui(1 + (i % 7)), code: 1 + (i % 5), eventS: T0 + i, receivedS: T0 + i, count: 1 });
        return true; // journaled at once (a cut in it: taken again, as the meter's event log is read again)
      }
      const ev = i % 10 === 9;
      return s.record({
        kind: ev ? 'event' : 'profile',
        meter: eui(1 + (i % 7)),
        obis: ev ? '0.0.99.98.0.255' : '1.0.99.1.0.255',
        captureS: T0 + 60 * i,
        values: [i],
      });
    };
    // the registry's saved cursor: what is taken after it is taken again after a cut
    let cursor = 0;
    let cuts = 0;
    const outcomes: string[] = [];
    for (let round = 0; round < 300; round++) {
      const budget = Math.floor(rng() * 24);
      let left = budget;
      const arm = round < 299 && rng() < 0.8;
      // one budget over the four areas: the cut falls on the budget-th program or erase
      const spend = () => {
        if (arm && left-- <= 0) for (const n of all(f)) n.budget = 0;
      };
      const unwrap = all(f).map((n) => {
        const p = n.program,
          e = n.erase;
        n.program = (o: number, v: ArrayBufferView) => {
          spend();
          p.call(n, o, v);
        };
        n.erase = (o: number) => {
          spend();
          e.call(n, o);
        };
        return () => {
          n.program = p;
          n.erase = e;
          n.budget = Infinity;
        };
      });
      let taken = cursor;
      try {
        for (let step = 0; step < 40; step++) {
          const x = rng();
          if (x < 0.6) {
            if (take(taken)) taken++;
          } else if (x < 0.7) {
            s.flush(); // the registry saves its cursors after the logs are flushed
            cursor = taken;
          } else {
            up.close();
            up.ack(he);
          }
        }
        s.flush();
        cursor = taken;
        outcomes.push(`${round}:-`);
      } catch (e) {
        assert.match(String(e), /power cut/);
        cuts++;
        outcomes.push(`${round}:${budget}${/erase/.test(String(e)) ? 'e' : 'p'}`);
      }
      for (const u of unwrap) u();
      ({ s, up } = boot(f));
    }
    // the head-end comes back for good: everything not acknowledged goes
    for (let k = 0; k < 100000; k++) {
      up.close();
      if (!up.ack(he)) break;
    }
    const want = new Set(Array.from({ length: cursor }, (_, i) => keyOf(i)));
    for (const w of want) assert.ok(he.rows.has(w), `lost: ${w}`);
    for (const r of he.rows) {
      const i = Number(/\/(\d+)$/.exec(r)?.[1]);
      assert.ok(want.has(r) || (r.startsWith('alarm') ? i - T0 >= cursor : i >= cursor), `unexpected: ${r}`);
    }
    assert.equal(s.profiles.log.unacked + s.events.log.unacked, 0);
    console.log(`      ${cuts} cuts in 300 rounds (round:ops before the cut, p program / e erase; - none): ${outcomes.join(' ')}`);
    console.log(
      `      ${want.size} records and alarms taken, all at the head-end once; ${he.arrivals} arrivals (${he.arrivals - he.rows.size} resent, stored once)`,
    );
    assert.ok(cuts > 120, `cuts=${cuts}`);
  });

  it('figures: bytes programmed and erases per simulated day, 256 meters (manifest areas and batch)', function () {
    this.timeout(300000);
    // manifest.json config.flash: profiles 4 MB, events 1 MB, counters-a/-b 4 KB each
    const f: Flash = {
      p: new NorArea(4 * 1024 * 1024, 'profiles'),
      e: new NorArea(1024 * 1024, 'events'),
      a: new NorArea(SECTOR, 'counters-a'),
      b: new NorArea(SECTOR, 'counters-b'),
    };
    const { s, up } = boot(f, 64); // headend.batchRecords
    const he = new HeadEnd();
    const METERS = 256,
      DAYS = 4;
    const perDay: string[] = [];
    let bytes0 = 0,
      erases0 = 0;
    const sum = (n: NorArea) => n.erases.reduce((a, x) => a + x, 0);
    for (let day = 0; day < DAYS; day++) {
      for (let k = 0; k < 96; k++) {
        const t = T0 + day * 86400 + k * 900;
        for (let m = 1; m <= METERS; m++) {
          // the cycle's profile interval (A+, A-, R+, R-), then the cursor save: a flush per meter
          s.record({ kind: 'profile', meter: eui(m), obis: '1.0.99.1.0.255', captureS: t, values: [m * 1e6 + k, 0, k, 0] });
          if (k === 0)
            for (const o of ['1.0.1.8.0.255', '1.0.2.8.0.255', '1.0.3.8.0.255', '1.0.4.8.0.255'])
              s.record({ kind: 'register', meter: eui(m), obis: o, captureS: t, values: [m * 1e6 + day] });
          if (m % 64 === 0) s.record({ kind: 'event', meter: eui(m), obis: '0.0.99.98.0.255', captureS: t, values: [1] });
          s.flush();
        }
        for (;;) {
          up.close();
          if (!up.ack(he)) break;
        }
      }
      const bytes = all(f).reduce((a, n) => a + n.bytesProgrammed, 0),
        erases = all(f).reduce((a, n) => a + sum(n), 0);
      perDay.push(
        `day ${day + 1}: ${((bytes - bytes0) / 1e6).toFixed(2)} MB programmed, ${erases - erases0} erases (profiles ${sum(f.p)}, events ${sum(f.e)}, counters ${sum(f.a) + sum(f.b)} so far)`,
      );
      bytes0 = bytes;
      erases0 = erases;
    }
    const pe = [...f.p.erases];
    console.log(`      ${METERS} meters, ${DAYS} simulated days: ${he.rows.size} records at the head-end`);
    for (const l of perDay) console.log(`        ${l}`);
    console.log(
      `        profiles sectors: erases min ${Math.min(...pe)} max ${Math.max(...pe)} after ${DAYS} days; counters records ${s.counters.gen}`,
    );
    assert.equal(he.rows.size, DAYS * (96 * METERS + 4 * METERS + 96 * (METERS / 64)));
    assert.ok(Math.max(...pe) - Math.min(...pe) <= 1, 'wear spread over the profiles sectors');
  });
});
