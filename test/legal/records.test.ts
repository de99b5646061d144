// The power-fail-safe records (modules/legal/records.ts, eventlog.ts) on Node over a model of
// the FRAM that tears writes into 16-byte bursts like drivers/nvram: a cut is simulated after
// every burst of a save or an append (as MCUboot's tests cut at every flash operation); after
// each, a fresh load must find the previous or the new state, never anything else. Then the
// messages X_METRO_GET_EVENTS and X_METRO_SET_CLOCK through legal.ts with a fake RunService.
import assert from 'node:assert/strict';
import { BillingStore } from '../../modules/legal/records.js';
import { FramModel, NodeCrc32 } from '../helpers/fram.js';
import { EventLog } from '../../modules/legal/eventlog.js';
import { TwoSlotRecord } from '../../modules/generic/shared/nvrecord.js';
import { legalLayout } from '../../modules/legal/layout.js';
import { start } from '../../modules/legal/legal.js';
import { X_METRO_GET_EVENTS, X_METRO_EVENTS, X_METRO_SET_CLOCK, X_METRO_CLOCK } from '../../modules/generic/ids.js';

class Fram extends FramModel {
  constructor() {
    super(8192);
  }
}
class Crc extends NodeCrc32 {}
const layout = legalLayout(8192);

const energy = (x: number) => Float64Array.from([x, 0, x / 2, 0, 0, 0, x * 1.1]);
const counts = (x: number) => Float64Array.from([Math.floor(x / 1e6), 0]);

describe('legal: power-fail-safe records', () => {
  it('billing: a cut at every burst of a save (copy, then witness) leaves the old or the new record', () => {
    for (let cutAt = 0; cutAt <= 12; cutAt++) {
      const fram = new Fram(),
        crc = new Crc();
      const b = new BillingStore(fram, crc, layout);
      for (let s = 1; s <= 5; s++) b.save(1000 * s, energy(1e6 * s), 0, counts(1e6 * s));
      fram.budget = cutAt;
      let completed = true;
      try {
        b.save(6000, energy(6e6), 0, counts(6e6));
      } catch {
        completed = false;
      }
      const r = new BillingStore(fram, crc, layout);
      assert.equal(r.load(), true);
      const want = cutAt >= 6 ? 6 : 5; // 88 bytes: 6 bursts to the copy, then 6 to the witness
      assert.equal(completed, cutAt === 12);
      assert.equal(r.seq, want, `cut after ${cutAt} bursts`);
      assert.equal(r.values[0], 1e6 * want);
      assert.equal(r.clock, 1000 * want);
      assert.equal(r.dropped, completed || cutAt === 0 || cutAt === 6 ? 0 : 1); // the torn copy or witness, counted
    }
  });

  it('two-slot record: a save never overwrites the newest valid copy, whichever slot holds it', () => {
    const fram = new Fram(),
      crc = new Crc();
    const a = new TwoSlotRecord(fram, crc, 1000, 64, 32, 0x31565450);
    a.view.setUint32(8, 7, true);
    a.save(); // seq 1, copy 1 (from blank, seq n in copy n & 1)
    a.save(); // seq 2, copy 0
    const copy = (k: number) => new DataView(fram.mem.buffer, 1000 + 64 * k).getUint32(4, true);
    assert.deepEqual([copy(0), copy(1)], [2, 1]);
    fram.mem.copyWithin(1064, 1000, 1032); // copy 1 := copy 0, then damaged: CRC wrong
    fram.mem[1064 + 8] = 9;
    const b = new TwoSlotRecord(fram, crc, 1000, 64, 32, 0x31565450);
    assert.equal(b.load(), true);
    assert.deepEqual([b.seq, b.dropped, b.status, b.view.getUint32(8, true)], [2, 1, 'ok', 7]);
    b.save(); // must go over the corrupt copy 1, not the newest
    assert.deepEqual([copy(0), copy(1)], [2, 3]);
    fram.budget = 1; // torn after one burst: the newest (seq 3) survives
    assert.throws(() => b.save(), /power cut/);
    const c = new TwoSlotRecord(fram, crc, 1000, 64, 32, 0x31565450);
    assert.deepEqual([c.load(), c.seq, c.dropped], [true, 3, 1]);
    assert.throws(() => new TwoSlotRecord(fram, crc, 0, 16, 32, 1), /RangeError|slots of 16/);
  });

  it('billing: registers never go backwards on save', () => {
    const b = new BillingStore(new Fram(), new Crc(), layout);
    b.save(1, energy(10), 0, counts(10));
    assert.throws(() => b.save(2, energy(9), 0, counts(9)), /backwards/);
  });

  it('event log: a cut at every burst of an append keeps every earlier event; the journal wraps', () => {
    for (let cutAt = 0; cutAt <= 2; cutAt++) {
      const fram = new Fram(),
        crc = new Crc();
      const log = new EventLog(fram, crc, layout);
      for (let k = 1; k <= 300; k++) log.append(k * 10, 3, 1, k, k);
      fram.budget = cutAt;
      try {
        log.append(3010, 4, 2, 0, 0);
      } catch {
        /* cut */
      }
      const r = new EventLog(fram, crc, layout);
      r.load();
      const torn = cutAt === 1 ? 1 : 0; // 32-byte records: the cut after one burst tears one
      assert.equal(r.last, cutAt >= 2 ? 301 : 300);
      assert.equal(r.dropped, torn);
      const cap = layout.capacity; // 8192-byte area: (8192 - 784) / 32 = 231
      assert.equal(cap, 231);
      assert.equal(r.overwritten, r.last - cap);
      const list = r.list(32);
      assert.equal(list.at(-1)!.seq, r.last);
      assert.deepEqual(r.get(290), { seq: 290, time: 2900, type: 3, phase: 1, value: 290, duration: 290 });
      // the oldest kept: the torn slot held the oldest record, which is gone
      assert.equal(r.get(r.last - cap + 1 + torn)?.seq, r.last - cap + 1 + torn);
      assert.equal(r.get(r.last - cap), undefined);
    }
  });
});

