// LEGAL's NVRAM layout (modules/legal/layout.ts) on Node over the FRAM model that tears writes
// into 16-byte bursts like drivers/nvram (test/helpers/fram.ts): the copies of every record are
// far apart; any single localized corruption (16..64 bytes of 0xFF, 0x00 or noise, anywhere in
// the area), alone or after a save torn by a cut, leaves the registers at least where they were;
// a total loss is logged and marked; a layout 1 area (the layout before the header) is migrated
// with a cut at every burst of the migration; an unknown layout is refused untouched.
import assert from 'node:assert/strict';
import { FramModel, NodeCrc32 } from '../helpers/fram.js';
import { legalLayout, prepareArea, LAYOUT_VERSION, type Layout } from '../../modules/legal/layout.js';
import { BillingStore, BILL_SIZE, OPEN_SIZE, OPEN_MAGIC, EVENT_SIZE, BILL_MAGIC } from '../../modules/legal/records.js';
import { EventLog } from '../../modules/legal/eventlog.js';
import { OpenEvents } from '../../modules/legal/openevents.js';
import { TwoSlotRecord } from '../../modules/generic/shared/nvrecord.js';
import { start } from '../../modules/legal/legal.js';
import { NV_LEGAL } from '../../modules/generic/shared/nvram-areas.js';

const SIZE = NV_LEGAL; // LEGAL's area of the 8 KB FRAM, 7,648 bytes (generic/shared/nvram-areas.ts)
const layout = legalLayout(SIZE);
const crc = new NodeCrc32();
const energy = (x: number) => Float64Array.from([x, 0, x / 2, 0, 0, 0, x * 1.1]);
const counts = (x: number) => Float64Array.from([Math.floor(x / 1e6), 0]);

// a deterministic stream (LCG) so that a failure can be replayed
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

function corrupt(mem: Uint8Array, at: number, len: number, kind: number, r: (n: number) => number): void {
  for (let k = at; k < Math.min(at + len, mem.length); k++) mem[k] = kind === 0 ? 0xff : kind === 1 ? 0 : r(256);
}

