// BENCH DSP: a TypeScript port of the metrology DSP's hot path (drivers/metrology/dsp.c,
// dsp_process_block() with end_subwindow(), end_cycle() and the per-phase part of end_second()),
// for 3 phases at 4 kHz, to compare its cost on XS with the native C. Same samples (int32, as the
// front-end delivers them), same multiply-accumulates (window sums, the NCO-driven sub-window
// DFT correlation for the fundamental reactive power, neutral and residual sums), same
// zero-crossing comparator with hysteresis, interpolation and per-cycle rms.
// Differences, all in number format, none in work done: the C sums in int64 and computes the
// per-second figures in float; script numbers are doubles, so a product of two 24-bit samples
// is exact and a sum stays exact up to 2^53 (beyond, a relative rounding of 1e-16). No energy
// registers, LED pulses or flags: those run once per second, not per sample.
// Loaded by `BENCH DSP` with a dynamic import only when the command runs (no RAM at boot).
import { gridSamples } from 'drivers/gridmodel/gridmodel';
import { cycles } from '../platform.js';

const PHASES = 3;
const FS = 4000;
const SUBWINDOWS = 10;
const N_SUB = FS / SUBWINDOWS;
const FNOM = 50;
const TAB_N = 1024;
const TAB_SHIFT = 22; // 32 - DSP_TAB_BITS
const Q15 = 32767;
const V_LSB = 1e-4; // V per LSB (FE_V_LSB_UV)
const I_LSB = 2e-5; // A per LSB (FE_I_LSB_UA)
const FULL_SCALE = 8388607;
/** Samples are interleaved v1 i1 v2 i2 v3 i3 in: this many int32 per sample. */
export const SAMPLE_WIDTH = 2 * PHASES + 1;

class Phase {
  sv = 0;
  si = 0;
  svv = 0;
  sii = 0;
  svi = 0; // window sums
  vc = 0;
  vs = 0;
  ic = 0;
  is = 0; // sub-window DFT sums
  v1sq = 0;
  i1sq = 0;
  q1 = 0;
  vPrev = 0;
  offset = 0;
  hyst = 1 / V_LSB;
  jump = FULL_SCALE;
  armed = false;
  cycFromCrossing = false;
  perN = 0;
  perSum = 0;
  tPrev = -1e9;
  cycVv = 0;
  cycX = 0;
  dcAcc = 0;
  dcN = 0;
  cycN = 0;
  cycFrac = 0;
  cycMin = 3.4e38;
  cycMax = 0;
}

/** Results of the last completed second: per phase Vrms V, Irms A, P W, Q var, f Hz. */
export interface PhaseResult {
  v: number;
  i: number;
  p: number;
  q: number;
  f: number;
}

export class DspTs {
  readonly costab = new Int16Array(TAB_N);
  readonly ph: Phase[] = [];
  readonly res: PhaseResult[] = [];
  readonly cycLimit = (2 * FS) / FNOM;
  readonly perLo = (0.5 * FS) / FNOM;
  readonly perHi = (1.5 * FS) / FNOM;
  k = 0;
  kSub = 0;
  second = 0;
  nco = 0;
  ncoStep = 0;
  kc = 0;
  ks = 0;
  sn = 0;
  snn = 0;
  sr = 0;
  srr = 0;

  constructor() {
    for (let k = 0; k < TAB_N; k++) {
      const c = Math.cos((2 * Math.PI * k) / TAB_N) * Q15;
      this.costab[k] = Math.trunc(c >= 0 ? c + 0.5 : c - 0.5);
    }
    for (let p = 0; p < PHASES; p++) {
      this.ph.push(new Phase());
      this.res.push({ v: 0, i: 0, p: 0, q: 0, f: 0 });
    }
    this.setNco(FNOM);
  }

  private setNco(f: number) {
    if (!(f > 0.9 * FNOM && f < 1.1 * FNOM)) f = FNOM;
    this.ncoStep = Math.trunc(f * (4294967296 / FS)) >>> 0;
  }

