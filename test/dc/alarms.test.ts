// The alarm path without firmware: the DATA-NOTIFICATION codec (plain and general-glo-ciphering)
// and its malformed input; the meter's pusher (randomised start, retries, bounded queue) and the
// concentrator's AlarmCenter (device check, replay, aggregation, rate limits, backpressure) on
// a simulated clock, including a storm of meters restoring power at the same instant.
import assert from 'node:assert/strict';
import { nodeGcm, prng } from '../dlms/helpers.js';
import {
  decodeDataNotification,
  encodeDataNotification,
  openNotification,
  protectNotification,
} from '../../modules/nonlegal/dlms/notification.js';
import { encodeWrapper } from '../../modules/nonlegal/dlms/wrapper.js';
import { DecodeError } from '../../modules/nonlegal/dlms/errors.js';
import { AlarmCenter, type AlarmsConfig } from '../../modules/nonlegal/dc/alarms.js';
import { AlarmPusher, AlarmState, alarmObjects } from '../../modules/nonlegal/meter/push.js';
import { DEFAULT_ALARM_FILTER } from '../../modules/nonlegal/cosem/cosem-const.js';
import type { PushSetup } from '../../modules/nonlegal/cosem/objects.js';
import { os, u16, u32, obis } from '../../modules/nonlegal/cosem/data.js';
import { toDateTime } from '../../modules/nonlegal/cosem/clock.js';
import type { TimerModule, TimerHandle, TimerCallback } from '../../modules/generic/timer.js';
import type { UplinkAlarm } from '../../modules/nonlegal/dc/headend/records.js';

const keys = { encryptionKey: new Uint8Array(16).fill(1), authenticationKey: new Uint8Array(16).fill(2) };
const title = Uint8Array.of(0x4d, 0x46, 0x57, 0, 0, 0x0b, 0xc6, 0x14);
const T0 = Date.UTC(2026, 11, 7, 6, 0, 0);

/** Timers on a simulated clock: advance() runs what is due, in order. */
class SimTimers implements Pick<TimerModule, 'set' | 'clear'> {
  now = T0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; cb: TimerCallback; h: TimerHandle }>();
  set(cb: TimerCallback, interval = 0): TimerHandle {
    const h = { id: ++this.seq };
    this.due.set(h.id, { at: this.now + interval, cb, h });
    return h;
  }
  clear(t: TimerHandle | undefined | null): void {
    if (t) this.due.delete(t.id);
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      let next: { at: number; cb: TimerCallback; h: TimerHandle } | undefined;
      for (const e of this.due.values()) if (e.at <= end && (!next || e.at < next.at)) next = e;
      if (!next) break;
      this.now = Math.max(this.now, next.at);
      this.due.delete(next.h.id);
      next.cb(next.h);
      await Promise.resolve();
    }
    this.now = end;
    for (let k = 0; k < 5; k++) await Promise.resolve();
  }
}

const body = (code: number) => [
  os(new TextEncoder().encode('MFW0000012345678')),
  os(obis('0.4.25.9.0.255')),
  u32(code < 32 ? 2 ** code : 0),
  u16(code),
];
let ic = 100;
function push(code: number, timeMs: number, opts: { ic?: number; plain?: boolean; invokeId?: number } = {}): Uint8Array {
  const plain = encodeDataNotification({
    invokeId: opts.invokeId ?? 1,
    highPriority: true,
    confirmed: false,
    time: toDateTime(timeMs),
    body: { type: 'structure', items: body(code) },
  });
  const apdu = opts.plain ? plain : protectNotification(nodeGcm, keys, title, opts.ic ?? ++ic, plain);
  return encodeWrapper({ sourceWPort: 1, destinationWPort: 102, apdu });
}

const CFG: AlarmsConfig = {
  maxMeters: 16,
  maxCodes: 32,
  aggregateS: 60,
  meterIntervalMs: 1000,
  perSecond: 4,
  recent: 64,
  pending: 16,
  backoffMs: 10000,
};
const eui = (short: number) => `00000000000000${short.toString(16).padStart(2, '0').toUpperCase()}`;

