// The energy balance (modules/nonlegal/dc/balance.ts) on Node: the transformer's energy from
// LEGAL-shaped instants against the meters' profile rows, per phase; incomplete intervals
// reported as such; the bound; the records handed to the uplink; DC BALANCE's lines.
import assert from 'node:assert/strict';
import type { Instant } from '../../modules/generic/shared/messages.js';
import type { UplinkRecord } from '../../modules/nonlegal/dc/headend/records.js';
import { Balance, balanceConfig, TransformerMeter } from '../../modules/nonlegal/dc/balance.js';
import { type MeterPhase, Registry, registryConfig } from '../../modules/nonlegal/dc/registry.js';
import type { Scheduler } from '../../modules/nonlegal/dc/scheduler.js';
import type { Sessions } from '../../modules/nonlegal/dc/session.js';
import { DcShell } from '../../modules/nonlegal/dc/shell.js';
import { parseDcArgs } from '../../tools/dc.js';

const P = 900;
const T0 = 1_800_000_000 - (1_800_000_000 % P); // s, a period boundary
const eui = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');

function instant(second: number, aImpWh: number, p: [number, number, number]): Instant {
  const ph = (w: number) => ({ v: 230, i: w / 230, p: w, q: 0, s: w, pf: 1, f: 50 });
  return {
    time: second * 1000,
    second,
    phases: p.map(ph),
    total: { p: p[0] + p[1] + p[2], q: 0, s: 0 },
    registers: { aImp: aImpWh, aExp: 0, rQ1: 0, rQ2: 0, rQ3: 0, rQ4: 0, app: 0 },
  };
}

function setup(phases: MeterPhase[], keep = 96) {
  const registry = new Registry(registryConfig({ maxMeters: 16 }, 16), undefined);
  const meters = phases.map((ph, i) => {
    const m = registry.add(eui(i + 1), i + 1)!;
    m.phase = ph;
    return m;
  });
  const sent: UplinkRecord[] = [];
  let refuse = false;
  const b = new Balance(
    balanceConfig({ keep, settleIntervals: 2 }),
    registry,
    () => P,
    (r) => {
      if (refuse) return false;
      sent.push(r);
      return true;
    },
  );
  const tr = new TransformerMeter(
    () => P,
    (s, total, ph) => b.transformerInterval(s, total, ph),
  );
  return { registry, meters, b, tr, sent, setRefuse: (v: boolean) => (refuse = v) };
}

/** The transformer running `seconds` seconds at phase powers p from second `from`, sampled every second. */
function run(tr: TransformerMeter, state: { s: number; a: number }, seconds: number, p: [number, number, number]): void {
  for (let k = 0; k < seconds; k++) {
    state.s++;
    state.a += (p[0] + p[1] + p[2]) / 3600;
    tr.sample(instant(state.s, state.a, p), (T0 + state.s) * 1000);
  }
}

