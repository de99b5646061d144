// Issue 16, finding 3: forged, unsecured LBP JOININGs (made-up or sniffed EUI-64s) against the
// LBS. Half-open entries are bounded apart from joined devices and expire; unknown EUI-64s get
// no entry at all, so a real meter still joins during a flood; DECLINE frames and their traces
// go through a token bucket, and what it held back is counted.
import assert from 'node:assert/strict';
import { LbpCode } from '../../modules/plc/lbp-const.js';
import { decodeLbp, encodeLbp } from '../../modules/plc/lbp-codec.js';
import { LbpDevice } from '../../modules/plc/lbp-device.js';
import { LbpServer, type LbsOutput, type LbsOptions } from '../../modules/plc/lbp-server.js';
import { eui, hex, nodeCrypto, seededRandom, toH } from './helpers.js';

const PSK = hex('ab10341145111bc3c12de8ff11142204');
const GMK = hex('af4d6dccf1fe1bbc3ad6c8b4c8000a01');
const AGENT = 0x0007;

/** A made-up EUI-64 per forgery, as in the report's frame (0a00000000000001, ...). */
function forged(n: number): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = 0x0a;
  new DataView(b.buffer).setUint32(4, n + 1);
  return b;
}
const joining = (lbd: Uint8Array): Uint8Array => encodeLbp({ code: LbpCode.JOINING, lbd, data: new Uint8Array(0) });
const declines = (outs: LbsOutput[]): number => outs.filter((o) => decodeLbp(o.message).code === LbpCode.DECLINE).length;

function server(t: { now: number }, known: (e: Uint8Array) => boolean, o: Partial<LbsOptions> = {}): { s: LbpServer; traces: string[] } {
  const traces: string[] = [];
  const s = new LbpServer({
    crypto: nodeCrypto,
    random: seededRandom(11),
    now: () => t.now,
    idS: eui(1),
    gmk: GMK,
    trace: (l) => void traces.push(l),
    pskFor: (e) => (known(e) ? PSK : null),
    ...o,
  });
  return { s, traces };
}

/** A real LBD through the agent: its JOINING, then each answer as soon as the LBS speaks to it. */
function meter(t: { now: number }, n: number): { dev: LbpDevice; start(): Uint8Array; answer(outs: LbsOutput[]): Uint8Array | null } {
  const dev = new LbpDevice({ eui64: eui(n), psk: PSK, crypto: nodeCrypto, random: seededRandom(n), now: () => t.now });
  return {
    dev,
    start: () => {
      dev.startDiscovery();
      dev.beacon({ panId: 0x781d, agent: AGENT, lqi: 200, rcCoord: 0 });
      return (dev.join() as { message: Uint8Array }).message;
    },
    answer: (outs) => {
      let up: Uint8Array | null = null;
      for (const o of outs) if (toH(decodeLbp(o.message).lbd) === toH(eui(n))) up = dev.input(o.message) ?? up;
      return up;
    },
  };
}

/** Runs a meter's whole join at once (no flood). */
function join(s: LbpServer, m: ReturnType<typeof meter>): void {
  let up: Uint8Array | null = m.start();
  for (let i = 0; i < 10 && up; i++) up = m.answer(s.input(AGENT, up));
  assert.equal(m.dev.state, 'joined');
}

