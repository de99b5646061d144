// The concentrator's scheduler over a model of 3 meters (Node, manual clock): profiles read by
// range from each meter's cursor (no interval twice, a gap filled after a meter was away), clock
// sync within 5 s, on-demand reads ahead of bulk work, and the DC shell's JSON lines.
import assert from 'node:assert/strict';
import type { UplinkRecord } from '../../modules/nonlegal/dc/headend/records.js';
import { type MeterEntry, Registry, registryConfig } from '../../modules/nonlegal/dc/registry.js';
import { type MeterReader, type Row, Scheduler, schedulerConfig } from '../../modules/nonlegal/dc/scheduler.js';
import { Sessions, sessionLimits } from '../../modules/nonlegal/dc/session.js';
import { DcShell } from '../../modules/nonlegal/dc/shell.js';
import { ManualTimers } from './helpers.js';

const T0 = 1_800_000_000_000; // ms, a 15-min boundary
const eui = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');

/** Meters that capture a profile row every 900 s of their own clock and answer unless `down`. */
class Model implements MeterReader {
  down = new Set<string>();
  offsetS = new Map<string, number>();
  ranges: string[] = [];
  order: string[] = [];
  constructor(private readonly t: ManualTimers) {}
  private nowS(m: MeterEntry): number {
    return Math.floor((T0 + this.t.nowMs) / 1000) + (this.offsetS.get(m.eui) ?? 0);
  }
  private answer<T>(m: MeterEntry, what: string, v: () => T): Promise<T> {
    this.order.push(`${m.eui.slice(-1)}:${what}`);
    if (this.down.has(m.eui)) return new Promise<T>(() => {});
    return Promise.resolve(v());
  }
  identify(m: MeterEntry) {
    return this.answer(m, 'id', () => ({ name: `MFW${m.eui}`, serial: m.eui.slice(-8) }));
  }
  profile(m: MeterEntry, fromS: number, toS: number) {
    this.ranges.push(`${m.eui.slice(-1)} ${fromS}..${toS}`);
    return this.answer(m, 'profile', () => {
      const rows: Row[] = [];
      for (let s = Math.ceil(fromS / 900) * 900; s <= Math.min(toS, this.nowS(m)); s += 900) rows.push({ captureS: s, values: [s % 1000] });
      return rows;
    });
  }
  /** Each meter's event log: rows (time s, code), returned by range as a meter does. */
  log = new Map<string, Row[]>();
  events(m: MeterEntry, fromS: number, toS: number) {
    return this.answer(m, 'events', (): Row[] => (this.log.get(m.eui) ?? []).filter((r) => r.captureS >= fromS && r.captureS <= toS));
  }
  register(m: MeterEntry, obis: string) {
    return this.answer(m, `reg ${obis}`, () => ({ captureS: this.nowS(m), values: [42] }));
  }
  clock(m: MeterEntry) {
    return this.answer(m, 'clock', () => this.nowS(m));
  }
  setClock(m: MeterEntry, s: number) {
    return this.answer(m, 'setclock', () => {
      this.offsetS.set(m.eui, s - Math.floor((T0 + this.t.nowMs) / 1000));
    });
  }
}

function setup() {
  const t = new ManualTimers();
  const model = new Model(t);
  const registry = new Registry(registryConfig({ maxMeters: 3 }), undefined);
  for (const n of [2, 3, 4]) registry.add(eui(n), n);
  const sessions = new Sessions(sessionLimits({ timeoutMs: 10000, retries: 1, backoffMs: 1000, jitterPermille: 0 }), t, () => 0.5, {
    unreachable: (e) => {
      registry.find(e)!.state = 'unreachable';
    },
    answered: (e) => {
      registry.find(e)!.state = 'online';
    },
    retry: () => {},
    isUnreachable: (e) => registry.find(e)?.state === 'unreachable',
  });
  const records: UplinkRecord[] = [];
  const uplink = { full: false }; // a full uplink refuses records
  const sink = { record: (r: UplinkRecord) => !uplink.full && records.push(r) > 0, alarm: () => {} };
  const now = () => T0 + t.nowMs;
  const scheduler = new Scheduler(schedulerConfig({ profileMin: 15 }), registry, sessions, model, sink, now, t);
  const shell = new DcShell(registry, scheduler, sessions, now);
  return { t, model, registry, sessions, scheduler, shell, records, uplink };
}

