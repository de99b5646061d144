// Three-phase front-end in the running firmware (lin and mps2-an386): L1 on the main chip, L2
// and L3 read every second from the STPM34-like device model over its link. Accuracy against the
// exact truth of the scenario (test/metrology/truth.ts, with harmonics; noise added in
// quadrature to the rms truth), link faults detected and counted without a wrong value, and the
// single-phase meter (role meter-1p on lin; the STM32F405 meter, accuracy points at PF 1, 0.5i,
// 0.8c). One boot per platform and layout; the load changes between seconds, so many points
// share a boot.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode, type Emulator, type Platform, type Role } from '../../emulator/node.js';
import { findRenode, RENODE_INSTALL } from '../../tools/renode.mjs';
import { logOf, waitEvent } from './helpers.js';
import { truth, UWH_PER_J, type Harmonic, type Scenario } from '../metrology/truth.js';

const LIMIT = { active: 0.002, reactive: 0.005, rms: 0.001 };
const IB = 5000; // mA
const ANGLES = [0, 6000, -3687]; // PF 1, 0.5 inductive, 0.8 capacitive (centidegrees)
const relErr = (m: number, e: number) => Math.abs(m - e) / Math.abs(e);

type Show = Map<string, number>;
async function show(node: FirmwareNode): Promise<Show | undefined> {
  const lines = await node.command('METRO SHOW', /^(ERROR|AP=)/);
  if (lines.some((l) => l.startsWith('ERROR'))) return undefined;
  return new Map(lines.map((l) => l.split('=') as [string, string]).map(([k, v]) => [k, Number(v)]));
}
async function showAt(node: FirmwareNode, second: number): Promise<Show> {
  for (;;) {
    const s = await show(node);
    if (s && s.get('second')! >= second) return s;
    await node.waitFor(/^$/, 200).catch(() => undefined);
  }
}
async function ok(node: FirmwareNode, cmd: string): Promise<number> {
  const lines = await node.command(cmd, /^(ERROR|METRO \w+ )/);
  assert.doesNotMatch(lines.at(-1)!, /^ERROR/, `${cmd}: ${lines.join(' ')}`);
  const m = /second=(\d+)/.exec(lines.at(-1)!);
  return m ? Number(m[1]) : -1;
}
async function stats(node: FirmwareNode): Promise<Map<string, number>> {
  const [line] = await node.command('METRO STATS', /^dsp\.cycles=/);
  return new Map(
    line!
      .split(' ')
      .map((kv) => kv.split('=') as [string, string])
      .map(([k, v]) => [k, Number(v)]),
  );
}

interface Load {
  mv: number;
  ma: number;
  cd: number;
  vh?: Harmonic[];
  ih?: Harmonic[];
}
function scenario(loads: Load[]): Scenario {
  return {
    freq: 50,
    seconds: 1,
    phases: loads.map((l, k) => ({
      vrms: l.mv / 1000,
      irms: l.ma / 1000,
      angle: l.cd / 100,
      vAngle: [0, -120, 120][k]!,
      vh: l.vh,
      ih: l.ih,
    })),
  };
}

// Checks second b (and the registers from a to b) against the scenario; noise: V, I rms in V, A.
function check(a: Show, b: Show, scn: Scenario, ctx: string, noise = { v: 0, i: 0 }) {
  const secs = b.get('second')! - a.get('second')!;
  let pSum = 0,
    qSum = 0;
  scn.phases.forEach((_, p) => {
    const t = truth(scn, p, 0, 1);
    const L = `L${p + 1}.`,
      P = b.get(L + 'P')!,
      Q = b.get(L + 'Q')!,
      S = Math.sqrt(t.v2 * t.i2);
    assert.ok(relErr(P, t.active) <= LIMIT.active, `${ctx} ${L}P ${P} vs ${t.active}`);
    assert.ok(
      Math.abs(t.reactive) > 0.01 * S ? relErr(Q, t.reactive) <= LIMIT.reactive : Math.abs(Q) <= LIMIT.reactive * S,
      `${ctx} ${L}Q ${Q} vs ${t.reactive}`,
    );
    const v = Math.sqrt(t.v2 + noise.v ** 2),
      i = Math.sqrt(t.i2 + noise.i ** 2);
    assert.ok(relErr(b.get(L + 'V')!, v) <= LIMIT.rms, `${ctx} ${L}V ${b.get(L + 'V')} vs ${v}`);
    assert.ok(relErr(b.get(L + 'I')!, i) <= LIMIT.rms, `${ctx} ${L}I ${b.get(L + 'I')} vs ${i}`);
    pSum += t.active;
    qSum += t.reactive;
  });
  assert.ok(relErr(b.get('P')!, pSum) <= LIMIT.active, `${ctx} P ${b.get('P')} vs ${pSum}`);
  const dA = b.get('A+')! - a.get('A+')!,
    expA = (pSum * secs * UWH_PER_J) / 1e6;
  assert.ok(relErr(dA, expA) <= LIMIT.active, `${ctx} A+ ${dA} vs ${expA}`);
  const dQ = b.get('R.Q1')! - a.get('R.Q1')! - (b.get('R.Q4')! - a.get('R.Q4')!),
    expQ = (qSum * secs) / 3600;
  const sSum = scn.phases.reduce((acc, _, p) => {
    const t = truth(scn, p, 0, 1);
    return acc + Math.sqrt(t.v2 * t.i2);
  }, 0);
  assert.ok(Math.abs(dQ - expQ) <= LIMIT.reactive * Math.max(Math.abs(expQ), (0.01 * sSum * secs) / 3600), `${ctx} R ${dQ} vs ${expQ}`);
}

