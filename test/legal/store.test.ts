// metro_data_store (modules/legal/store.ts) on Node: FIFO reads from the tail, a full ring
// overwrites its oldest record and advances the tail, reads return copies.
import assert from 'node:assert/strict';
import { MetroDataStore } from '../../modules/legal/store.js';

const rec = (t: number) => [t, t + 0.1, t + 0.2, t + 0.3, t + 0.4, t + 0.5, t + 0.6, t + 0.7, t + 0.8] as const;
const push = (s: MetroDataStore, t: number) => s.push(...rec(t));

describe('legal: metro_data_store ring', () => {
  it('reads records oldest first, field for field, and is empty afterwards', () => {
    const s = new MetroDataStore(4);
    push(s, 1);
    push(s, 2);
    assert.equal(s.count, 2);
    assert.deepEqual(s.shift(), { time: 1, p: 1.1, q: 1.2, s: 1.3, aImp: 1.4, aExp: 1.5, rImp: 1.6, rExp: 1.7, app: 1.8 });
    assert.equal(s.shift()!.time, 2);
    assert.equal(s.shift(), undefined);
    assert.equal(s.count, 0);
    assert.equal(s.head, s.tail);
  });

  it('when full, the newest overwrites the oldest and the tail advances', () => {
    const s = new MetroDataStore(3);
    for (let t = 1; t <= 3; t++) push(s, t);
    assert.equal(s.count, 3);
    assert.equal(s.head, s.tail); // full
    push(s, 4);
    assert.equal(s.count, 3);
    assert.equal(s.overwritten, 1);
    assert.equal(s.tail, 1);
    push(s, 5);
    assert.equal(s.tail, 2);
    assert.deepEqual(
      s.take(10).map((r) => r.time),
      [3, 4, 5],
    );
    assert.equal(s.overwritten, 2);
  });

  it('wraps around many times, interleaving writes and reads', () => {
    const s = new MetroDataStore(5);
    let next = 1,
      expect = 1;
    for (let round = 0; round < 40; round++) {
      for (let k = 0; k < (round % 4) + 1; k++) push(s, next++);
      if (s.overwritten) expect = Math.max(expect, next - s.count);
      const got = s.take(2).map((r) => r.time);
      assert.deepEqual(
        got,
        got.map((_, i) => expect + i),
      );
      expect += got.length;
    }
  });

  it('take(n) returns at most n records and frozen copies', () => {
    const s = new MetroDataStore(8);
    for (let t = 1; t <= 6; t++) push(s, t);
    const r = s.take(4);
    assert.deepEqual(
      r.map((x) => x.time),
      [1, 2, 3, 4],
    );
    assert.ok(Object.isFrozen(r[0]));
    assert.equal(Reflect.set(r[0]!, 'time', 99), false);
    assert.equal(r[0]!.time, 1);
    assert.deepEqual(
      s.take(4).map((x) => x.time),
      [5, 6],
    );
  });

  it('refuses a capacity out of range', () => {
    for (const c of [0, -1, 1.5, 5000, NaN]) assert.throws(() => new MetroDataStore(c), RangeError);
  });
});