function center(cfg: Partial<AlarmsConfig> = {}, known = (s: number) => s >= 2 && s < 0x40) {
  const timers = new SimTimers();
  const got: (UplinkAlarm & { atMs: number })[] = [];
  const c = new AlarmCenter(
    {
      keys,
      gcm: nodeGcm,
      now: () => timers.now,
      timers,
      meterOf: async (s) => (known(s) ? eui(s) : undefined),
      sink: { record: () => false, alarm: (a) => got.push({ ...a, atMs: timers.now }) },
    },
    { ...CFG, ...cfg },
  );
  return { c, timers, got };
}

describe('DATA-NOTIFICATION codec', () => {
  it('round-trips plain: long invoke id with high priority, the event date-time, the body', () => {
    const b = encodeDataNotification({ invokeId: 0x123456, highPriority: true, confirmed: false, time: toDateTime(T0), body: u16(9) });
    assert.equal(Buffer.from(b.subarray(0, 6)).toString('hex'), '0f8012345600'.slice(0, 10) + '0c');
    const n = decodeDataNotification(b);
    assert.deepEqual(n, { invokeId: 0x123456, highPriority: true, confirmed: false, time: toDateTime(T0), body: u16(9) });
    const none = decodeDataNotification(encodeDataNotification({ invokeId: 1, highPriority: false, confirmed: false, body: u16(1) }));
    assert.equal(none.time, undefined);
  });

  it('round-trips general-glo-ciphering (SC 0x30) and refuses a wrong key', () => {
    const plain = encodeDataNotification({ invokeId: 7, highPriority: true, confirmed: false, time: toDateTime(T0), body: u16(3) });
    const c = protectNotification(nodeGcm, keys, title, 42, plain);
    assert.equal(c[0], 0xdb);
    const r = openNotification(c, nodeGcm, keys);
    assert.equal(r.invocationCounter, 42);
    assert.deepEqual(r.systemTitle, title);
    assert.deepEqual(r.notification.body, u16(3));
    assert.throws(() => openNotification(c, nodeGcm, { ...keys, authenticationKey: new Uint8Array(16) }), /authentication tag/);
  });

  it('names the field of malformed input', () => {
    const good = encodeDataNotification({ invokeId: 7, highPriority: true, confirmed: false, time: toDateTime(T0), body: u16(3) });
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.of(0x0e, 0, 0, 0, 1, 0, 0x12, 0, 1), /data-notification\.tag/],
      [Uint8Array.of(0x0f, 0x0f, 0, 0, 1, 0, 0x12, 0, 1), /reserved bits/],
      [Uint8Array.of(0x0f, 0x80, 0, 0, 1, 5, 1, 2, 3, 4, 5, 0x12, 0, 1), /date-time\.length/],
      [Uint8Array.of(...good, 0), /trailing/],
    ];
    for (const [b, re] of cases)
      assert.throws(
        () => decodeDataNotification(b),
        (e: Error) => e instanceof DecodeError && re.test(e.message),
      );
    for (let n = 1; n < good.length; n++) assert.throws(() => decodeDataNotification(good.subarray(0, n)));
  });
});