describe('DC scheduler', () => {
  it('reads profiles by range from the cursor: no interval twice, a gap filled after a meter was away', async () => {
    const s = setup();
    s.scheduler.start();
    await s.t.advance(900_000 * 2); // two cycles
    const m3 = s.registry.find(3)!;
    s.model.down.add(m3.eui); // meter 3 away for 3 cycles
    await s.t.advance(900_000 * 3);
    assert.equal(m3.state, 'unreachable');
    s.model.down.delete(m3.eui);
    await s.t.advance(900_000 * 2);
    assert.equal(m3.state, 'online');
    const profiles = s.records.filter((r) => r.kind === 'profile');
    for (const e of [2, 3, 4].map(eui)) {
      const times = profiles.filter((r) => r.meter === e).map((r) => r.captureS);
      assert.equal(new Set(times).size, times.length, `no interval twice for ${e}`);
      // every interval from the first read to the last cycle, without a gap
      for (let k = 1; k < times.length; k++) assert.equal(times[k]! - times[k - 1]!, 900, `${e} gap at ${times[k - 1]}`);
      assert.equal(times[times.length - 1], (T0 + 900_000 * 7) / 1000);
    }
    assert.equal(s.scheduler.counters.duplicates, 0);
    // each range starts just after the last interval stored
    assert.ok(
      s.model.ranges.some((r) => r.startsWith(`3 ${(T0 + 900_000 * 2) / 1000 + 1}..`)),
      s.model.ranges.join('\n'),
    );
  });

  it('a record the uplink refuses is counted and read again later: the cursor stays before it', async () => {
    const s = setup();
    s.scheduler.start();
    await s.t.advance(900_000);
    s.uplink.full = true; // two cycles with the uplink refusing
    await s.t.advance(900_000 * 2);
    assert.ok(s.scheduler.counters.sinkRefused >= 3, `sinkRefused ${s.scheduler.counters.sinkRefused}`);
    s.uplink.full = false;
    await s.t.advance(900_000);
    for (const e of [2, 3, 4].map(eui)) {
      const times = s.records.filter((r) => r.kind === 'profile' && r.meter === e).map((r) => r.captureS);
      assert.equal(new Set(times).size, times.length, `no interval twice for ${e}`);
      for (let k = 1; k < times.length; k++) assert.equal(times[k]! - times[k - 1]!, 900, `${e} gap at ${times[k - 1]}`);
      assert.equal(times[times.length - 1], (T0 + 900_000 * 4) / 1000, `${e} caught up`);
    }
  });

  it('events in one second are all read, also when a read ends between them; none twice', async () => {
    const s = setup();
    const e2 = eui(2);
    const t = (T0 - 100_000) / 1000;
    s.model.log.set(e2, [
      { captureS: t, values: [3] },
      { captureS: t + 1, values: [1] },
    ]);
    await s.scheduler.runCycle();
    // the restore is logged in the same second as the failure, after the read
    s.model.log.get(e2)!.push({ captureS: t + 1, values: [2] }, { captureS: t + 5, values: [8] });
    await s.scheduler.runCycle();
    await s.scheduler.runCycle();
    const events = s.records.filter((r) => r.kind === 'event' && r.meter === e2).map((r) => `${r.captureS - t}:${r.values[0]}`);
    assert.deepEqual(events, ['0:3', '1:1', '1:2', '5:8']);
  });

  it('sets a meter clock that is off by more than 5 s; leaves one within it', async () => {
    const s = setup();
    s.model.offsetS.set(eui(2), 37);
    s.model.offsetS.set(eui(3), -3);
    await s.scheduler.runCycle();
    assert.equal(s.registry.find(2)!.clockOffsetS, 0);
    assert.equal(s.registry.find(3)!.clockOffsetS, -3);
    assert.equal(s.scheduler.counters.clockSets, 1);
    assert.ok(Math.abs(s.model.offsetS.get(eui(2))!) <= 5);
  });

  it('runs an on-demand read ahead of the waiting bulk work', async () => {
    const s = setup();
    const cycle = s.scheduler.runCycle();
    const read = s.scheduler.readNow(s.registry.find(4)!, '1.0.1.8.0.255');
    await Promise.all([cycle, read]);
    const i = s.model.order.indexOf('4:reg 1.0.1.8.0.255');
    const firstProfile = s.model.order.indexOf('2:profile');
    assert.ok(i >= 0 && i < firstProfile, s.model.order.join(' '));
  });

  it('answers DC commands as one JSON object per line, and bad arguments with one error', async () => {
    const s = setup();
    await s.scheduler.runCycle();
    const lines: string[] = [];
    const out = (l: string) => lines.push(...l.split('\r\n').filter(Boolean));
    s.shell.json = true;
    s.shell.meters(out);
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(objs.length, 4);
    assert.deepEqual(
      objs.map((o) => o.dc),
      ['meter', 'meter', 'meter', 'end'],
    );
    assert.equal(objs[0]!.eui, eui(2));
    assert.equal(objs[0]!.state, 'online');
    assert.equal(objs[0]!.name, `MFW${eui(2)}`);
    assert.deepEqual(objs[3], { dc: 'end', cmd: 'METERS', n: 3, max: 3, refused: 0 });
    lines.length = 0;
    s.shell.profile(out, 2, 0, 0xffffffff);
    const p = lines.map((l) => JSON.parse(l) as { dc: string; capture?: number; n?: number });
    assert.equal(p[p.length - 1]!.dc, 'end');
    assert.equal(p[p.length - 1]!.n, p.length - 1);
    assert.ok(p.length > 1 && p.slice(0, -1).every((o) => o.dc === 'interval' && typeof o.capture === 'number'));
    assert.throws(() => s.shell.meter(9), /meter 0x0009: not in the registry/);
    assert.throws(() => s.shell.schedule(out, [1, 10]), /dc\.profileMin: 15\.\.60/);
    s.shell.json = false;
    lines.length = 0;
    s.shell.stats(out);
    assert.match(lines[0]!, /^DC STATS meters=3 online=3 cycles=1 intervals=\d+ /);
  });
});