// Sets the loads, then compares two consecutive seconds measured wholly under them.
async function point(node: FirmwareNode, loads: Load[], ctx: string, noise?: { v: number; i: number }) {
  let from = 0;
  for (const [k, l] of loads.entries()) from = Math.max(from, await ok(node, `METRO LOAD ${k + 1} ${l.mv} ${l.ma} ${l.cd}`));
  const a = await showAt(node, from + 1);
  const b = await showAt(node, a.get('second')! + 1);
  check(a, b, scenario(loads), ctx, noise);
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`legal: three-phase front-end (L2, L3 over the STPM link) on ${platform}`, function () {
    this.timeout(120000);
    let node: FirmwareNode;
    before(async () => {
      node = await FirmwareNode.start({ platform, role: 'meter' });
      await node.waitFor(/^PARTS started$/);
    });
    after(async () => {
      await node.stop();
    });

    it('bad METRO HARM / NOISE / LINK parameters give one ERROR line', async () => {
      for (const bad of [
        'METRO HARM 4 3 10 10 0',
        'METRO HARM 1 1 10 10 0',
        'METRO HARM 1 16 10 10 0',
        'METRO HARM 1 3 1001 0 0',
        'METRO HARM 1 3 10 10 18001',
        'METRO HARM 1 3 10 10',
        'METRO NOISE -1 0',
        'METRO NOISE 0 10001',
        'METRO LINK 1001 0 0',
        'METRO LINK 0 0',
      ]) {
        const lines = await node.command(bad, /^ERROR /);
        assert.equal(lines.length, 1, bad);
      }
    });

    it('5 %, 100 %, 120 % Ib at PF 1, 0.5i, 0.8c on every phase: P, energy 0.2 %, Q 0.5 %, V and I 0.1 %, N.I', async () => {
      for (const pct of [5, 100, 120]) {
        for (let r = 0; r < 3; r++) {
          // each phase sees each PF once
          const loads = [0, 1, 2].map((k) => ({ mv: 230000 + 1000 * k, ma: (IB * pct) / 100, cd: ANGLES[(k + r) % 3]! }));
          await point(node, loads, `${pct}% r${r}`);
        }
      }
      // neutral: In = -(i1 + i2 + i3), fundamental phasors 120 degrees apart
      const loads = [
        { ma: 5000, cd: 0 },
        { ma: 2000, cd: 0 },
        { ma: 2000, cd: 0 },
      ];
      let from = 0;
      for (const [k, l] of loads.entries()) from = Math.max(from, await ok(node, `METRO LOAD ${k + 1} 230000 ${l.ma} ${l.cd}`));
      const s = await showAt(node, from + 1);
      assert.ok(relErr(s.get('N.I')!, 3) <= LIMIT.rms, `N.I ${s.get('N.I')} vs 3`);
    });

    it('with harmonics (3rd, 5th) and ADC noise: the same limits against the truth', async () => {
      const vh = [
        { h: 3, ratio: 0.05, deg: 0 },
        { h: 5, ratio: 0.03, deg: 0 },
      ];
      const ih = (cd: number) => [
        { h: 3, ratio: 0.2, deg: -30 },
        { h: 5, ratio: 0.1, deg: -cd / 100 },
      ];
      for (let k = 1; k <= 3; k++) {
        await ok(node, `METRO HARM ${k} 3 50 200 3000`);
        await ok(node, `METRO HARM ${k} 5 30 100 ${k * 1000}`);
      }
      await ok(node, 'METRO NOISE 200 5 9');
      for (const pct of [10, 100]) {
        const loads = [0, 1, 2].map((k) => ({ mv: 230000, ma: (IB * pct) / 100, cd: ANGLES[k]!, vh, ih: ih((k + 1) * 1000) }));
        await point(node, loads, `harm+noise ${pct}%`, { v: 0.2, i: 0.005 });
      }
      for (let k = 1; k <= 3; k++) {
        await ok(node, `METRO HARM ${k} 3 0 0 0`);
        await ok(node, `METRO HARM ${k} 5 0 0 0`);
      }
      await ok(node, 'METRO NOISE 0 0');
    });

    it('link faults are detected, counted and retried; no wrong value; energy is kept across failed reads', async () => {
      const loads = [0, 1, 2].map((k) => ({ mv: 230000, ma: 4000, cd: ANGLES[k]! }));
      const scn = scenario(loads);
      let from = 0;
      for (const [k, l] of loads.entries()) from = Math.max(from, await ok(node, `METRO LOAD ${k + 1} ${l.mv} ${l.ma} ${l.cd}`));
      const a = await showAt(node, from + 1);
      const before = await stats(node);
      await ok(node, 'METRO LINK 15 15 15 7');
      let s = a,
        unavailable = 0;
      for (let n = 0; n < 8; n++) {
        s = await showAt(node, s.get('second')! + 1);
        for (const p of [1, 2]) {
          const L = `L${p + 1}.`;
          if (Number.isNaN(s.get(L + 'P')!)) {
            unavailable++;
            assert.ok(Number.isNaN(s.get('P')!), 'a total without a phase is unavailable');
            continue;
          }
          const t = truth(scn, p, 0, 1);
          assert.ok(relErr(s.get(L + 'P')!, t.active) <= LIMIT.active, `${L}P under faults ${s.get(L + 'P')} vs ${t.active}`);
          assert.ok(relErr(s.get(L + 'V')!, Math.sqrt(t.v2)) <= LIMIT.rms, `${L}V under faults`);
        }
      }
      const after = await stats(node);
      const errors = ['link.crc', 'link.timeouts', 'link.device'].reduce((acc, k) => acc + after.get(k)! - before.get(k)!, 0);
      assert.ok(errors > 0, `errors counted: ${[...after].join(' ')}`);
      assert.ok(after.get('link.retries')! > before.get('link.retries')!, 'retried');
      assert.ok(
        after.get('link.failed')! - before.get('link.failed')! >= unavailable / 2,
        'every unavailable second is a counted failed read',
      );
      await ok(node, 'METRO LINK 0 0 0');
      let b = await showAt(node, s.get('second')! + 1);
      while (Number.isNaN(b.get('L2.P')!)) b = await showAt(node, b.get('second')! + 1);
      // energy from a to b: the device's accumulators carried every failed second
      const secs = b.get('second')! - a.get('second')!;
      const pSum = [0, 1, 2].reduce((acc, p) => acc + truth(scn, p, 0, 1).active, 0);
      const dA = b.get('A+')! - a.get('A+')!,
        expA = (pSum * secs * UWH_PER_J) / 1e6;
      assert.ok(relErr(dA, expA) <= LIMIT.active, `A+ across faults ${dA} vs ${expA} over ${secs} s`);
    });

    it('the metrology LEDs pulse on the three-phase totals (1000 imp/kWh, 1000 imp/kvarh)', async () => {
      const loads = [0, 1, 2].map((k) => ({ mv: 230000, ma: 30000, cd: ANGLES[k]! }));
      let from = 0;
      for (const [k, l] of loads.entries()) from = Math.max(from, await ok(node, `METRO LOAD ${k + 1} ${l.mv} ${l.ma} ${l.cd}`));
      const led = async () => {
        const [line] = await node.command('METRO LED', /^led\./);
        const m = /^led\.active=(\d+) imp\/kWh=1000 led\.reactive=(\d+) imp\/kvarh=1000$/.exec(line!);
        assert.ok(m, line);
        return { p: Number(m[1]), q: Number(m[2]) };
      };
      const reactive = (s: Show) => ['R.Q1', 'R.Q2', 'R.Q3', 'R.Q4'].reduce((acc, k) => acc + s.get(k)!, 0);
      const a = await showAt(node, from + 1),
        la = await led();
      const b = await showAt(node, a.get('second')! + 6),
        lb = await led();
      // a second may end between SHOW and LED: one second's energy (< 6 Wh) plus the pulse
      // remainders; L1 alone would be a third of the totals, 20 Wh short over 6 s
      const slack = 2 + b.get('S')! / 3600;
      const dA = b.get('A+')! - a.get('A+')!,
        dR = reactive(b) - reactive(a);
      assert.ok(dA > 20, `A+ moved ${dA} Wh`);
      assert.ok(Math.abs(lb.p - la.p - dA) <= slack, `active LED ${lb.p - la.p} pulses vs ${dA} Wh`);
      assert.ok(Math.abs(lb.q - la.q - dR) <= slack, `reactive LED ${lb.q - la.q} pulses vs ${dR} varh`);
    });
  });
}