describe('dc energy balance', () => {
  it('transformer energy per interval and phase against the meters; the difference is on its phase', () => {
    const { meters, b, tr, sent } = setup(['L1', 'L2', 'L3', 'L1']);
    const st = { s: -1, a: 1000 };
    // meters: 1 kW on L1 and 0.5 kW on L1 (meters 1, 4), 2 kW on L2; the transformer also sees
    // an unmetered 0.4 kW on L3 on top of meter 3's 0.3 kW
    run(tr, st, 1 + 2 * P, [1500, 2000, 700]);
    const a = [0, 0, 0, 0];
    const w = [1000, 2000, 300, 500];
    for (let k = 0; k <= 2; k++)
      meters.forEach((m, i) => {
        b.meterInterval(m, T0 + k * P, a[i]!);
        a[i]! += w[i]! / 4;
      });
    const r = b.rows.find((x) => x.captureS === T0 + 2 * P)!;
    assert.ok(r, 'the second interval is kept');
    assert.equal(r.in, 4);
    assert.equal(r.expected, 4);
    assert.ok(Math.abs(r.transformerWh! - 4200 / 4) < 1e-6, String(r.transformerWh));
    assert.equal(r.metersWh, 3800 / 4);
    assert.deepEqual(
      r.transformerPhaseWh.map((x) => Math.round(x * 1000) / 1000),
      [375, 500, 175],
    );
    assert.deepEqual(r.phaseWh, [375, 500, 75]);
    // the meters' first rows (T0) had no previous capture; the transformer's first boundary opens none
    assert.equal(b.counters.noPrevious, 4);
    assert.equal(
      b.rows.find((x) => x.captureS === T0),
      undefined,
    );
    assert.equal(b.rows.find((x) => x.captureS === T0 + P)!.in, 4);
    // each complete interval went up once, as a balance record
    assert.deepEqual(
      sent.map((x) => x.captureS),
      [T0 + P, T0 + 2 * P],
    );
    const recs = sent.filter((x) => x.captureS === T0 + 2 * P);
    assert.equal(recs[0]!.kind, 'balance');
    assert.equal(recs[0]!.values[0], 4);
    assert.equal(recs[0]!.values[1], 4);
  });

  it('an incomplete interval is reported with meters in/expected, never as a loss, and goes up after settleIntervals', () => {
    const { meters, b, tr, sent } = setup(['L1', 'L2', '3P']);
    const st = { s: -1, a: 0 };
    run(tr, st, 1 + P, [100, 100, 100]);
    for (const m of meters) b.meterInterval(m, T0, 0);
    b.meterInterval(meters[0]!, T0 + P, 10);
    b.meterInterval(meters[2]!, T0 + P, 20);
    const r = b.rows.find((x) => x.captureS === T0 + P)!;
    assert.equal(r.in, 2);
    assert.equal(r.expected, 3);
    assert.equal(r.threePhaseWh, 20);
    assert.equal(sent.length, 0, 'not complete: not sent yet');
    run(tr, st, 2 * P, [100, 100, 100]);
    assert.equal(sent.filter((x) => x.captureS === T0 + P).length, 1, 'sent incomplete after 2 periods');
    assert.equal(sent[0]!.values[1], 2);
    // DC BALANCE: the incomplete interval says 2/3, and no per-phase difference (a 3P meter is in)
    const lines: string[] = [];
    const shell = new DcShell(new Registry(registryConfig({}, 7), undefined), {} as Scheduler, {} as Sessions, () => 0);
    shell.balance = b;
    shell.json = true;
    shell.balanceCmd((s) => lines.push(s), 8);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const row = rows.find((x) => x.capture === T0 + P)!;
    assert.equal(row.complete, false);
    assert.equal(row.in, 2);
    assert.equal(row.expected, 3);
    assert.equal(row.l1DiffWh, null);
    assert.equal(rows.at(-1)!.cmd, 'BALANCE');
    shell.json = false;
    lines.length = 0;
    shell.balanceCmd((s) => lines.push(s), 1);
    assert.match(lines[0]!, /^DC ENERGY capture=\d+ transformerWh=[\d.]+ metersWh=0 diffWh=[\d.]+ /);
    assert.match(lines.at(-1)!, /^DC BALANCE n=1 kept=\d+ keep=96 /);
    assert.throws(() => shell.balanceCmd(() => undefined, 97), /n: 1\.\.96/);
  });

  it('keeps at most keep intervals; a meter row older than those is counted late; unaligned rows are counted', () => {
    const { meters, b, tr } = setup(['L1'], 3);
    const st = { s: -1, a: 0 };
    run(tr, st, 1 + 6 * P, [100, 0, 0]);
    assert.equal(b.rows.length, 3);
    assert.equal(b.rows[0]!.captureS, T0 + 4 * P);
    b.meterInterval(meters[0]!, T0, 0);
    b.meterInterval(meters[0]!, T0 + P, 25);
    assert.equal(b.counters.late, 1);
    b.meterInterval(meters[0]!, T0 + P + 17, 26);
    assert.equal(b.counters.unaligned, 1);
    assert.equal(b.rows.length, 3);
  });

  it('a refused record is offered again at the next period', () => {
    const { meters, b, tr, sent, setRefuse } = setup(['L1']);
    const st = { s: -1, a: 0 };
    run(tr, st, 1 + P, [100, 0, 0]);
    setRefuse(true);
    b.meterInterval(meters[0]!, T0, 0);
    b.meterInterval(meters[0]!, T0 + P, 25);
    assert.equal(b.counters.refused, 1);
    setRefuse(false);
    run(tr, st, P, [100, 0, 0]);
    assert.equal(sent.filter((x) => x.captureS === T0 + P).length, 1);
  });

  it('npm run dc takes BALANCE and PHASE (an EUI-64 there is mapped to the short address)', () => {
    assert.deepEqual(parseDcArgs(['BALANCE', '4', '--connect', 'localhost:5000']).words, ['BALANCE', '4']);
    assert.deepEqual(parseDcArgs(['PHASE', '0211223344000001', 'L2', '--connect', 'localhost:5000']).words, [
      'PHASE',
      '0211223344000001',
      'L2',
    ]);
  });

  it('config bounds', () => {
    assert.throws(() => balanceConfig({ keep: 0 }), /dc\.balance\.keep: 1\.\.2880/);
    assert.throws(() => balanceConfig({ sampleS: 61 }), /dc\.balance\.sampleS/);
    assert.throws(() => balanceConfig({ settleIntervals: 1.5 }), /dc\.balance\.settleIntervals/);
  });
});