/** A meter's LEGAL part on the FRAM model through legal.ts, with a fake RunService. */
function meter(fram: FramModel) {
  const printed: string[] = [],
    traces: string[] = [];
  const restored = new Float64Array(9);
  let uptime = 0;
  const driver = {
    restore(v: Float64Array) {
      restored.set(v);
    },
    quality() {},
    counts(o: Float64Array) {
      o[0] = Math.floor(restored[0]! / 1e6);
      o[1] = 0;
    },
    voltageEvents() {
      return 0;
    },
    relay() {
      return true;
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
  };
  // biome-ignore lint/suspicious/noExplicitAny: a fake RunService table, each entry typed by its own parameters
  const services: { [k: string]: (...a: any[]) => unknown } = {
    'driver.get': (n: string) => (n === 'nvram' ? fram : { CRC32: NodeCrc32 }),
    'misc.uptime': () => uptime,
    'misc.time': () => 0, // an RTC without a date
    'shell.print': (t: string) => printed.push(t),
    'shell.register': () => {},
    trace: (l: number, t: string) => traces.push(`${l} ${t}`),
    'lcd.print': () => {},
    'msg.send': () => 0,
  };
  const now = new Float64Array(37);
  const legal = start(((name: string, ...a: unknown[]) => services[name]!(...a)) as never, driver as never, now, undefined);
  now.set(restored.subarray(0, 7), 27);
  return {
    legal,
    printed,
    traces,
    aPlus: () => now[27]!,
    /** One measured second adding `wh` Wh to every register. */
    second(wh: number) {
      uptime += 1000;
      for (let k = 0; k < 7; k++) now[27 + k]! += wh * 1e6;
      legal.second();
    },
  };
}

/** The journal's event types through a fresh EventLog, oldest first. */
function journal(fram: FramModel, l: Layout = layout): number[] {
  const log = new EventLog(fram, crc, l);
  log.load();
  return log.list(l.capacity).map((e) => e.type);
}

describe('legal: NVRAM layout 2', () => {
  it('keeps every record inside the area, none overlapping, the copies of each > 64 bytes apart', () => {
    assert.equal(layout.capacity, 214); // layout 1 had 223 records in 7,648 bytes
    const places: [string, number, number][] = [
      ['bill A', layout.bill[0], BILL_SIZE],
      ['bill B', layout.bill[1], BILL_SIZE],
      ['witness', layout.witness, BILL_SIZE],
      ['open A', layout.open[0], OPEN_SIZE],
      ['open B', layout.open[1], OPEN_SIZE],
      ['header 0', layout.header[0], 16],
      ['header 1', layout.header[1], 16],
      ['journal', layout.log, layout.capacity * EVENT_SIZE],
    ];
    for (const [name, at, n] of places) assert.ok(at >= 0 && at + n <= SIZE, name);
    for (const [a, x, n] of places)
      for (const [b, y, m] of places) {
        if (a !== b) assert.ok(x + n <= y || y + m <= x, `${a} overlaps ${b}`);
      }
    const gap = (x: number, n: number, y: number) => (x < y ? y - (x + n) : x - (y + n));
    for (const [x, y, n] of [
      [layout.bill[0], layout.bill[1], BILL_SIZE],
      [layout.bill[0], layout.witness, BILL_SIZE],
      [layout.bill[1], layout.witness, BILL_SIZE],
      [layout.open[0], layout.open[1], OPEN_SIZE],
      [layout.header[0], layout.header[1], 16],
    ] as const) {
      assert.ok(gap(x, n, y) > 64, `copies at ${x} and ${y}: ${gap(x, n, y)} bytes apart`);
    }
    assert.throws(() => legalLayout(800), RangeError);
  });

  it('any single 16- or 64-byte corruption anywhere, after a complete or a torn save: registers never below the last complete save', () => {
    const r = rng(1);
    for (const len of [16, 64]) {
      for (let at = 0; at + len <= SIZE; at += len === 16 ? 1 : 3) {
        const fram = new FramModel(SIZE),
          b = new BillingStore(fram, crc, layout);
        prepareArea(fram, crc, SIZE);
        const n = 2 + (at & 3); // which copy holds the newest varies with `at`
        for (let s = 1; s <= n; s++) b.save(s * 1000, energy(s * 1e6), 0, counts(s * 1e6));
        const cut = at % 7 === 0 ? r(13) : -1; // a save torn after 0..12 bursts (before it returned)
        if (cut >= 0) {
          fram.budget = cut;
          try {
            b.save((n + 1) * 1000, energy((n + 1) * 1e6), 0, counts((n + 1) * 1e6));
          } catch {
            /* cut */
          }
          fram.budget = Infinity;
        }
        corrupt(fram.mem, at, len, at % 3, r);
        const area = prepareArea(fram, crc, SIZE);
        assert.equal(area.status, 'current', `at ${at}+${len}`);
        const l = new BillingStore(fram, crc, layout);
        assert.equal(l.load(), true, `at ${at}+${len}: registers lost`);
        assert.ok(l.values[0]! >= n * 1e6, `at ${at}+${len} cut ${cut}: A+ ${l.values[0]} < ${n * 1e6}`);
        assert.ok(l.seq >= n);
      }
    }
  });

  it('the witness alone restores the registers; when every copy is lost they restart marked, with REGISTERS_LOST', () => {
    const fram = new FramModel(SIZE);
    let m = meter(fram);
    for (let s = 0; s < 5; s++) m.second(2);
    const before = m.aPlus();
    fram.mem.fill(0x5a, layout.bill[0], layout.bill[0] + BILL_SIZE);
    fram.mem.fill(0x5a, layout.bill[1], layout.bill[1] + BILL_SIZE);
    m = meter(fram);
    assert.equal(m.aPlus(), before);
    assert.match(m.printed[0]!, /registers=restored seq=5 .* dropped=2\r\n$/);
    assert.ok(
      m.traces.some((t) => /restored from the witness \(seq=5\)/.test(t)),
      m.traces.join('\n'),
    );
    m.second(2);
    // now every copy: the registers restart at 0, marked lost, logged
    for (const at of [layout.bill[0], layout.bill[1], layout.witness]) fram.mem.fill(0x5a, at, at + BILL_SIZE);
    m = meter(fram);
    assert.equal(m.aPlus(), 0);
    assert.match(m.printed[0]!, /registers=lost /);
    assert.deepEqual(journal(fram).slice(-2), [12, 13]); // NVRAM (3 dropped), REGISTERS_LOST
    m.second(1);
    const again = new BillingStore(fram, crc, layout);
    assert.equal(again.load(), true);
    assert.equal(again.lost, true, 'the loss stays marked in the records after it');
  });

  it('without an NVRAM (size 0, as on the stm32f405) legal.ts starts and keeps nothing', () => {
    const none = new FramModel(0);
    none.kind = 'none';
    const m = meter(none);
    m.second(1);
    assert.equal(m.printed[0], 'NVRAM absent: registers and event log are not kept\r\n');
    assert.equal(m.aPlus(), 1e6);
  });

  it('random single corruptions and cuts over many boots through legal.ts: A+ never goes backwards, never lost', () => {
    const r = rng(7),
      fram = new FramModel(SIZE);
    let shown = 0;
    for (let boot = 0; boot < 400; boot++) {
      const m = meter(fram);
      assert.ok(m.aPlus() >= shown, `boot ${boot}: A+ ${m.aPlus()} < ${shown}`);
      assert.ok(!/registers=lost/.test(m.printed[0]!), `boot ${boot}: ${m.printed[0]}`);
      for (let s = r(3); s > 0; s--) m.second(0.5 + r(100) / 10);
      shown = m.aPlus();
      // the power fails during the next save (after 0..12 bursts) or between two
      fram.budget = r(2) ? r(13) : 0;
      try {
        m.second(1);
      } catch {
        /* cut */
      }
      fram.budget = Infinity;
      const len = 16 + r(49);
      corrupt(fram.mem, r(SIZE - len + 1), len, r(3), r);
    }
  });
});

describe('legal: NVRAM layout 1 -> 2', () => {
  // Layout 1 as the firmware before the header wrote it: billing copies at 0 and 96, open events
  // at 192 and 352, the journal from 512 to the end of the area.
  const v1: Layout = { ...layout, capacity: Math.floor((SIZE - 512) / EVENT_SIZE) };
  function v1Image(events: number, saves: number): FramModel {
    const fram = new FramModel(SIZE);
    const bill = new TwoSlotRecord(fram, crc, 0, 96, BILL_SIZE, BILL_MAGIC);
    for (let s = 1; s <= saves; s++) {
      bill.view.setFloat64(8, s * 1000, true);
      bill.view.setFloat64(16, s * 1e6, true);
      bill.save();
    }
    const open = new TwoSlotRecord(fram, crc, 192, 160, OPEN_SIZE, OPEN_MAGIC);
    open.view.setUint16(8, 1 << 7, true); // terminal cover open since t=4242
    open.view.setUint8(12 + 16 * 7, 9);
    open.view.setFloat64(12 + 16 * 7 + 8, 4242, true);
    open.save();
    open.save(); // seq 1 in the copy at 352, 2 at 192, 3 (the newest) at 352
    open.save();
    const log = new EventLog(fram, crc, v1);
    for (let k = 1; k <= events; k++) log.append(k * 10, 3 + (k % 4), 1, k, k);
    return fram;
  }

  for (const [events, saves] of [
    [0, 0],
    [100, 7],
    [220, 8],
    [300, 9],
    [441, 10],
  ] as const) {
    it(`${events} events (layout 1: ${events > 223 ? `wrapped, newest in slot ${(events - 1) % 223}` : 'not wrapped'}), a cut at every burst of the migration`, () => {
      const want = Math.min(events, layout.capacity);
      for (let cut = 0; ; cut++) {
        const fram = v1Image(events, saves);
        fram.budget = cut;
        let done = true;
        try {
          assert.equal(prepareArea(fram, crc, SIZE).status, 'migrated');
        } catch (e) {
          done = false;
          assert.match(String(e), /power cut/);
        }
        fram.budget = Infinity;
        const area = prepareArea(fram, crc, SIZE); // the next boot finishes what the cut left
        if (done) assert.equal(area.status, 'current');
        else assert.ok(['migrated', 'repaired', 'current'].includes(area.status), `cut ${cut}: ${area.status}`);
        const b = new BillingStore(fram, crc, layout);
        assert.equal(b.load(), saves > 0, `cut ${cut}`);
        assert.equal(b.seq, saves);
        assert.equal(b.values[0], saves * 1e6);
        assert.equal(b.dropped, 0);
        const log = new EventLog(fram, crc, layout);
        log.load();
        assert.deepEqual([log.last, log.count, log.dropped], [events, want, 0], `cut ${cut}`);
        assert.deepEqual(
          log.list(layout.capacity).map((e) => e.seq),
          Array.from({ length: want }, (_, k) => events - want + 1 + k),
          `cut ${cut}`,
        );
        const open = new OpenEvents(fram, crc, layout);
        open.load();
        assert.deepEqual([open.seq, open.dropped, open.open[7]?.start], [3, 0, 4242]);
        // a boot after it finds the current layout and changes nothing
        const copy = fram.mem.slice();
        assert.equal(prepareArea(fram, crc, SIZE).status, 'current');
        assert.deepEqual(fram.mem, copy);
        if (done) break;
      }
    });
  }

  it('through legal.ts: LAYOUT event, registers and events kept', () => {
    const fram = v1Image(30, 4);
    const m = meter(fram);
    assert.equal(m.aPlus(), 4e6);
    assert.match(m.printed[0]!, /registers=restored seq=4 log=30\/214 dropped=0 layout=migrated\r\n$/);
    // the terminal cover still open at the failure, then POWER_FAIL and POWER_RESTORE
    assert.deepEqual(journal(fram).slice(-5), [5, 14, 9, 1, 2]);
  });

  it(`a header of another layout or area size is refused, the area left untouched; a new area gets layout ${LAYOUT_VERSION}`, () => {
    const fresh = new FramModel(SIZE);
    assert.equal(prepareArea(fresh, crc, SIZE).status, 'formatted');
    for (const [at, value] of [
      [4, 3],
      [8, 8000],
    ] as const) {
      // version 3; an area of 8000 bytes
      const fram = new FramModel(SIZE);
      fram.mem.set(fresh.mem);
      for (const h of layout.header) {
        const v = new DataView(fram.mem.buffer, h, 16);
        if (at === 4) v.setUint16(4, value, true);
        else v.setUint32(8, value, true);
        v.setUint32(12, crc.reset().checksum(fram.mem.subarray(h, h + 12)) >>> 0, true);
      }
      const copy = fram.mem.slice();
      assert.throws(
        () => prepareArea(fram, crc, SIZE),
        at === 4 ? /NVRAM layout 3 of 7648 bytes refused/ : /NVRAM layout 2 of 8000 bytes refused/,
      );
      assert.deepEqual(fram.mem, copy);
      const traces: string[] = [];
      // biome-ignore lint/suspicious/noExplicitAny: a fake RunService table, each entry typed by its own parameters
      const services: { [k: string]: (...a: any[]) => unknown } = {
        'driver.get': (n: string) => (n === 'nvram' ? fram : { CRC32: NodeCrc32 }),
        trace: (l: number, t: string) => traces.push(`${l} ${t}`),
      };
      assert.throws(
        () => start(((name: string, ...a: unknown[]) => services[name]!(...a)) as never, {} as never, new Float64Array(37), undefined),
        /refused/,
      );
      assert.match(traces[0]!, /^1 NVRAM: NVRAM layout .* refused/);
    }
  });
});
