// The concentrator's sessions: exponential backoff with jitter (deterministic PRNG), limits from
// config, windows (1 per meter, a global one), two priorities, fail-fast for an unreachable meter.
import assert from 'node:assert/strict';
import {
  backoffMs,
  BULK,
  BULK_PAUSE_RECHECK_MS,
  HIGH,
  Prng,
  Sessions,
  sessionLimits,
  UnreachableError,
  type SessionHooks,
} from '../../modules/nonlegal/dc/session.js';
import { ManualTimers, settle } from './helpers.js';
import { DlmsError } from '../../modules/nonlegal/cosem/client.js';

function hooks(): SessionHooks & { down: Set<string>; log: string[] } {
  const down = new Set<string>();
  const log: string[] = [];
  return {
    down,
    log,
    unreachable: (m, why) => {
      down.add(m);
      log.push(`down ${m} ${why}`);
    },
    answered: (m) => {
      down.delete(m);
    },
    retry: (m) => log.push(`retry ${m}`),
    isUnreachable: (m) => down.has(m),
  };
}

describe('DC sessions', () => {
  it('backoff doubles up to its cap, with jitter within bounds, the same for the same seed', () => {
    const l = sessionLimits({ backoffMs: 1000, backoffMaxMs: 6000, jitterPermille: 200 });
    const a = new Prng(42),
      b = new Prng(42);
    const s1 = [1, 2, 3, 4, 5].map((k) => backoffMs(k, l, () => a.next()));
    const s2 = [1, 2, 3, 4, 5].map((k) => backoffMs(k, l, () => b.next()));
    assert.deepEqual(s1, s2);
    const base = [1000, 2000, 4000, 6000, 6000];
    for (const [i, v] of s1.entries()) assert.ok(v >= base[i]! * 0.8 && v <= base[i]! * 1.2, `${v} around ${base[i]}`);
    assert.ok(new Set(s1.map((v, i) => v / base[i]!)).size > 1, 'jitter varies');
    // no jitter: exactly the exponential schedule
    const flat = sessionLimits({ backoffMs: 500, backoffMaxMs: 3000, jitterPermille: 0 });
    assert.deepEqual(
      [1, 2, 3, 4].map((k) => backoffMs(k, flat, () => 0.9)),
      [500, 1000, 2000, 3000],
    );
  });

  it('refuses limits outside their bounds', () => {
    assert.throws(() => sessionLimits({ globalWindow: 0 }), /dc\.session\.globalWindow: 1\.\.16/);
    assert.throws(() => sessionLimits({ retries: 9 }), /dc\.session\.retries/);
    assert.throws(() => sessionLimits({ backoffMs: 5000, backoffMaxMs: 1000 }), /backoffMaxMs below/);
  });

  it('retries after the backoff, then marks the meter unreachable and fails its next request fast', async () => {
    const t = new ManualTimers();
    const h = hooks();
    const s = new Sessions(sessionLimits({ timeoutMs: 1000, retries: 2, backoffMs: 1000, jitterPermille: 0 }), t, () => 0.5, h);
    let attempts = 0;
    const p = s.submit('A', 'profile', BULK, () => {
      attempts++;
      return new Promise<number>(() => {}); // never answers: each attempt times out
    });
    const failed = p.catch((e: Error) => e);
    await t.advance(999);
    assert.equal(attempts, 1);
    await t.advance(1 + 1000); // time-out, then backoff 1000
    assert.equal(attempts, 2);
    await t.advance(1000 + 2000); // time-out, backoff 2000
    assert.equal(attempts, 3);
    await t.advance(1000);
    assert.match(String(await failed), /no answer in 1000 ms/);
    assert.deepEqual(h.log, ['retry A', 'retry A', 'down A no answer in 1000 ms']);
    const fast = await s.submit('A', 'register', HIGH, () => Promise.resolve(1)).catch((e: Error) => e);
    assert.ok(fast instanceof UnreachableError);
    assert.equal(s.counters.fastFail, 1);
    // a probe goes through; its answer makes the meter reachable again
    assert.equal(await s.submit('A', 'probe', BULK, () => Promise.resolve(7), true), 7);
    assert.equal(h.down.has('A'), false);
  });

  it('a refusal the meter answered (a DLMS error) fails that request at once: no retry, the meter stays reachable', async () => {
    const t = new ManualTimers();
    const h = hooks();
    const s = new Sessions(sessionLimits({ timeoutMs: 1000, retries: 2, backoffMs: 1000, jitterPermille: 0 }), t, () => 0.5, h);
    let attempts = 0;
    const refused = await s
      .submit('A', 'clock', BULK, () => {
        attempts++;
        return Promise.reject(new DlmsError(250, 'set'));
      })
      .catch((e: Error) => e);
    assert.ok(refused instanceof DlmsError, String(refused));
    assert.equal(attempts, 1, 'not retried');
    assert.equal(s.counters.denied, 1);
    assert.equal(s.counters.retries, 0);
    assert.deepEqual(h.log, [], 'not marked unreachable');
    // the meter's next request runs (no fail-fast), and so does another meter's
    assert.equal(await s.submit('A', 'profile', BULK, () => Promise.resolve(3)), 3);
    assert.equal(s.counters.fastFail, 0);
  });

  it('runs on-demand requests before bulk ones; one request per meter; a global window', async () => {
    const t = new ManualTimers();
    const s = new Sessions(sessionLimits({ globalWindow: 2 }), t, () => 0.5, hooks());
    const gates: (() => void)[] = [];
    const op = () => new Promise<void>((r) => gates.push(r));
    const done: Promise<void>[] = [];
    for (const m of ['A', 'A', 'B', 'C', 'D']) done.push(s.submit(m, 'bulk', BULK, op));
    await settle();
    assert.deepEqual(s.started, ['A:bulk', 'B:bulk']);
    done.push(s.submit('E', 'read', HIGH, op));
    gates.shift()!(); // A's first finishes: E (on demand) goes before C, D and A's second
    await settle();
    assert.deepEqual(s.started, ['A:bulk', 'B:bulk', 'E:read']);
    assert.equal(s.counters.peak, 2);
    while (gates.length) {
      gates.shift()!();
      await settle();
    }
    await Promise.all(done);
    assert.deepEqual(s.started.slice(3), ['A:bulk', 'C:bulk', 'D:bulk']);
  });

  it('holds bulk requests while alarms are taken in (backpressure); on-demand ones still run', async () => {
    const t = new ManualTimers();
    let alarms = true;
    const s = new Sessions(sessionLimits({ globalWindow: 4 }), t, () => 0.5, { ...hooks(), bulkPaused: () => alarms });
    const op = () => Promise.resolve();
    const bulk = s.submit('A', 'bulk', BULK, op);
    const read = s.submit('B', 'read', HIGH, op);
    await settle();
    assert.deepEqual(s.started, ['B:read']);
    await read;
    await t.advance(BULK_PAUSE_RECHECK_MS * 3); // still paused: looked at again, held again
    assert.deepEqual(s.started, ['B:read']);
    assert.ok(s.counters.paused >= 2, `paused ${s.counters.paused}`);
    alarms = false;
    await t.advance(BULK_PAUSE_RECHECK_MS);
    await bulk;
    assert.deepEqual(s.started, ['B:read', 'A:bulk']);
  });

  it('refuses and counts a request beyond maxQueued', async () => {
    const s = new Sessions(sessionLimits({ maxQueued: 1 }), new ManualTimers(), () => 0.5, hooks());
    const never = () => new Promise<void>(() => {});
    void s.submit('A', 'x', BULK, never);
    void s.submit('A', 'y', BULK, never).catch(() => {});
    const e = await s.submit('A', 'z', BULK, never).catch((x: Error) => x);
    assert.match(String(e), /session queue full \(1\)/);
    assert.equal(s.counters.refused, 1);
  });
});
