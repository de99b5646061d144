// Builds and runs the C harness (drivers/metrology/test/metro_check.c) and
// derives the expected register values from truth.ts, second by second.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Scenario, scenarioText, truth, UWH_PER_J } from './truth.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SRC = join(ROOT, 'drivers', 'metrology');
/** The grid model (fe_model.c, stpm_model.c), built against the metering's headers (-I SRC). */
export const GRID = join(ROOT, 'drivers', 'gridmodel');
export const OUT = join(ROOT, 'build', 'test', 'metrology');

export function buildHarness(defines: string[] = []): string {
  mkdirSync(OUT, { recursive: true });
  const exe = join(OUT, 'metro_check' + defines.map((d) => '_' + d.replace(/\W/g, '')).join(''));
  execFileSync('gcc', [
    '-std=c99',
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    ...defines.map((d) => '-D' + d),
    `-I${SRC}`,
    '-o',
    exe,
    join(SRC, 'test', 'metro_check.c'),
    join(SRC, 'dsp.c'),
    join(GRID, 'fe_model.c'),
    '-lm',
  ]);
  return exe;
}

export interface Sec {
  s: number;
  ph: number;
  vrms: number;
  irms: number;
  v1: number;
  i1: number;
  p: number;
  q: number;
  sa: number;
  pf: number;
  f: number;
  vmin: number;
  vmax: number;
  flags: number;
  fe: number;
}
export interface Tot {
  s: number;
  p: number;
  q: number;
  sa: number;
  in: number;
  res: number;
  flags: number;
  ledp: number;
  ledq: number;
}
export interface Run {
  sec: Sec[];
  tot: Tot[];
  energy: Map<number, number[]>; // phase (-1 = total) -> registers, micro-units
  ctruth: Map<number, { a: number; r: number; v2: number; i2: number }>;
}

export function run(exe: string, s: Scenario): Run {
  const text = execFileSync(exe, { input: scenarioText(s), encoding: 'utf8' });
  const r: Run = { sec: [], tot: [], energy: new Map(), ctruth: new Map() };
  for (const line of text.trim().split('\n')) {
    const o = JSON.parse(line);
    if (o.t === 'sec') r.sec.push(o);
    else if (o.t === 'tot') r.tot.push(o);
    else if (o.t === 'energy') r.energy.set(o.ph, o.reg);
    else if (o.t === 'truth') r.ctruth.set(o.ph, o);
  }
  return r;
}

// DSP flag bits (dsp.h)
export const FLAG = { SAG: 1, SWELL: 2, INT: 4, REVERSE: 8, NO_LOAD: 16, NO_FREQ: 32, CLIP: 64, RESIDUAL: 128, TAMPER: 256 };
export const REG = { A_IMP: 0, A_EXP: 1, Q1: 2, Q2: 3, Q3: 4, Q4: 5, APP: 6 };

// Expected registers [A+, A-, Q1..Q4, S] in micro-units: the truth of each
// second is classified by its own signs, as the meter does.
export function expectedRegisters(s: Scenario, phase: number | 'total'): number[] {
  const reg = [0, 0, 0, 0, 0, 0, 0];
  const noLoad = 0.001 * (s.nominal?.[0] ?? 230) * (s.nominal?.[1] ?? 5);
  const phases = phase === 'total' ? s.phases.map((_, k) => k) : [phase];
  for (let t = 0; t < s.seconds; t++) {
    let p = 0,
      q = 0,
      sa = 0;
    for (const k of phases) {
      const x = truth(s, k, t, t + 1);
      const sk = Math.sqrt(x.v2 * x.i2);
      if (sk < noLoad) continue;
      p += x.active;
      q += x.reactive;
      sa += sk;
    }
    if (sa < noLoad) continue;
    reg[p >= 0 ? REG.A_IMP : REG.A_EXP]! += Math.abs(p) * UWH_PER_J;
    const rq = p >= 0 ? (q >= 0 ? REG.Q1 : REG.Q4) : q >= 0 ? REG.Q2 : REG.Q3;
    reg[rq]! += Math.abs(q) * UWH_PER_J;
    reg[REG.APP]! += sa * UWH_PER_J;
  }
  return reg;
}

export const relErr = (meas: number, exp: number) => Math.abs(meas - exp) / Math.abs(exp);