  /** dsp_process_block() on n samples of s (interleaved); returns the seconds completed. */
  process(s: Int32Array, n: number): number {
    const tab = this.costab,
      ph = this.ph;
    let done = 0;
    for (let j = 0, b = 0; j < n; j++, b += SAMPLE_WIDTH) {
      const idx = (((this.nco + (1 << (TAB_SHIFT - 1))) >>> 0) >>> TAB_SHIFT) & (TAB_N - 1);
      const co = tab[idx]!;
      const si = tab[(idx - TAB_N / 4) & (TAB_N - 1)]!;
      const inn = s[b + 2 * PHASES]!;
      let res = inn;

      this.kc += tab[(2 * idx) & (TAB_N - 1)]!;
      this.ks += tab[(2 * idx - TAB_N / 4) & (TAB_N - 1)]!;
      this.nco = (this.nco + this.ncoStep) >>> 0;
      this.sn += inn;
      this.snn += inn * inn;

      for (let p = 0; p < PHASES; p++) {
        const h = ph[p]!;
        const v = s[b + 2 * p]!,
          i = s[b + 2 * p + 1]!;
        const x = v - h.offset;

        h.sv += v;
        h.si += i;
        h.svv += v * v;
        h.sii += i * i;
        h.svi += v * i;
        h.vc += v * co;
        h.vs += v * si;
        h.ic += i * co;
        h.is += i * si;
        res += i;

        // positive-going zero crossing, interpolated between samples
        if (x < -h.hyst) {
          h.armed = true;
        } else if (h.armed && x >= 0 && h.vPrev < 0 && x - h.vPrev > h.jump) {
          h.armed = false; // a step to ~0 (interruption), not a crossing
        } else if (h.armed && x >= 0 && h.vPrev < 0) {
          const frac = -h.vPrev / (x - h.vPrev);
          const t = this.k - 1 + frac,
            dt = t - h.tPrev;
          if (dt > this.perLo && dt < this.perHi) {
            h.perSum += dt;
            h.perN++;
          }
          h.tPrev = t;
          h.armed = false;
          endCycle(h, frac, true);
        }
        h.vPrev = x;
        h.cycVv += x * x;
        h.cycX += x;
        if (++h.cycN >= this.cycLimit) endCycle(h, 0, false);
      }
      this.sr += res;
      this.srr += res * res;

      if (++this.kSub === N_SUB) this.endSubwindow();
      if (++this.k === FS) {
        this.endSecond();
        done++;
      }
    }
    return done;
  }

  private endSubwindow() {
    const invN = 1 / (N_SUB * Q15);
    const kre = this.kc * invN,
      kim = -this.ks * invN;
    const den = 1 - (kre * kre + kim * kim);
    for (const h of this.ph) {
      // phasors with the -f image removed: Z = (X - K conj(X)) / (1 - |K|^2), peak = 2Z
      let xr = h.vc * invN,
        xi = -h.vs * invN;
      const vr = (2 * (xr - (kre * xr + kim * xi))) / den,
        vi = (2 * (xi - (kim * xr - kre * xi))) / den;
      xr = h.ic * invN;
      xi = -h.is * invN;
      const ir = (2 * (xr - (kre * xr + kim * xi))) / den,
        ii = (2 * (xi - (kim * xr - kre * xi))) / den;
      h.q1 += 0.5 * (vi * ir - vr * ii);
      h.v1sq += 0.5 * (vr * vr + vi * vi);
      h.i1sq += 0.5 * (ir * ir + ii * ii);
      h.vc = h.vs = h.ic = h.is = 0;
    }
    this.kc = this.ks = 0;
    this.kSub = 0;
    for (const h of this.ph) {
      if (h.perN >= 2) {
        this.setNco((h.perN * FS) / h.perSum);
        break;
      }
    }
  }

