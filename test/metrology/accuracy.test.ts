// Accuracy of the metrology DSP against the exact truth of the front-end model's
// scenario (IEC 62053-21 class 1 / 62053-23 class 2 ranges, tighter limits):
// active energy 0.2 %, reactive energy 0.5 %, Vrms/Irms 0.1 %, from 5 % to
// 120 % of Ib = 5 A at 230 V, PF 1, 0.5 inductive, 0.8 capacitive.
import assert from 'node:assert/strict';
import { buildHarness, expectedRegisters, FLAG, REG, relErr, run, type Run } from './harness.js';
import { type PhaseScn, type Scenario, truth } from './truth.js';

const IB = 5,
  UN = 230;
const LIMIT = { active: 0.002, reactive: 0.005, rms: 0.001, apparent: 0.002 };
const worst = { active: 0, reactive: 0, rms: 0, apparent: 0, freqHz: 0 };
const where = { active: '', reactive: '', rms: '', apparent: '', freqHz: '' };

function note(kind: keyof typeof worst, err: number, ctx: string) {
  if (err > worst[kind]) {
    worst[kind] = err;
    where[kind] = ctx;
  }
}

const ANGLES = [0, 60, (-Math.acos(0.8) * 180) / Math.PI]; // PF 1, 0.5 ind, 0.8 cap

function threePhase(irms: number, angle: number, extra: Partial<PhaseScn> = {}): PhaseScn[] {
  return [0, -120, 120].map((vAngle) => ({ vrms: UN, irms, angle, vAngle, ...extra }));
}

// Compare every non-negligible register, rms per second, and frequency.
function check(r: Run, s: Scenario, ctx: string, opts: { skipFirst?: boolean } = {}) {
  const targets: Array<number | 'total'> = [...s.phases.map((_, k) => k), 'total'];
  for (const t of targets) {
    const exp = expectedRegisters(s, t);
    const meas = r.energy.get(t === 'total' ? -1 : t)!;
    const sum = exp[REG.APP]!;
    for (const [name, idx] of Object.entries(REG)) {
      const e = exp[idx]!,
        m = meas[idx]!;
      const kind = idx <= REG.A_EXP ? 'active' : idx === REG.APP ? 'apparent' : 'reactive';
      // a register whose truth is (nearly) zero must stay below the limit of the apparent energy
      if (Math.abs(e) < 0.01 * sum) {
        assert.ok(Math.abs(m - e) <= LIMIT[kind] * sum, `${ctx} ph ${t} ${name}: ${m} vs ${e}`);
        continue;
      }
      const err = relErr(m, e);
      note(kind, err, `${ctx} ph ${t} ${name}`);
      assert.ok(err <= LIMIT[kind], `${ctx} ph ${t} ${name}: ${m} vs ${e} (${(err * 100).toFixed(4)} %)`);
    }
  }
  for (const x of r.sec) {
    if (opts.skipFirst && x.s === 0) continue;
    const tr = truth(s, x.ph, x.s, x.s + 1);
    const v = Math.sqrt(tr.v2),
      i = Math.sqrt(tr.i2);
    if (v > 0.1 * UN) {
      note('rms', relErr(x.vrms, v), `${ctx} s${x.s} ph${x.ph} V`);
      assert.ok(relErr(x.vrms, v) <= LIMIT.rms, `${ctx} s${x.s} ph${x.ph} Vrms ${x.vrms} vs ${v}`);
      const df = Math.abs(x.f - s.freq);
      note('freqHz', df, `${ctx} s${x.s} ph${x.ph}`);
      assert.ok(df < 0.005, `${ctx} s${x.s} ph${x.ph} f ${x.f}`);
    }
    if (i > 0.04 * IB) {
      note('rms', relErr(x.irms, i), `${ctx} s${x.s} ph${x.ph} I`);
      assert.ok(relErr(x.irms, i) <= LIMIT.rms, `${ctx} s${x.s} ph${x.ph} Irms ${x.irms} vs ${i}`);
    }
  }
}