// The single-phase layout: role meter-1p on lin, and the STM32F405's meter (single-phase by its
// manifest; its front-end model is built without harmonics or METRO HARM/NOISE, for RAM: the
// accuracy points there are the fundamental ones, which lin and mps2-an386 cover above). The
// STM32F405 meter also on Renode (the chip's real memory map: docs/renode.md), L1 only.
for (const [platform, role, emulator] of [
  ['lin', 'meter-1p'],
  ['stm32f405', 'meter'],
  ['stm32f405', 'meter', 'renode'],
] as [Platform, Role, Emulator?][]) {
  describe(`legal: single-phase meter (role ${role}) on ${platform}${emulator ? ` (${emulator})` : ''}`, function () {
    this.timeout(120000);
    let node: FirmwareNode;
    before(async function () {
      if (emulator === 'renode' && !findRenode()) {
        console.log(`      ${RENODE_INSTALL}`);
        this.skip();
      }
      node = await FirmwareNode.start({ platform, role, ...(emulator ? { emulator } : {}) });
      await node.waitFor(/^PARTS started$/, emulator === 'renode' ? 30000 : 10000);
    });
    after(async () => {
      await node?.stop();
    });

    it('measures L1 only, within the limits, with N.I = I1; no second device', async () => {
      for (const bad of ['METRO LOAD 2 230000 5000 0', 'METRO LINK 0 0 0', 'METRO HARM 2 3 10 10 0']) {
        const lines = await node.command(bad, /^ERROR /);
        assert.equal(lines.length, 1, bad);
      }
      for (const [ma, cd] of [
        [250, 6000],
        [6000, -3687],
      ] as const) {
        await point(node, [{ mv: 230000, ma, cd }], `1p ${ma} mA`);
        const s = (await show(node))!;
        assert.equal(s.has('L2.P'), false, 'no L2 in METRO SHOW');
        assert.ok(relErr(s.get('N.I')!, ma / 1000) <= LIMIT.rms, `N.I ${s.get('N.I')}`);
      }
      const st = await stats(node);
      assert.equal(st.get('link.frames'), 0);
    });

    if (platform === 'lin')
      it('watches L1 only for voltage events: an interruption of every phase, then a power cut, logs nothing on L2 or L3', async () => {
        // a phase the layout does not have must not be watched: it reads as interrupted from boot,
        // an open event that the next boot journals
        const dir = mkdtempSync(join(tmpdir(), 'meterfw-1p-'));
        const o = { platform, role, nvram: join(dir, 'nvram.bin') };
        let n = await FirmwareNode.start(o);
        try {
          await n.waitFor(/^PARTS started$/, 10000);
          await n.command('METRO EVENT 4 0 0 1500', /^(METRO EVENT|ERROR)/);
          await waitEvent(n, 'INTERRUPTION', 0);
          await n.stop();
          n = await FirmwareNode.start(o);
          await n.waitFor(/^PARTS started$/, 10000);
          const log = await logOf(n);
          assert.ok(
            log.some((e) => e.type === 'POWER_RESTORE'),
            'the cut is logged',
          );
          assert.deepEqual(
            log.filter((e) => e.phase > 1).map((e) => `${e.type} L${e.phase}`),
            [],
          );
          assert.deepEqual(
            log.filter((e) => e.type === 'INTERRUPTION').map((e) => e.phase),
            [1],
          );
        } finally {
          await n.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      });

    if (platform === 'stm32f405' && !emulator) {
      it('5 %, 100 %, 120 % Ib at PF 1, 0.5i, 0.8c: P, energy 0.2 %, Q 0.5 %, V and I 0.1 %', async () => {
        for (const pct of [5, 100, 120]) {
          for (const cd of ANGLES) await point(node, [{ mv: 230000, ma: (IB * pct) / 100, cd }], `1p ${pct}% ${cd}`);
        }
      });
    }
  });
}
