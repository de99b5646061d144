// The message service on Node: priorities, bounded queues, deleted tasks, payload copies,
// timers on a fake clock, semaphores.
import assert from 'node:assert/strict';
import { Kernel, SendStatus, copyPayload, defaultLimits, type Message } from '../../modules/generic/kernel.js';

class FakeClock {
  t = 0;
  wake: number | undefined;
  now = () => this.t;
  wakeAt = (w: number | undefined) => {
    this.wake = w;
  };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function kernel(limits = {}) {
  const clock = new FakeClock();
  return { k: new Kernel(clock, limits), clock };
}

describe('kernel: tasks and messages', () => {
  it('serves the highest-priority task first, FIFO within a task', async () => {
    const { k } = kernel();
    const order: string[] = [];
    const low = k.createTask({ name: 'LOW', owner: 'a', priority: 1, queue: 8, handler: (m) => order.push(`low${m.id}`) });
    const high = k.createTask({ name: 'HIGH', owner: 'a', priority: 7, queue: 8, handler: (m) => order.push(`high${m.id}`) });
    k.send(0, low, 1);
    k.send(0, low, 2);
    k.send(0, high, 3);
    k.send(0, high, 4);
    await flush();
    assert.deepEqual(order, ['high3', 'high4', 'low1', 'low2']);
  });

  it('round-robins between tasks of equal priority', async () => {
    const { k } = kernel();
    const order: number[] = [];
    const a = k.createTask({ name: 'A', owner: 'a', priority: 3, queue: 8, handler: () => order.push(a) });
    const b = k.createTask({ name: 'B', owner: 'a', priority: 3, queue: 8, handler: () => order.push(b) });
    for (let i = 0; i < 3; i++) {
      k.send(0, a, 1);
      k.send(0, b, 1);
    }
    await flush();
    assert.deepEqual(order, [a, b, a, b, a, b]);
  });

  it('refuses and counts a message to a full queue', async () => {
    const { k } = kernel();
    const t = k.createTask({ name: 'T', owner: 'a', priority: 1, queue: 2, handler: () => {} });
    assert.equal(k.send(0, t, 1), SendStatus.Ok);
    assert.equal(k.send(0, t, 2), SendStatus.Ok);
    assert.equal(k.send(0, t, 3), SendStatus.QueueFull);
    assert.equal(k.refused, 1);
    assert.equal(k.taskList()[0]!.dropped, 1);
    assert.equal(k.taskList()[0]!.peak, 2);
  });

  it('discards and counts messages to a deleted task, including those queued', async () => {
    const { k } = kernel();
    const seen: Message[] = [];
    const t = k.createTask({ name: 'GONE', owner: 'plc', priority: 1, queue: 8, handler: (m) => seen.push(m) });
    k.send(0, t, 1);
    k.send(0, t, 2);
    assert.equal(k.deleteTask(t, 'nonlegal'), false, 'only the owner deletes');
    assert.equal(k.deleteTask(t, 'plc'), true);
    assert.equal(k.send(0, t, 3), SendStatus.NoTask);
    await flush();
    assert.equal(seen.length, 0);
    assert.equal(k.discarded, 3);
    assert.deepEqual(k.deletedList(), [{ id: t, name: 'GONE', discarded: 3 }]);
  });

  it('copies and freezes payloads: the sender keeps no writable reference', async () => {
    const { k } = kernel();
    let got: Message | undefined;
    const t = k.createTask({
      name: 'T',
      owner: 'a',
      priority: 1,
      queue: 2,
      handler: (m) => {
        got = m;
      },
    });
    const original = { energy: 5, list: [1, 2], bytes: new Uint8Array([1, 2, 3]) };
    k.send(0, t, 9, original);
    original.energy = 6;
    original.list.push(3);
    original.bytes[0] = 99;
    await flush();
    const p = got!.payload as { energy: number; list: number[]; bytes: Uint8Array };
    assert.equal(p.energy, 5);
    assert.deepEqual([...p.list], [1, 2]);
    assert.equal(p.bytes[0], 1);
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.list) && Object.isFrozen(got));
    assert.equal(Reflect.set(p, 'energy', 1), false);
    assert.equal(p.energy, 5);
  });

  it('refuses payloads that are too big, too deep or not plain data', () => {
    const { k } = kernel({ maxPayloadBytes: 16, maxPayloadDepth: 2 });
    const t = k.createTask({ name: 'T', owner: 'a', priority: 1, queue: 8, handler: () => {} });
    assert.equal(k.send(0, t, 1, 'x'.repeat(17)), SendStatus.BadPayload);
    assert.equal(k.send(0, t, 1, [[[1]]]), SendStatus.BadPayload);
    assert.equal(k.send(0, t, 1, { f: () => 1 }), SendStatus.BadPayload);
    assert.equal(k.send(0, t, 1, new Map()), SendStatus.BadPayload);
    assert.equal(k.refused, 4);
    assert.throws(() => copyPayload(Object.create({ inherited: 1 }), defaultLimits));
  });

