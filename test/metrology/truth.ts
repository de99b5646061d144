// Independent truth for the metrology tests: exact integrals of the scenario's
// waveforms, written from the definitions in drivers/gridmodel/fe_model.h
// (not from its C code), plus the scenario text the C harness reads.

export interface Harmonic {
  h: number;
  ratio: number;
  deg: number;
}
export interface PhaseScn {
  vrms: number;
  irms: number;
  angle: number; // current lag, degrees (+ inductive)
  vAngle: number; // voltage origin, degrees
  vh?: Harmonic[];
  ih?: Harmonic[];
}
export type EventKind = 'load' | 'sag' | 'swell' | 'int' | 'rev' | 'tamper' | 'bypass';
export interface MeterEvent {
  kind: EventKind;
  mask: number;
  start: number;
  dur: number;
  factor?: number;
  flags?: number;
}
export interface Scenario {
  freq: number;
  seconds: number;
  seed?: number;
  fs?: number;
  noiseV?: number;
  noiseI?: number;
  offsetV?: number;
  offsetI?: number;
  nominal?: [number, number, number]; // vnom, inom, fnom
  led?: [number, number];
  phases: PhaseScn[];
  events?: MeterEvent[];
}

export function scenarioText(s: Scenario): string {
  const out = [
    `fs ${s.fs ?? 4000}`,
    `phases ${s.phases.length}`,
    `freq ${s.freq}`,
    `seconds ${s.seconds}`,
    `seed ${s.seed ?? 1}`,
    `noise ${s.noiseV ?? 0} ${s.noiseI ?? 0}`,
    `offset ${s.offsetV ?? 0} ${s.offsetI ?? 0}`,
  ];
  if (s.nominal) out.push(`nominal ${s.nominal.join(' ')}`);
  if (s.led) out.push(`led ${s.led.join(' ')}`);
  s.phases.forEach((p, k) => {
    out.push(`phase ${k} ${p.vrms} ${p.irms} ${p.angle} ${p.vAngle}`);
    for (const h of p.vh ?? []) out.push(`vh ${k} ${h.h} ${h.ratio} ${h.deg}`);
    for (const h of p.ih ?? []) out.push(`ih ${k} ${h.h} ${h.ratio} ${h.deg}`);
  });
  for (const e of s.events ?? []) out.push(`event ${e.kind} ${e.mask} ${e.start} ${e.dur} ${e.factor ?? 1} ${e.flags ?? 0}`);
  return out.join('\n') + '\n';
}

interface Tone {
  h: number;
  amp: number;
  ph: number;
} // amp peak, ph radians
const RAD = Math.PI / 180;

function tones(rms: number, harm: Harmonic[] | undefined, thv: number, fundPh: number): Tone[] {
  if (rms === 0) return [];
  const t: Tone[] = [{ h: 1, amp: Math.SQRT2 * rms, ph: thv + fundPh }];
  for (const x of harm ?? []) if (x.ratio !== 0) t.push({ h: x.h, amp: Math.SQRT2 * rms * x.ratio, ph: x.h * thv + x.deg * RAD });
  return t;
}

// integral over [a,b] of (sum_j x_j cos(h_j w t + p_j)) (sum_k y_k cos(h_k w t + q_k))
function integral(x: Tone[], y: Tone[], w: number, a: number, b: number): number {
  // antiderivative of cos(W t + c) is sin(W t + c) / W, or t cos c when W = 0
  const cosInt = (W: number, c: number) => (W === 0 ? (b - a) * Math.cos(c) : (Math.sin(W * b + c) - Math.sin(W * a + c)) / W);
  let acc = 0;
  for (const p of x)
    for (const q of y) {
      const k = (p.amp * q.amp) / 2;
      acc += k * cosInt((p.h - q.h) * w, p.ph - q.ph) + k * cosInt((p.h + q.h) * w, p.ph + q.ph);
    }
  return acc;
}

export interface Truth {
  active: number;
  reactive: number;
  v2: number;
  i2: number;
} // J, var s, V2 s, A2 s

// Event factors on the measured channels of phase p at time t (fe_model.h semantics).
function factors(s: Scenario, p: number, t: number): { kv: number; ki: number } {
  let kv = 1,
    ki = 1;
  for (const e of s.events ?? []) {
    if (t < e.start || t >= e.start + e.dur || !(e.mask & (1 << p))) continue;
    const f = e.factor ?? 1;
    if (e.kind === 'load' || e.kind === 'bypass') ki *= f;
    else if (e.kind === 'sag' || e.kind === 'swell') kv *= f;
    else if (e.kind === 'int') {
      kv = 0;
      ki = 0;
    } else if (e.kind === 'rev') ki = -ki;
  }
  return { kv, ki };
}

export function truth(s: Scenario, p: number, t0: number, t1: number): Truth {
  const ph = s.phases[p]!;
  const w = 2 * Math.PI * s.freq,
    thv = ph.vAngle * RAD,
    phi = ph.angle * RAD;
  const vt = tones(ph.vrms, ph.vh, thv, 0),
    it = tones(ph.irms, ph.ih, thv, -phi);
  const cuts = [t0, t1];
  for (const e of s.events ?? []) for (const c of [e.start, e.start + e.dur]) if (c > t0 && c < t1) cuts.push(c);
  cuts.sort((a, b) => a - b);
  const r: Truth = { active: 0, reactive: 0, v2: 0, i2: 0 };
  for (let k = 0; k + 1 < cuts.length; k++) {
    const a = cuts[k]!,
      b = cuts[k + 1]!;
    if (b <= a) continue;
    const { kv, ki } = factors(s, p, (a + b) / 2);
    r.active += kv * ki * integral(vt, it, w, a, b);
    r.v2 += kv * kv * integral(vt, vt, w, a, b);
    r.i2 += ki * ki * integral(it, it, w, a, b);
    r.reactive += kv * ki * ph.vrms * ph.irms * Math.sin(phi) * (b - a); // fundamental Q
  }
  return r;
}

export const UWH_PER_J = 1e6 / 3600;