describe('legal: X_METRO_GET_EVENTS and X_METRO_SET_CLOCK', () => {
  it('answer with frozen copies, validate the clock and log the change', () => {
    const fram = new Fram();
    const sent: [number, number, unknown][] = [];
    let uptime = 5000;
    let rtc = 0;
    const driver = {
      restore() {},
      quality() {},
      counts(o: Float64Array) {
        o.fill(0);
      },
      voltageEvents() {
        return 0;
      },
      pulses() {
        return '';
      },
      event() {
        return 0;
      },
      voltageDropped() {
        return 0;
      },
      load() {},
      frequency() {},
      second() {
        return 0;
      },
      stats() {
        return '';
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: a fake RunService table, each entry typed by its own parameters
    const services: { [k: string]: (...a: any[]) => unknown } = {
      'driver.get': (n: string) => (n === 'nvram' ? fram : { CRC32: Crc }),
      'misc.uptime': () => uptime,
      'misc.time': () => rtc, // the RTC: no date until set below
      'shell.print': () => {},
      'shell.register': () => {},
      trace: () => {},
      'lcd.print': () => {},
      'msg.send': (_from: number, to: number, id: number, payload: unknown) => {
        sent.push([to, id, payload]);
        return 0;
      },
    };
    const rs = ((name: string, ...a: unknown[]) => services[name]!(...a)) as never;
    const legal = start(rs, driver as never, new Float64Array(35), undefined);
    const malformed: { [name: string]: number } = {};
    const msg = (id: number, payload: unknown) => legal.message({ id, from: 7, to: 1, payload } as never, 1, malformed);

    // a payload that breaks the contract (generic/shared/messages.ts) is dropped and counted
    assert.equal(msg(X_METRO_SET_CLOCK, { req: 1, time: 'soon' }), true);
    assert.equal(msg(X_METRO_SET_CLOCK, { time: 1.5e12 }), true); // no request id
    assert.equal(sent.length, 0);
    assert.deepEqual(malformed, { X_METRO_SET_CLOCK: 2 });
    // a well-formed time outside the legal range is refused in the answer
    assert.equal(msg(X_METRO_SET_CLOCK, { req: 2, time: 5e12 }), true);
    assert.deepEqual(sent.pop(), [7, X_METRO_CLOCK, { req: 2, ok: false, previous: 0 }]); // a fresh meter's clock starts at 0
    assert.equal(msg(X_METRO_SET_CLOCK, { req: 3, time: 1.5e12 }), true);
    assert.deepEqual(sent.pop(), [7, X_METRO_CLOCK, { req: 3, ok: true, previous: 0 }]);
    uptime += 250;
    msg(X_METRO_SET_CLOCK, { req: 4, time: 1.6e12 });
    assert.deepEqual(sent.pop(), [7, X_METRO_CLOCK, { req: 4, ok: true, previous: 1.5e12 + 250 }]);
    msg(X_METRO_GET_EVENTS, { req: 5, n: 16 });
    const [, id, payload] = sent.pop()!;
    assert.equal(id, X_METRO_EVENTS);
    assert.equal((payload as { req: number }).req, 5);
    const events = (payload as { events: { seq: number; type: number; time: number; value: number }[] }).events;
    assert.deepEqual(
      events.map((e) => [e.seq, e.type, e.time]),
      [
        [1, 11, 1.5e12],
        [2, 11, 1.6e12],
      ],
    );
    assert.ok(Object.isFrozen(events[0]));
    msg(X_METRO_GET_EVENTS, { req: 6, from: 2, n: 1 });
    assert.deepEqual(
      (sent.pop()![2] as { events: { seq: number }[] }).events.map((e) => e.seq),
      [2],
    );
    msg(X_METRO_GET_EVENTS, { req: 7, n: 100 }); // over the contract's 16
    assert.equal(sent.length, 0);
    assert.deepEqual(malformed, { X_METRO_SET_CLOCK: 2, X_METRO_GET_EVENTS: 1 });
    assert.equal(msg(0x0101, { req: 8, n: 1 }), false); // not its message

    // a fresh meter whose RTC holds a date starts its legal clock from it
    rtc = 1.7e12;
    const legal2 = start(rs, driver as never, new Float64Array(35), undefined);
    uptime += 40;
    legal2.message({ id: X_METRO_SET_CLOCK, from: 7, to: 1, payload: { req: 9, time: 5e12 } } as never, 1, malformed);
    assert.deepEqual(sent.pop(), [7, X_METRO_CLOCK, { req: 9, ok: false, previous: 1.7e12 + 40 }]);
  });
});