  it('bounds the number of tasks and validates parameters', () => {
    const { k } = kernel({ maxTasks: 2 });
    k.createTask({ name: 'A', owner: 'a', priority: 1, queue: 1, handler: () => {} });
    k.createTask({ name: 'B', owner: 'a', priority: 1, queue: 1, handler: () => {} });
    assert.throws(() => k.createTask({ name: 'C', owner: 'a', priority: 1, queue: 1, handler: () => {} }), RangeError);
    const { k: k2 } = kernel();
    assert.throws(() => k2.createTask({ name: 'X', owner: 'a', priority: 99, queue: 1, handler: () => {} }), RangeError);
    assert.throws(() => k2.createTask({ name: 'X', owner: 'a', priority: 1, queue: 0, handler: () => {} }), RangeError);
  });

  it('keeps serving after a handler throws, and counts the error', async () => {
    const { k } = kernel();
    const errors: string[] = [];
    k.onError = (where) => errors.push(where);
    let ok = 0;
    const t = k.createTask({
      name: 'BAD',
      owner: 'a',
      priority: 1,
      queue: 4,
      handler: (m) => {
        if (m.id === 1) throw new Error('boom');
        ok++;
      },
    });
    k.send(0, t, 1);
    k.send(0, t, 2);
    await flush();
    assert.equal(ok, 1);
    assert.equal(k.handlerErrors, 1);
    assert.deepEqual(errors, ['task BAD']);
  });

  it('receive() takes the next message, or times out', async () => {
    const { k, clock } = kernel();
    const t = k.createTask({ name: 'R', owner: 'a', priority: 1, queue: 4, handler: () => assert.fail('handler must not see it') });
    const p = k.receive(t);
    k.send(0, t, 42, 'hello');
    const m = await p;
    assert.equal(m?.id, 42);
    const q = k.receive(t, 100);
    clock.t = 100;
    k.tick();
    assert.equal(await q, undefined);
  });

  it('yields after a slice of messages so that I/O gets a turn', async () => {
    const { k } = kernel({ slice: 4 });
    let n = 0;
    const t = k.createTask({
      name: 'T',
      owner: 'a',
      priority: 1,
      queue: 16,
      handler: () => {
        n++;
      },
    });
    for (let i = 0; i < 10; i++) k.send(0, t, i);
    assert.equal(k.run(), 4);
    assert.equal(n, 4);
    await flush();
    await flush();
    await flush();
    assert.equal(n, 10);
  });
});

describe('kernel: timers', () => {
  it('fires one-shot and periodic timers at their time and asks for the next wake-up', () => {
    const { k, clock } = kernel();
    const fired: string[] = [];
    const once = k.createTimer({ name: 'once', owner: 'a', period: 50, repeat: false, callback: () => fired.push(`once@${clock.t}`) });
    const every = k.createTimer({ name: 'every', owner: 'a', period: 20, repeat: true, callback: () => fired.push(`every@${clock.t}`) });
    k.startTimer(once);
    k.startTimer(every);
    assert.equal(clock.wake, 20);
    for (const t of [20, 40, 50, 60]) {
      clock.t = t;
      k.tick();
    }
    assert.deepEqual(fired, ['every@20', 'every@40', 'once@50', 'every@60']);
    assert.equal(clock.wake, 80);
    k.stopTimer(every);
    assert.equal(clock.wake, undefined);
  });

  it('keeps the phase of a periodic timer when a tick comes late', () => {
    const { k, clock } = kernel();
    let n = 0;
    const t = k.createTimer({
      name: 'p',
      owner: 'a',
      period: 10,
      repeat: true,
      callback: () => {
        n++;
      },
    });
    k.startTimer(t);
    clock.t = 35;
    k.tick();
    assert.equal(n, 1);
    assert.equal(clock.wake, 40);
  });

  it("deletes a part's tasks and timers together (part update)", () => {
    const { k } = kernel();
    k.createTask({ name: 'A', owner: 'plc', priority: 1, queue: 1, handler: () => {} });
    k.createTask({ name: 'B', owner: 'legal', priority: 1, queue: 1, handler: () => {} });
    const tm = k.createTimer({ name: 't', owner: 'plc', period: 5, repeat: true, callback: () => {} });
    assert.equal(k.deleteOwner('plc'), 1);
    assert.deepEqual(
      k.taskList().map((t) => t.name),
      ['B'],
    );
    assert.equal(k.startTimer(tm), false);
  });
});

describe('kernel: semaphores', () => {
  it('binary semaphore: take blocks until give, wakes waiters in order', async () => {
    const { k } = kernel();
    const s = k.semaphore(1, 0);
    const order: number[] = [];
    void s.take().then(() => order.push(1));
    void s.take().then(() => order.push(2));
    s.give();
    await flush();
    assert.deepEqual(order, [1]);
    s.give();
    await flush();
    assert.deepEqual(order, [1, 2]);
    assert.equal(s.give(), true);
    assert.equal(s.give(), false, 'a binary semaphore holds at most one');
  });

  it('counting semaphore counts up to its maximum; take times out', async () => {
    const { k, clock } = kernel();
    const s = k.semaphore(3, 2);
    assert.equal(await s.take(0), true);
    assert.equal(await s.take(0), true);
    assert.equal(await s.take(0), false);
    const waiting = s.take(30);
    clock.t = 30;
    k.tick();
    assert.equal(await waiting, false);
    s.give();
    s.give();
    s.give();
    assert.equal(s.give(), false);
    assert.equal(s.value, 3);
  });
});