describe('plc LBS under a JOINING flood (issue 16 finding 3)', () => {
  it('forged JOININGs with made-up EUI-64s: no table entry, a real meter joins during the flood, DECLINEs rate-limited', () => {
    const t = { now: 0 };
    const realEuis = new Set([toH(eui(0x41)), toH(eui(0x42))]);
    const { s, traces } = server(t, (e) => realEuis.has(toH(e)));
    join(s, meter(t, 0x41));
    const baseline = s.devices.size;
    // 100 forgeries a second for 60 s (the report: 30,000 in 300 s); the real meter starts at 5 s
    // and answers each message of the LBS 50 ms later, forgeries arriving in between
    const real = meter(t, 0x42);
    let up: Uint8Array | null = null;
    let upAt = 5000;
    let sent = 0;
    for (let i = 0; i < 6000; i++) {
      t.now = i * 10;
      sent += declines(s.input(AGENT, joining(forged(i))));
      s.tick();
      if (t.now === 5000) up = real.start();
      if (up && t.now >= upAt) {
        const outs = s.input(AGENT, up);
        up = real.answer(outs);
        upAt = t.now + 50;
      }
      assert.ok(s.devices.size <= baseline + 1, `table at ${t.now} ms: ${s.devices.size}`);
    }
    assert.equal(real.dev.failure, '');
    assert.equal(real.dev.state, 'joined', 'the real meter joined during the flood');
    assert.equal(s.devices.get(toH(eui(0x42)))?.state, 'joined');
    assert.equal(s.devices.size, baseline + 1);
    assert.equal(s.counters.busy, 0, 'no real JOINING dropped as busy');
    assert.equal(s.counters.unknown, 6000);
    // token bucket: 8 at once, then one a second
    assert.ok(sent <= 8 + 60, `${sent} DECLINE frames for 6000 forgeries`);
    assert.equal(s.counters.declined, 6000);
    assert.equal(s.counters.declineSuppressed, 6000 - sent);
    assert.equal(traces.filter((l) => /^lbs: decline /.test(l)).length, sent, 'one trace per DECLINE sent');
  });

  it("--listed-only: 1,500 forged JOININGs get at most the bucket's DECLINEs and traces; the rest is counted", () => {
    const t = { now: 0 };
    const { s, traces } = server(t, () => true, { declineBurst: 8, declineRefillMs: 1000 });
    s.whitelistOnly = true;
    let sent = 0;
    for (let i = 0; i < 1500; i++) {
      t.now = i * 10; // 15 s
      sent += declines(s.input(AGENT, joining(forged(i))));
    }
    assert.ok(sent >= 8 + 14 && sent <= 8 + 15, `${sent} DECLINE frames`);
    assert.equal(s.counters.declined, 1500);
    assert.equal(s.counters.declineSuppressed, 1500 - sent);
    assert.equal(traces.filter((l) => /decline/.test(l)).length, sent);
    assert.equal(s.devices.size, 0);
    // the bucket refills: after a quiet while, a DECLINE goes out again at once
    t.now += 20000;
    assert.equal(declines(s.input(AGENT, joining(forged(9999)))), 1);
  });

  it('silent JOININGs with known EUI-64s: half-open entries bounded apart from joined devices, then expire', () => {
    const t = { now: 0 };
    const { s } = server(t, () => true, { maxHalfOpen: 3, halfOpenTimeoutMs: 60000 });
    join(s, meter(t, 0x41));
    const halfOpen = (): number => [...s.devices.values()].filter((d) => d.state === 'authenticating').length;
    // one every 16 s (each earlier one idle by then): never more than 3 half-open entries
    for (let i = 0; i < 8; i++) {
      t.now = 100000 + i * 16000;
      const outs = s.input(AGENT, joining(eui(0x80 + i)));
      assert.equal(decodeLbp((outs[0] as LbsOutput).message).code, LbpCode.CHALLENGE, `JOINING ${i} answered`);
      s.tick();
      assert.ok(halfOpen() <= 3, `half-open ${halfOpen()} at ${i}`);
      assert.equal(s.devices.get(toH(eui(0x41)))?.state, 'joined', 'the joined device stays');
    }
    assert.ok(s.counters.evicted >= 1, `evicted ${s.counters.evicted}`);
    // the joined device's own EUI-64 in a JOINING that goes nowhere: it stays in the table, joined
    s.input(AGENT, joining(eui(0x41)));
    assert.equal(s.devices.get(toH(eui(0x41)))?.state, 'authenticating');
    // silence: every half-open entry expires, the table is back to its baseline
    for (let i = 0; i < 61; i++) {
      t.now += 1000;
      s.tick();
    }
    assert.equal(s.devices.size, 1);
    assert.equal(s.devices.get(toH(eui(0x41)))?.state, 'joined');
    assert.ok(s.counters.expired >= 3, `expired ${s.counters.expired}`);
  });
});
