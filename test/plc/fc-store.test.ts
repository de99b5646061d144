// The G3 MAC frame counter kept as a reserved bound in the PLC NVRAM area (modules/plc/fc-store.ts
// over generic/shared/counter.ts), on Node over an FRAM model that a power cut can stop after any
// byte of a write: after every cut, the counter restarts above every counter a frame used; a
// corrupt record restarts in the upper half; a volatile NVRAM is said so. The MAC asks for each
// counter before a secured frame uses it, and sends nothing with a counter it could not reserve.
import assert from 'node:assert/strict';
import { FC_BLOCK, FC_CORRUPT_BASE, FC_SLOT, fcRecord, frameCounterStore } from '../../modules/plc/fc-store.js';
import { ReservedCounter } from '../../modules/generic/shared/counter.js';
import { FramModel, NodeCrc32 } from '../helpers/fram.js';
import type { RunServiceFn } from '../../modules/generic/services.js';
import { MacLayer, type MacTx } from '../../modules/plc/mac.js';
import { nodeCrypto } from './helpers.js';

const AREA = 2 * FC_SLOT;

/** The PLC area of the FRAM: a write stops (power cut) once `budget` bytes went out. */
class Fram extends FramModel {
  constructor() {
    super(AREA, 1);
  }
}
class Crc extends NodeCrc32 {}
const crc = new Crc();
const boot = (fram: Fram, fallback = () => 0) => new ReservedCounter(fcRecord(fram, crc), FC_BLOCK, fallback);

/** A RunService with the two drivers fc-store asks for, and the traces it writes. */
function services(fram: Fram | undefined) {
  const traces: [number, string][] = [];
  const rs = ((name: string, ...a: unknown[]) => {
    if (name === 'trace') return void traces.push([a[0] as number, a[1] as string]);
    if (name === 'driver.get' && a[0] === 'plcstore') {
      if (!fram) throw new Error('driver plcstore not granted');
      return fram;
    }
    if (name === 'driver.get' && a[0] === 'crc') return { CRC32: Crc };
    throw new Error(`unexpected ${name}`);
  }) as unknown as RunServiceFn;
  return { rs, traces };
}