describe('metrology', () => {
  // figures quoted in the hand-over come from this summary
  after(() => {
    const pct = (x: number) => (x * 100).toFixed(4) + ' %';
    console.log('    worst active %s (%s)', pct(worst.active), where.active);
    console.log('    worst reactive %s (%s)', pct(worst.reactive), where.reactive);
    console.log('    worst apparent %s (%s)', pct(worst.apparent), where.apparent);
    console.log('    worst Vrms/Irms %s (%s)', pct(worst.rms), where.rms);
    console.log('    worst frequency %s Hz (%s)', worst.freqHz.toFixed(5), where.freqHz);
  });

  describe('DSP accuracy (model truth vs DSP)', function () {
    this.timeout(20000);
    let exe = '';
    before(() => {
      exe = buildHarness();
    });

    for (const pctIb of [5, 10, 50, 100, 120])
      for (const angle of ANGLES)
        it(`${pctIb} % Ib, PF ${Math.cos((angle * Math.PI) / 180).toFixed(2)} ${angle > 0 ? 'ind' : angle < 0 ? 'cap' : ''}`, () => {
          const s: Scenario = {
            freq: 50,
            seconds: 5,
            seed: pctIb * 7 + Math.round(angle),
            noiseV: 20,
            noiseI: 50,
            offsetV: 300,
            offsetI: -120,
            phases: threePhase((IB * pctIb) / 100, angle),
          };
          const r = run(exe, s);
          check(r, s, `${pctIb}%Ib angle ${angle.toFixed(2)}`);
          // the C model's own truth must agree with the TypeScript one
          for (let k = 0; k < 3; k++) assert.ok(relErr(r.ctruth.get(k)!.a, truth(s, k, 0, s.seconds).active) < 1e-6);
        });

    it('harmonics up to the 15th and noise, 10 % and 100 % Ib, PF 0.5 ind', () => {
      const vh = [
        { h: 3, ratio: 0.05, deg: 30 },
        { h: 5, ratio: 0.06, deg: -70 },
        { h: 7, ratio: 0.05, deg: 110 },
        { h: 11, ratio: 0.035, deg: 10 },
        { h: 13, ratio: 0.03, deg: 200 },
        { h: 15, ratio: 0.005, deg: 0 },
      ];
      const ih = [
        { h: 2, ratio: 0.02, deg: 45 },
        { h: 3, ratio: 0.3, deg: 10 },
        { h: 5, ratio: 0.2, deg: -100 },
        { h: 7, ratio: 0.1, deg: 150 },
        { h: 9, ratio: 0.05, deg: 0 },
        { h: 11, ratio: 0.05, deg: 80 },
        { h: 15, ratio: 0.03, deg: -20 },
      ];
      for (const irms of [0.1 * IB, IB]) {
        const s: Scenario = { freq: 50, seconds: 5, seed: 99, noiseV: 40, noiseI: 100, phases: threePhase(irms, 60, { vh, ih }) };
        const r = run(exe, s);
        check(r, s, `harmonics ${irms} A`);
        // harmonic power is real: it must change active energy by more than the limit, so the test can see it
        const p1 = 3 * UN * irms * 0.5 * s.seconds;
        assert.ok(Math.abs(truth(s, 0, 0, s.seconds).active * 3 - p1) / p1 > 0.01);
        const x = r.sec.find((y) => y.s === 2 && y.ph === 0)!;
        assert.ok(relErr(x.v1, UN) < 0.001 && relErr(x.i1, irms) < 0.001, `fundamental ${x.v1} ${x.i1}`);
      }
    });

    it('off-nominal frequency 49.5 and 50.5 Hz with harmonics', () => {
      for (const freq of [49.5, 50.5]) {
        const s: Scenario = {
          freq,
          seconds: 6,
          noiseV: 20,
          noiseI: 50,
          phases: threePhase(IB, 60, { vh: [{ h: 5, ratio: 0.05, deg: 0 }], ih: [{ h: 3, ratio: 0.2, deg: 40 }] }),
        };
        check(run(exe, s), s, `${freq} Hz`, { skipFirst: true });
      }
    });

    it('single-phase build and 60 Hz / 120 V / 10 A nominal', () => {
      const exe1 = buildHarness(['METRO_PHASES=1']);
      for (const angle of ANGLES) {
        const s: Scenario = {
          freq: 60,
          seconds: 4,
          nominal: [120, 10, 60],
          noiseV: 20,
          noiseI: 50,
          phases: [{ vrms: 120, irms: 0.5, angle, vAngle: 0 }],
        };
        const r = run(exe1, s);
        assert.equal(r.energy.size, 2); // phase 0 and total
        check(r, s, `1-phase 60 Hz angle ${angle.toFixed(1)}`);
      }
    });

    it('detects an error it should: a 0.3 % gain or 0.3 degree phase error fails the limits', () => {
      const s: Scenario = { freq: 50, seconds: 3, phases: threePhase(IB, 60) };
      const r = run(exe, s);
      const meas = r.energy.get(0)!;
      const wrongGain = { ...s, phases: threePhase(IB * 1.003, 60) };
      const wrongPhase = { ...s, phases: threePhase(IB, 60.3) };
      assert.ok(relErr(meas[REG.A_IMP]!, expectedRegisters(wrongGain, 0)[REG.A_IMP]!) > LIMIT.active);
      assert.ok(relErr(meas[REG.A_IMP]!, expectedRegisters(wrongPhase, 0)[REG.A_IMP]!) > LIMIT.active);
    });

    it('is deterministic for a seed and the noise depends on it', () => {
      const s: Scenario = { freq: 50, seconds: 2, seed: 5, noiseV: 50, noiseI: 50, phases: threePhase(1, 30) };
      const a = run(exe, s),
        b = run(exe, s),
        c = run(exe, { ...s, seed: 6 });
      assert.deepEqual(a.sec, b.sec);
      assert.notDeepEqual(a.sec, c.sec);
    });
  });

  describe('metrology events (sag, interruption, swell, step, reverse, tamper, bypass)', function () {
    this.timeout(20000);
    let exe = '';
    let r: Run;
    const s: Scenario = {
      freq: 50,
      seconds: 10,
      noiseV: 20,
      noiseI: 50,
      led: [10000, 10000],
      phases: threePhase(IB, 30),
      events: [
        { kind: 'sag', mask: 1, start: 2.2, dur: 0.3, factor: 0.5 },
        { kind: 'int', mask: 2, start: 3.1, dur: 0.8 },
        { kind: 'swell', mask: 4, start: 4.45, dur: 0.2, factor: 1.15 },
        { kind: 'load', mask: 1, start: 5.5, dur: 4.5, factor: 2 },
        { kind: 'rev', mask: 2, start: 6.0, dur: 4.0 },
        { kind: 'tamper', mask: 1, start: 7.2, dur: 0.1, flags: 0x100 },
        { kind: 'bypass', mask: 4, start: 8.0, dur: 1.0, factor: 0.5 },
      ],
    };
    before(() => {
      exe = buildHarness();
      r = run(exe, s);
    });
    const at = (sec: number, ph: number) => r.sec.find((x) => x.s === sec && x.ph === ph)!;

    it('flags the second and phase of each voltage event, and only those', () => {
      const expected = new Map([
        ['2/0', FLAG.SAG],
        ['3/1', FLAG.INT],
        ['4/2', FLAG.SWELL],
      ]);
      for (const x of r.sec) {
        const want = expected.get(`${x.s}/${x.ph}`) ?? 0;
        assert.equal(x.flags & (FLAG.SAG | FLAG.SWELL | FLAG.INT), want, `second ${x.s} phase ${x.ph} flags ${x.flags}`);
      }
      assert.ok(relErr(at(2, 0).vmin, 0.5 * UN) < 0.01, `sag depth ${at(2, 0).vmin}`);
      assert.ok(relErr(at(4, 2).vmax, 1.15 * UN) < 0.01, `swell height ${at(4, 2).vmax}`);
      // 0.8 s of the second without voltage: cycles read ~0, the second's rms is the exact interval rms
      assert.ok(at(3, 1).vmin < 1, `interruption depth ${at(3, 1).vmin}`);
      assert.ok(relErr(at(3, 1).vrms, Math.sqrt(truth(s, 1, 3, 4).v2)) < LIMIT.rms);
      assert.ok(relErr(at(3, 1).irms, Math.sqrt(truth(s, 1, 3, 4).i2)) < LIMIT.rms);
    });

    it('reports the per-second Vrms drop of the sag as the exact interval rms', () => {
      const tr = truth(s, 0, 2, 3);
      assert.ok(at(2, 0).vrms < 0.97 * UN);
      assert.ok(relErr(at(2, 0).vrms, Math.sqrt(tr.v2)) < LIMIT.rms);
    });

    it('flags reverse power, tamper status and a neutral bypass', () => {
      assert.ok(at(7, 1).flags & FLAG.REVERSE);
      assert.ok(!(at(5, 1).flags & FLAG.REVERSE));
      assert.ok(at(7, 0).flags & FLAG.TAMPER && at(7, 0).fe & 0x100);
      assert.ok(!(at(6, 0).flags & FLAG.TAMPER));
      const res = r.tot.map((t) => (t.flags & FLAG.RESIDUAL ? t.s : -1)).filter((x) => x >= 0);
      assert.deepEqual(res, [8]);
    });

    it('registers import, export and four-quadrant energy through the events', () => {
      check(r, s, 'events');
      const e = r.energy.get(1)!;
      assert.ok(e[REG.A_EXP]! > 0 && e[REG.Q3]! > 0, 'reversed phase books export in Q3');
    });

    it('LED pulses follow the total active and reactive energy', () => {
      const exp = expectedRegisters(s, 'total');
      const last = r.tot[r.tot.length - 1]!;
      const perPulse = 1e9 / 10000; // uWh per pulse at 10000 imp/kWh
      const a = (exp[REG.A_IMP]! + exp[REG.A_EXP]!) / perPulse;
      const q = (exp[REG.Q1]! + exp[REG.Q2]! + exp[REG.Q3]! + exp[REG.Q4]!) / perPulse;
      assert.ok(Math.abs(last.ledp - a) <= 1 + a * LIMIT.active, `active pulses ${last.ledp} vs ${a}`);
      assert.ok(Math.abs(last.ledq - q) <= 1 + q * LIMIT.reactive, `reactive pulses ${last.ledq} vs ${q}`);
    });
  });
});