describe('AlarmCenter (concentrator)', () => {
  it('delivers an alarm with the meter EUI-64, its event time and receive time', async () => {
    const { c, timers, got } = center();
    assert.equal(c.input(5, push(9, T0 - 3000)), true);
    await timers.advance(10);
    assert.deepEqual(got, [{ meter: eui(5), code: 9, eventS: (T0 - 3000) / 1000, receivedS: T0 / 1000, count: 1, atMs: T0 + 10 }]);
    assert.match(c.lines(), /^ALARM meter=0000000000000005 short=0x0005 code=9 .* latency\.ms=3000 /);
  });

  it('an event-log alarm no push brought is delivered; one already pushed or not an alarm code is not', async () => {
    const { c, timers, got } = center({ aggregateS: 1 });
    assert.equal(c.input(5, push(1, T0 - 3000)), true); // POWER_FAIL pushed by meter 5
    await timers.advance(10);
    await timers.advance(5000);
    c.fromLog(eui(5), 1, T0 - 3000, timers.now); // the same POWER_FAIL in meter 5's log
    c.fromLog(eui(6), 1, T0 - 2000, timers.now); // meter 6's push was lost: only its log has it
    c.fromLog(eui(6), 11, T0 - 1000, timers.now); // CLOCK: not in the alarm filter
    await timers.advance(5000);
    assert.deepEqual(
      got.map((a) => [a.meter, a.code, a.eventS]),
      [
        [eui(5), 1, (T0 - 3000) / 1000],
        [eui(6), 1, (T0 - 2000) / 1000],
      ],
    );
    assert.match(c.stats(), / fromLog=1 logKnown=1 /);
  });

  it('drops and counts unknown senders, malformed pushes, replays, wrong keys and unciphered ones', async () => {
    const { c, timers, got } = center();
    c.input(0x77, push(9, T0)); // not in the device table
    const bad = push(9, T0);
    bad[bad.length - 1]! ^= 1; // GCM tag
    c.input(5, bad);
    const replay = push(9, T0, { ic: 5000 });
    c.input(5, replay);
    c.input(5, replay);
    c.input(5, push(9, T0, { plain: true }));
    c.input(5, encodeWrapper({ sourceWPort: 1, destinationWPort: 102, apdu: Uint8Array.of(0x0f, 0, 0, 0, 1, 0) })); // no body
    c.input(6, push(40, T0)); // code beyond maxCodes
    assert.equal(
      c.input(5, encodeWrapper({ sourceWPort: 1, destinationWPort: 16, apdu: Uint8Array.of(0xc4, 1, 0x81, 0) })),
      false,
      'a reply',
    );
    await timers.advance(10);
    assert.deepEqual(
      { ...c.drops },
      { malformed: 1, unknown: 1, auth: 1, replay: 1, unciphered: 1, body: 0, code: 1, pendingFull: 0, tableFull: 0 },
    );
    assert.equal(got.length, 1);
    assert.match(c.stats(), /dropped\{malformed=1 unknown=1 auth=1 replay=1 /);
  });

  it('aggregates repeats of a meter and code within the window into one alarm with a count', async () => {
    const { c, timers, got } = center();
    for (let k = 0; k < 5; k++) {
      c.input(5, push(3, T0 + k * 1000));
      await timers.advance(1000);
    }
    assert.equal(got.length, 1, 'the first at once, the repeats wait for the window');
    assert.equal(c.backpressure(), true);
    await timers.advance(60000);
    assert.deepEqual(
      got.map((a) => a.count),
      [1, 4],
    );
    assert.equal(c.counters.accepted, 5);
    assert.equal(c.counters.delivered, 5);
    await timers.advance(10000);
    assert.equal(c.backpressure(), false);
  });
});

describe('AlarmCenter bounds', () => {
  it('holds at most maxMeters x maxCodes entries; one out of its window makes room', async () => {
    const { c, timers, got } = center({ maxMeters: 1, maxCodes: 3, meterIntervalMs: 0 });
    for (const [short, code] of [
      [5, 1],
      [5, 2],
      [6, 1],
      [6, 2],
    ] as const)
      c.input(short, push(code, T0));
    await timers.advance(10);
    assert.equal(c.drops.tableFull, 1, 'every entry in its window');
    await timers.advance(61000);
    c.input(7, push(1, timers.now));
    await timers.advance(10);
    assert.equal(c.drops.tableFull, 1);
    assert.equal(got.length, 4);
    assert.match(c.stats(), / entries=3\/3 /);
  });
});

describe('alarm push (meter) and a storm of meters restoring power at once', () => {
  it('retries a refused push after repetition_delay, then gives up and counts it', async () => {
    const timers = new SimTimers();
    const state = new AlarmState();
    const setup = alarmObjects(state, () => false)[0] as PushSetup;
    Object.assign(setup, { randomisation: 0, retries: 2, delay: 5 });
    const sent: number[] = [];
    let refuse = 3;
    const p = new AlarmPusher(
      {
        send: () => (refuse-- > 0 ? 'busy' : (sent.push(timers.now), '')),
        ready: () => true,
        random: () => 0,
        timers,
        protect: (b) => b,
      },
      setup,
      state,
      () => [],
      2,
    );
    p.raise({ code: 9, timeMs: T0, seq: 1 });
    p.raise({ code: 1, timeMs: T0, seq: 2 });
    assert.equal(p.raise({ code: 2, timeMs: T0, seq: 3 }), false, 'queue full: LEGAL keeps it');
    assert.equal(p.raise({ code: 16, timeMs: T0, seq: 0 }), false);
    assert.equal(p.drops.queueFull, 1);
    await timers.advance(30000);
    assert.equal(p.drops.gaveUp, 1);
    assert.equal(p.counters.retries, 2, 'two retries: three attempts');
    assert.equal(sent.length, 1);
    assert.equal(state.register, 2 ** 9 + 2 ** 1);
    assert.equal(state.filter, DEFAULT_ALARM_FILTER);
  });

  it('8 meters pushing POWER_FAIL and POWER_RESTORE at the same instant: spread, rate-limited, none lost', async () => {
    const { c, timers, got } = center({ perSecond: 1 });
    const rnd = prng(7);
    const N = 8;
    const sendTimes: number[] = [];
    let busyDuring = false;
    const pushers = Array.from({ length: N }, (_, k) => {
      const short = 2 + k;
      const state = new AlarmState();
      const setup = alarmObjects(state, () => false)[0] as PushSetup;
      Object.assign(setup, { randomisation: 5, retries: 3, delay: 10 });
      let seq = 1000 * short;
      return new AlarmPusher(
        {
          send: (d) => {
            sendTimes.push(timers.now);
            c.input(short, d);
            if (c.backpressure()) busyDuring = true;
            return '';
          },
          ready: () => true,
          random: rnd,
          timers,
          protect: (plain) => protectNotification(nodeGcm, keys, title, ++seq, plain),
        },
        setup,
        state,
        (a) => body(a.code),
        16,
      );
    });
    for (const p of pushers) {
      p.raise({ code: 1, timeMs: T0 - 60000, seq: 1 });
      p.raise({ code: 2, timeMs: T0, seq: 2 });
    }
    await timers.advance(40000);
    assert.equal(got.length, 2 * N, 'every alarm delivered');
    assert.equal(
      got.reduce((n, a) => n + a.count, 0),
      2 * N,
    );
    assert.equal(new Set(got.map((a) => `${a.meter}:${a.code}`)).size, 2 * N);
    assert.ok(busyDuring, 'bulk work told to back off');
    const spread = Math.max(...sendTimes) - Math.min(...sendTimes);
    assert.ok(spread > 1000, `pushes spread over ${spread} ms`);
    assert.ok(
      got.every((a) => a.eventS <= a.receivedS),
      'event times kept',
    );
    assert.match(c.summary(), /accepted=16 delivered=16 waiting=0 /);
    // rate limits: a meter's two alarms at least meterIntervalMs apart; all meters: perSecond
    for (let k = 0; k < N; k++) {
      const [a, b] = got.filter((x) => x.meter === eui(2 + k)).map((x) => x.atMs);
      assert.ok(b! - a! >= 1000, `meter ${k}: ${b! - a!} ms apart`);
    }
    const span = got[got.length - 1]!.atMs - got[0]!.atMs;
    assert.ok(span >= (2 * N - 2) * 1000, `perSecond 1: ${2 * N} alarms over ${span} ms`);
  });
});