describe('PLC: MAC frame counter kept as a reserved bound (fc-store)', () => {
  it('a cut after any byte of any bound write: the next boot starts above every counter used', () => {
    // boots use 0, 1, FC_BLOCK - 1, FC_BLOCK, 3 blocks + 5 counters; each is cut during its
    // k-th bound write at byte `at`, for every byte of the 16-byte copy
    let cuts = 0;
    for (const used of [0, 1, FC_BLOCK - 1, FC_BLOCK, 3 * FC_BLOCK + 5]) {
      for (const write of [0, 1, 2]) {
        for (let at = 0; at <= FC_SLOT; at++) {
          const fram = new Fram();
          let max = -1;
          // a few boots of history before the cut
          for (let b = 0; b < 3; b++) {
            const c = boot(fram);
            let fc = c.start();
            assert.ok(fc > max, `history boot ${b}: ${fc} not above ${max}`);
            for (let k = 0; k < 2 * FC_BLOCK + b; k++) {
              c.reserve(fc);
              max = fc++;
            }
          }
          // the boot that is cut: each counter is reserved, then "sent"; the write-th reservation
          // write of the boot (0: the one start() makes) stops after `at` bytes
          const c = boot(fram);
          let n = 0;
          const cutIf = () => {
            if (n++ === write) fram.budget = at;
          };
          try {
            cutIf();
            let fc = c.start();
            for (let k = 0; k < used; k++) {
              if (fc >= c.bound) cutIf();
              c.reserve(fc);
              max = fc++; // only a counter whose reservation completed goes out
            }
          } catch (e) {
            assert.match(String(e), /power cut/);
            cuts++;
          }
          fram.budget = Infinity;
          const next = boot(fram).start();
          assert.ok(next > max, `used ${used}, write ${write} cut at byte ${at}: restarts at ${next}, used up to ${max}`);
          assert.ok(next <= max + 2 * FC_BLOCK + 1, `restart ${next} skips at most two blocks past ${max}`);
        }
      }
    }
    assert.ok(cuts > 100, `${cuts} cuts simulated`);
  });

  it('blank starts at 0; a corrupt record restarts in the upper half; the store traces where it came from', () => {
    const fram = new Fram();
    const s0 = services(fram);
    const a = frameCounterStore(s0.rs, () => 12345);
    assert.equal(a.start, 0);
    assert.equal(a.source, 'new');
    assert.equal(a.counter.bound, FC_BLOCK);
    for (let fc = 0; fc < 100; fc++) a.counter.reserve(fc);
    assert.equal(a.counter.bound, 2 * FC_BLOCK, 'counter 64 reached the first bound');
    const b = frameCounterStore(services(fram).rs, () => 12345);
    assert.equal(b.source, 'restored');
    assert.equal(b.start, 2 * FC_BLOCK);
    // both copies damaged (not what one torn write does): no bound can be trusted
    fram.mem.fill(0x5a, 4, 8).fill(0x5a, FC_SLOT + 4, FC_SLOT + 8);
    const s1 = services(fram);
    const c = frameCounterStore(s1.rs, () => 0x7fff_ffff);
    assert.equal(c.source, 'corrupt');
    assert.equal(c.start, FC_CORRUPT_BASE + 0x3fff_ffff);
    assert.ok(
      s1.traces.some(([l, t]) => l === 2 && /^MAC frame counter record corrupt: restarts at \d+ \(upper half\)/.test(t)),
      JSON.stringify(s1.traces),
    );
    // the corrupt start was written: the next boot continues above it
    assert.equal(frameCounterStore(services(fram).rs, () => 0).start, FC_CORRUPT_BASE + 0x3fff_ffff + FC_BLOCK);
  });

  it('a volatile NVRAM or none: not kept, a random start, traced', () => {
    const fram = new Fram();
    fram.kind = 'volatile';
    const v = services(fram);
    const a = frameCounterStore(v.rs, () => 0xdead_beef);
    assert.equal(a.source, 'volatile');
    assert.equal(a.start, 0xdead_beef & 0x3fff_ffff);
    assert.ok(
      fram.mem.every((x) => x === 0xff),
      'nothing written to a volatile NVRAM',
    );
    assert.ok(
      v.traces.some(([l, t]) => l === 3 && t === `MAC frame counter not kept (volatile NVRAM, no backing file): random start ${a.start}`),
    );
    const n = services(undefined);
    assert.equal(frameCounterStore(n.rs, () => 7).source, 'absent');
    assert.ok(n.traces.some(([, t]) => /not kept \(no NVRAM area\): random start 7$/.test(t)));
  });

  it('the MAC reserves each counter before a secured frame uses it; a failed reservation sends nothing', () => {
    const sent: MacTx[] = [];
    const mac = new MacLayer({
      crypto: nodeCrypto,
      eui64: Uint8Array.of(0, 0x80, 0xe1, 0, 0, 0, 0, 2),
      send: (t) => sent.push(t),
      now: () => 0,
      panId: 0x1234,
      shortAddress: 1,
    });
    mac.setKey(0, new Uint8Array(16).fill(7));
    mac.activateKey(0);
    const fram = new Fram();
    const c = boot(fram);
    mac.pib.macFrameCounter = c.start();
    const asked: number[] = [];
    mac.reserveFrameCounter = (fc) => {
      asked.push(fc);
      c.reserve(fc);
    };
    for (let k = 0; k < FC_BLOCK + 3; k++) mac.dataRequest({ dst: 0, payload: Uint8Array.of(k) });
    assert.deepEqual(asked, [...Array(FC_BLOCK + 3).keys()]);
    assert.equal(c.bound, 2 * FC_BLOCK);
    assert.equal(boot(fram).start(), 2 * FC_BLOCK, 'a restart now would skip the rest of the block');
    // the NVRAM fails at the next reservation write: the frame is refused, its counter stays free
    mac.pib.macFrameCounter = c.bound;
    fram.budget = 0;
    const n = sent.length;
    assert.throws(() => mac.dataRequest({ dst: 0, payload: Uint8Array.of(1) }), /power cut/);
    assert.equal(sent.length, n, 'nothing sent');
    assert.equal(mac.pib.macFrameCounter, 2 * FC_BLOCK);
    fram.budget = Infinity;
    mac.dataRequest({ dst: 0, payload: Uint8Array.of(1) });
    assert.equal(sent.length, n + 1, 'sent once the reservation is written');
    assert.equal(boot(fram).start(), 3 * FC_BLOCK);
  });
});
