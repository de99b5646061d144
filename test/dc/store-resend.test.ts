// The durable uplink (modules/nonlegal/dc/store.ts) on in-memory NOR areas and a model uplink
// whose head-end stores by (meter, OBIS, capture time) as the receiver does: records and alarms
// are fed from the logs as the uplink has room; an ack moves the acknowledged pointers (mirrored
// counters); a power cut at random program/erase operations, then a reboot on the same flash,
// resends what was not acknowledged. At the end the head-end holds every record and alarm exactly
// once and the counters say whether the last stop was clean.
import assert from 'node:assert/strict';
import { NodeCrc32 } from '../helpers/fram.js';
import { NorArea, SECTOR, xorshift } from '../helpers/nor.js';
import type { UplinkAlarm, UplinkRecord } from '../../modules/nonlegal/headend/records.js';
import type { Uplink, UplinkStats } from '../../modules/nonlegal/headend/uplink.js';
import { DcStore } from '../../modules/nonlegal/dc/store.js';
import { MirroredCounters, RecordLog } from '../../modules/nonlegal/dc/store-flash.js';

const crc = new NodeCrc32();
const T0 = 1_800_000_000;
const eui = (n: number) => `4D465700000000${n.toString(16).padStart(2, '0').toUpperCase()}`;

/** A model uplink: batches of up to 16 tags, at most 4 unacknowledged uploads; ack() settles the oldest. */
class ModelUplink {
  uploads: { tags: number[]; recs: UplinkRecord[]; alarms: UplinkAlarm[] }[] = [];
  batch: { tags: number[]; recs: UplinkRecord[]; alarms: UplinkAlarm[] } = { tags: [], recs: [], alarms: [] };
  onSettled: Uplink['onSettled'];
  sent = 0;
  bulkRoom = () => this.uploads.length < 4;
  alarmRoom = () => true;
  recordTagged(r: UplinkRecord, tag: number): boolean {
    this.batch.recs.push(r);
    this.batch.tags.push(tag);
    if (this.batch.tags.length >= 16) this.close();
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

function boot(f: Flash): { s: DcStore; up: ModelUplink } {
  const up = new ModelUplink();
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
});