  private endSecond() {
    const invN = 1 / FS;
    let fTrack = 0;
    for (let p = 0; p < PHASES; p++) {
      const h = this.ph[p]!,
        r = this.res[p]!;
      const mv = h.sv * invN,
        mi = h.si * invN;
      const vrmsLsb = meanRms(h.sv, h.svv, invN);
      r.v = vrmsLsb * V_LSB;
      r.i = meanRms(h.si, h.sii, invN) * I_LSB;
      r.p = (h.svi * invN - mv * mi) * (V_LSB * I_LSB);
      r.q = (h.q1 / SUBWINDOWS) * (V_LSB * I_LSB);
      r.f = h.perN > 0 ? (h.perN * FS) / h.perSum : 0;
      if (fTrack === 0) fTrack = r.f;
      // comparator for the next second (dsp.c end_second)
      if (h.dcN) h.offset += Math.trunc(h.dcAcc / h.dcN);
      h.dcAcc = 0;
      h.dcN = 0;
      h.hyst = vrmsLsb * 0.2 > 1 / V_LSB ? Math.trunc(vrmsLsb * 0.2) : Math.trunc(1 / V_LSB);
      // biome-ignore lint/suspicious/noApproximativeNumericConstant: the constants of drivers/metrology/dsp.c, so both give the same integers
      h.jump = Math.trunc(((3 * 1.41421356 * 6.2831853 * FNOM) / FS) * h.hyst * 5);
      h.sv = h.si = h.svv = h.sii = h.svi = 0;
      h.v1sq = h.i1sq = h.q1 = 0;
      h.perN = 0;
      h.perSum = 0;
      h.tPrev -= FS;
      h.cycMin = 3.4e38;
      h.cycMax = 0;
    }
    this.sn = this.snn = this.sr = this.srr = 0;
    this.k = 0;
    this.second++;
    this.setNco(fTrack);
  }
}

function meanRms(sum: number, sumsq: number, invN: number): number {
  const m = sum * invN;
  const ms = sumsq * invN - m * m;
  return ms > 0 ? Math.sqrt(ms) : 0;
}

// Per-cycle rms (sag/swell) and the whole-cycle DC mean for the comparator: dsp.c end_cycle().
function endCycle(h: Phase, at: number, atCrossing: boolean) {
  if (h.cycN && (h.cycFromCrossing || !atCrossing)) {
    const period = h.cycN + at - h.cycFrac;
    const ms = h.cycVv / period;
    if (atCrossing) {
      h.dcAcc += h.cycX / period;
      h.dcN++;
    }
    if (ms < h.cycMin) h.cycMin = ms;
    if (ms > h.cycMax) h.cycMax = ms;
  }
  h.cycFromCrossing = atCrossing;
  h.cycFrac = at;
  h.cycVv = 0;
  h.cycX = 0;
  h.cycN = 0;
}

/** BENCH DSP <seconds>: feeds the port the METRO model's samples (restarted at its sample 0),
 * 80 per block, and counts the cycles spent in process() only. Prints
 * `ts.dsp.cycles=<n> samples=<n>`, then the last second per phase (to check the port against
 * METRO SHOW): `ts.last L1.P=<W> L1.Q=<var> L1.F=<Hz> ...`. */
export function bench(seconds: number, out: (text: string) => void): void {
  if (!(seconds >= 1 && seconds <= 60)) throw new RangeError('seconds 1..60');
  const dsp = new DspTs(),
    buf = new Int32Array(80 * SAMPLE_WIDTH);
  let spent = 0,
    samples = 0;
  while (samples < seconds * FS) {
    const n = gridSamples(buf, samples === 0 ? 1 : 0);
    const t0 = cycles();
    dsp.process(buf, n);
    spent += cycles() - t0;
    samples += n;
  }
  let line = 'ts.last';
  dsp.res.forEach((r, k) => {
    line += ` L${k + 1}.P=${r.p.toFixed(4)} L${k + 1}.Q=${r.q.toFixed(4)} L${k + 1}.F=${r.f.toFixed(4)}`;
  });
  out(`ts.dsp.cycles=${spent} samples=${samples}\r\n${line}\r\n`);
}
