// Message contracts (modules/generic/shared/messages.ts): one per message id, a validator that
// refuses what a receiver must not trust, request ids echoed by answers, and the receivers that
// match answers by request id rather than by queue order.
import assert from 'node:assert/strict';
import * as ids from '../../modules/generic/ids.js';
import { accept, type Contract, type MalformedCounts } from '../../modules/generic/shared/messages.js';
import { RequestIds } from '../../modules/generic/shared/request-ids.js';
import * as requests from '../../modules/generic/shared/metro-requests.js';
import * as answers from '../../modules/generic/shared/metro-answers.js';
import * as net from '../../modules/generic/shared/net-messages.js';
import { METRO_GET_DATA, METRO_GET_INSTANT, METRO_SET_CLOCK, METRO_RELAY } from '../../modules/generic/shared/metro-requests.js';
import { METRO_SET_DATA, METRO_INSTANT, METRO_CLOCK } from '../../modules/generic/shared/metro-answers.js';
import { ADP_DEVICE_CONFIRM, APP_RX_EVENT } from '../../modules/generic/shared/net-messages.js';

const CONTRACTS = ([...Object.values(requests), ...Object.values(answers), ...Object.values(net)] as unknown[]).filter(
  (v): v is Contract<unknown> => typeof v === 'object' && v !== null && 'valid' in v,
);
import { LegalLink } from '../../modules/nonlegal/meter/legal.js';
import { PendingRequests } from '../../modules/generic/shared/pending.js';
import type { RunServiceFn } from '../../modules/generic/services.js';
import type { TimerModule, TimerHandle } from '../../modules/generic/timer.js';

const record = (t: number) => ({ time: t, p: 1, q: 2, s: 3, aImp: 4, aExp: 5, rImp: 6, rExp: 7, app: 8 });
const phase = { v: 230, i: 1, p: 230, q: 0, s: 230, pf: 1, f: 50 };
const instant = {
  time: 1000,
  second: 1,
  phases: [phase, phase, phase],
  total: { p: 690, q: 0, s: 690 },
  registers: { aImp: 1, aExp: 0, rQ1: 0, rQ2: 0, rQ3: 0, rQ4: 0, app: 1 },
};

describe('message contracts', () => {
  it('one contract per message id of generic/ids.ts, named as the id', () => {
    const byName = new Map(Object.entries(ids).filter(([k]) => k.startsWith('X_')));
    assert.equal(CONTRACTS.length, byName.size, 'every X_ id has a contract');
    for (const c of CONTRACTS) assert.equal(byName.get(c.name), c.id, c.name);
    assert.equal(new Set(CONTRACTS.map((c) => c.id)).size, CONTRACTS.length, 'ids are unique');
  });

  it('accepts well-formed payloads and refuses the malformed ones', () => {
    const cases: [Contract<unknown>, unknown, boolean][] = [
      [METRO_GET_DATA, { req: 1, n: 32 }, true],
      [METRO_GET_DATA, { req: 1, n: 33 }, false],
      [METRO_GET_DATA, { n: 1 }, false],
      [METRO_GET_DATA, { req: 0x10000, n: 1 }, false],
      [METRO_GET_DATA, [1, 2], false],
      [METRO_GET_DATA, null, false],
      [METRO_SET_DATA, { req: 2, records: [record(1), record(2)] }, true],
      [METRO_SET_DATA, { req: 2, records: Array.from({ length: 33 }, (_, i) => record(i)) }, false],
      [METRO_SET_DATA, { req: 2, records: [{ ...record(1), p: 'x' }] }, false],
      [METRO_SET_DATA, { req: 2, records: [{ ...record(1), p: NaN }] }, false],
      [METRO_INSTANT, { req: 3, instant }, true],
      [METRO_INSTANT, { req: 3, instant: { ...instant, phases: [phase] } }, false],
      [METRO_GET_INSTANT, { req: 3 }, true],
      [METRO_SET_CLOCK, { req: 4, time: 1.5e12 }, true],
      [METRO_SET_CLOCK, { req: 4, time: 1.5 }, false],
      [METRO_CLOCK, { req: 4, ok: true, previous: 0 }, true],
      [METRO_RELAY, { req: 5 }, true],
      [METRO_RELAY, { req: 5, connect: 1 }, false],
      [ADP_DEVICE_CONFIRM, { req: 6, status: 0, index: 0, count: 1, short: 7, eui64: new Uint8Array(8) }, true],
      [ADP_DEVICE_CONFIRM, { req: 6, status: 0, index: 0, count: 1, short: 7, eui64: new Uint8Array(7) }, false],
      [APP_RX_EVENT, { src: 7, srcPort: 0xf0b1, data: Uint8Array.of(5) }, true],
      [APP_RX_EVENT, { src: 7, srcPort: 0xf0b1, data: new Uint8Array(0) }, false],
      [APP_RX_EVENT, { src: 7, srcPort: 70000, data: Uint8Array.of(5) }, false],
    ];
    for (const [c, p, ok] of cases)
      assert.equal(
        c.valid(p),
        ok,
        `${c.name} ${JSON.stringify(p, (_k, v: unknown) => (v instanceof Uint8Array ? `bytes(${v.length})` : v))}`,
      );
  });

  it('accept: the payload, nothing for another id, a count for a malformed one', () => {
    const malformed: MalformedCounts = {};
    assert.deepEqual(accept(METRO_GET_DATA, { id: ids.X_METRO_GET_DATA, payload: { req: 9, n: 2 } }, malformed), { req: 9, n: 2 });
    assert.equal(accept(METRO_GET_DATA, { id: ids.X_METRO_SET_DATA, payload: { req: 9, n: 2 } }, malformed), undefined);
    assert.deepEqual(malformed, {});
    assert.equal(accept(METRO_GET_DATA, { id: ids.X_METRO_GET_DATA, payload: { req: 9, n: 0 } }, malformed), undefined);
    assert.equal(accept(METRO_GET_DATA, { id: ids.X_METRO_GET_DATA, payload: 'n=1' }, malformed), undefined);
    assert.deepEqual(malformed, { X_METRO_GET_DATA: 2 });
  });

  it('request ids run 1..0xFFFF and wrap, never 0', () => {
    const r = new RequestIds();
    const got = Array.from({ length: 0x10001 }, () => r.next());
    assert.equal(got[0], 1);
    assert.equal(got[0xfffe], 0xffff);
    assert.equal(got[0xffff], 1);
    assert.ok(!got.includes(0));
  });
});

describe('LegalLink matches LEGAL answers by request id', () => {
  function link() {
    const sent: { id: number; payload: { req: number } }[] = [];
    const timers: (() => void)[] = [];
    const rs = ((name: string, ...a: unknown[]): unknown => {
      if (name === 'task.find') return 5;
      if (name === 'msg.send') {
        sent.push({ id: a[2] as number, payload: a[3] as { req: number } });
        return 0;
      }
      throw new Error(`service ${name}`);
    }) as unknown as RunServiceFn;
    const timer: TimerModule = {
      set: (cb) => {
        timers.push(cb as () => void);
        return {} as TimerHandle;
      },
      repeat: () => ({}) as TimerHandle,
      schedule: () => {},
      clear: () => {},
      delay: () => {},
    };
    return { l: new LegalLink(rs, timer, 1000), sent, timers };
  }

  it('answers out of order reach their own requests; malformed and stray ones are dropped and counted', async () => {
    const { l, sent } = link();
    const a = l.request(METRO_SET_CLOCK, { time: 1.5e12 }, METRO_CLOCK);
    const b = l.request(METRO_SET_CLOCK, { time: 1.6e12 }, METRO_CLOCK);
    assert.equal(sent.length, 2);
    const [ra, rb] = sent.map((s) => s.payload.req);
    assert.notEqual(ra, rb);
    const msg = (payload: unknown) => ({ from: 5, to: 1, id: ids.X_METRO_CLOCK, payload }) as never;
    // answer to b first (a FIFO match would hand it to a)
    assert.equal(l.onMessage(msg({ req: rb, ok: true, previous: 2 })), true);
    assert.equal(l.onMessage(msg({ req: ra, ok: 'yes', previous: 1 })), true); // malformed: dropped
    assert.equal(l.onMessage(msg({ req: 999, ok: true, previous: 3 })), false); // nobody asked
    assert.equal(l.onMessage(msg({ req: ra, ok: false, previous: 1 })), true);
    assert.deepEqual(await b, { req: rb, ok: true, previous: 2 });
    assert.deepEqual(await a, { req: ra, ok: false, previous: 1 });
    assert.deepEqual(l.malformed, { X_METRO_CLOCK: 1 });
    assert.equal(l.stats.stray, 1);
  });

  it('a request LEGAL never answers resolves undefined at its time-out', async () => {
    const { l, timers } = link();
    const r = l.request(METRO_GET_INSTANT, {}, METRO_INSTANT);
    timers[0]!();
    assert.equal(await r, undefined);
    assert.equal(l.stats.timeouts, 1);
  });
});

describe('PendingRequests: requests waiting for the answer with their id (generic/shared/pending.ts)', () => {
  it('bounded, matched by id, timed out once, and a taken request never times out', () => {
    const armed = new Map<TimerHandle, () => void>();
    const timers: TimerModule = {
      set: (cb) => {
        const h = { id: armed.size + 1 };
        armed.set(h, cb as () => void);
        return h;
      },
      repeat: () => ({ id: 0 }),
      schedule: () => {},
      clear: (h) => void (h && armed.delete(h)),
      delay: () => {},
    };
    const p = new PendingRequests<string>(timers, 2, 1000);
    const timedOut: string[] = [];
    const a = p.open('a', (w) => timedOut.push(w));
    const b = p.open('b', (w) => timedOut.push(w));
    assert.ok(a > 0 && b > 0 && a !== b);
    assert.equal(p.full, true);
    assert.equal(
      p.open('c', () => {}),
      0,
      'refused at the bound',
    );
    assert.equal(p.peek(b), 'b');
    assert.equal(p.peek('x'), undefined);
    assert.equal(p.take(b), 'b');
    assert.equal(p.take(b), undefined, 'a second answer finds nothing');
    assert.equal(armed.size, 1, "b's time-out stopped");
    for (const cb of [...armed.values()]) cb();
    assert.deepEqual(timedOut, ['a']);
    assert.equal(p.size, 0);
    assert.equal(p.take(a), undefined);
  });
});
