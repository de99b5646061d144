// Scenarios: events over simulated time for a network run (`npm run sim -- --scenario FILE`,
// `--storm-at S`). A scenario file is JSON (docs/scenarios.md):
//
//   { "events": [ { "at": <simulated s>, "do": <action>, "meters": "all" | [<i>, ...], ... } ] }
//
// Actions and their fields:
//   load     phase 1..3, vrms (V), irms (A), angleDeg (current lag, + inductive)   METRO LOAD
//   sag      phase 0..3 (0: all), factor 0..1 of the nominal voltage, durationS   METRO EVENT 2
//   swell    phase 0..3, factor 1..2, durationS                                    METRO EVENT 3
//   tamper   kind cover|magnet|both, durationS                                     METRO EVENT 6
//   outage   durationS: the supply is lost (the meter sees the interruption and has holdUpS of
//            hold-up, default 1 s, for a last gasp), then the meter is off; at at+durationS its
//            supply returns and it boots again on the same NVRAM
//   off      the meter is switched off at once (no hold-up); `on` boots it again
//   on       boots a meter switched off
//   noise    levelDbuv, durationS: a noise burst at those meters' receivers (the medium's model)
//   kick     the concentrator removes those meters from the PAN (PLC KICK); they rejoin
//   shell    node "concentrator" or meters: the shell command `command`, as typed
//   unmetered  phase 1..3 (grid phase L1..L3), vrms, irms, angleDeg: a load behind the transformer
//            that no meter measures (a theft, a street light); a scenario that has one models the
//            transformer (emulator/transformer.ts): the concentrator's METRO carries the sum of
//            the meters' loads and the unmetered ones, per phase
// Meters are numbered 1..N as the simulator names them (meter-<i>). Every field is checked:
// a bad file gets one line that names the event and the field.
import type { NoiseBurst } from './medium/channel.js';

export type Selector = 'all' | readonly number[];

export type ScenarioEvent =
  | { at: number; do: 'load'; meters: Selector; phase: number; vrms: number; irms: number; angleDeg: number }
  | { at: number; do: 'sag' | 'swell'; meters: Selector; phase: number; factor: number; durationS: number }
  | { at: number; do: 'tamper'; meters: Selector; kind: 'cover' | 'magnet' | 'both'; durationS: number }
  | { at: number; do: 'outage'; meters: Selector; durationS: number; holdUpS: number }
  | { at: number; do: 'off' | 'on' | 'kick'; meters: Selector }
  | { at: number; do: 'noise'; meters: Selector; levelDbuv: number; durationS: number }
  | { at: number; do: 'shell'; node: 'concentrator' | Selector; command: string }
  | { at: number; do: 'unmetered'; phase: number; vrms: number; irms: number; angleDeg: number };

export interface Scenario {
  events: ScenarioEvent[];
}

export class ScenarioError extends Error {}

const ACTIONS = ['load', 'sag', 'swell', 'tamper', 'outage', 'off', 'on', 'noise', 'kick', 'shell', 'unmetered'] as const;
/** Longest simulated time a scenario may address (30 days). */
export const SCENARIO_MAX_S = 30 * 86400;
/** Most events in one scenario. */
export const SCENARIO_MAX_EVENTS = 10000;

/** Parses and checks a scenario against a network of `meters` meters. */
export function parseScenario(text: string, meters: number): Scenario {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { events?: unknown }).events))
    throw new ScenarioError('expects an object with an "events" array');
  const raw = (doc as { events: unknown[] }).events;
  if (raw.length > SCENARIO_MAX_EVENTS) throw new ScenarioError(`${raw.length} events: at most ${SCENARIO_MAX_EVENTS}`);
  const events = raw.map((e, i) => parseEvent(e, i, meters));
  // stable: events at the same instant keep the file's order
  return {
    events: events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
      .map((x) => x.e),
  };
}

function parseEvent(e: unknown, i: number, meters: number): ScenarioEvent {
  const where = `event ${i + 1}`;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new ScenarioError(`${where}: expects an object`);
  const o = e as Record<string, unknown>;
  const act = o.do;
  if (typeof act !== 'string' || !(ACTIONS as readonly string[]).includes(act))
    throw new ScenarioError(`${where}: "do" must be one of ${ACTIONS.join(', ')}`);
  const allowed: Record<string, string[]> = {
    load: ['phase', 'vrms', 'irms', 'angleDeg'],
    sag: ['phase', 'factor', 'durationS'],
    swell: ['phase', 'factor', 'durationS'],
    tamper: ['kind', 'durationS'],
    outage: ['durationS', 'holdUpS'],
    off: [],
    on: [],
    kick: [],
    noise: ['levelDbuv', 'durationS'],
    shell: ['node', 'command'],
    unmetered: ['phase', 'vrms', 'irms', 'angleDeg'],
  };
  const known = ['at', 'do', ...(act === 'shell' || act === 'unmetered' ? [] : ['meters']), ...allowed[act]!];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new ScenarioError(`${where} (${act}): unknown field "${k}"`);
  const num = (k: string, min: number, max: number, dflt?: number): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      throw new ScenarioError(`${where} (${act}): "${k}" must be a number ${min}..${max}`);
    return v;
  };
  const int = (k: string, min: number, max: number): number => {
    const v = num(k, min, max);
    if (!Number.isInteger(v)) throw new ScenarioError(`${where} (${act}): "${k}" must be an integer ${min}..${max}`);
    return v;
  };
  const selector = (k: string): Selector => {
    const v = o[k];
    if (v === 'all') return 'all';
    if (!Array.isArray(v) || v.length === 0) throw new ScenarioError(`${where} (${act}): "${k}" must be "all" or a list of meter numbers`);
    for (const m of v)
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > meters)
        throw new ScenarioError(`${where} (${act}): "${k}": meter ${JSON.stringify(m)} is not one of 1..${meters}`);
    return [...new Set(v as number[])];
  };
  const at = num('at', 0, SCENARIO_MAX_S);
  switch (act) {
    case 'load':
      return {
        at,
        do: act,
        meters: selector('meters'),
        phase: int('phase', 1, 3),
        vrms: num('vrms', 0, 480),
        irms: num('irms', 0, 120),
        angleDeg: num('angleDeg', -180, 180, 0),
      };
    case 'sag':
    case 'swell':
      return {
        at,
        do: act,
        meters: selector('meters'),
        phase: int('phase', 0, 3),
        factor: act === 'sag' ? num('factor', 0, 0.99) : num('factor', 1.01, 2),
        durationS: num('durationS', 0.02, 3600),
      };
    case 'tamper': {
      const kind = o.kind ?? 'cover';
      if (kind !== 'cover' && kind !== 'magnet' && kind !== 'both')
        throw new ScenarioError(`${where} (tamper): "kind" must be cover, magnet or both`);
      return { at, do: act, meters: selector('meters'), kind, durationS: num('durationS', 0.02, 86400) };
    }
    case 'outage':
      return { at, do: act, meters: selector('meters'), durationS: num('durationS', 1, 7 * 86400), holdUpS: num('holdUpS', 0, 10, 1) };
    case 'off':
    case 'on':
    case 'kick':
      return { at, do: act, meters: selector('meters') };
    case 'unmetered':
      // the transformer's front-end model measures up to 100 A per phase (its METRO LOAD bound)
      return {
        at,
        do: act,
        phase: int('phase', 1, 3),
        vrms: num('vrms', 0, 480, 230),
        irms: num('irms', 0, 100),
        angleDeg: num('angleDeg', -180, 180, 0),
      };
    case 'noise':
      return {
        at,
        do: act,
        meters: selector('meters'),
        levelDbuv: num('levelDbuv', 0, 140),
        durationS: num('durationS', 0.001, 7 * 86400),
      };
    default: {
      const command = o.command;
      if (typeof command !== 'string' || !/^[\x20-\x7e]{1,120}$/.test(command))
        throw new ScenarioError(`${where} (shell): "command" must be 1..120 printable ASCII characters`);
      const node = o.node === 'concentrator' ? 'concentrator' : selector('node');
      return { at, do: 'shell', node, command };
    }
  }
}

/** The meters (1..n) an event selects. */
export function selected(s: Selector, n: number): number[] {
  return s === 'all' ? Array.from({ length: n }, (_, i) => i + 1) : [...s];
}

/** The storm of `--storm-at S`: every meter loses its supply at S and gets it back at S + outageS. */
export function stormScenario(atS: number, outageS = 60): Scenario {
  return { events: [{ at: atS, do: 'outage', meters: 'all', durationS: outageS, holdUpS: 1 }] };
}

/** Noise events become bursts of the medium's channel model (known before the run starts). */
export function noiseBursts(s: Scenario, meters: number, eui: (i: number) => string): NoiseBurst[] {
  const out: NoiseBurst[] = [];
  for (const e of s.events)
    if (e.do === 'noise')
      out.push({
        startMs: Math.round(e.at * 1000),
        durationMs: Math.round(e.durationS * 1000),
        levelDbuv: e.levelDbuv,
        nodes: selected(e.meters, meters).map(eui),
      });
  return out;
}

/** What an event does at a meter's shell (METRO LOAD / METRO EVENT), or undefined. */
export function meterCommand(e: ScenarioEvent): string | undefined {
  const ms = (s: number): number => Math.round(s * 1000);
  switch (e.do) {
    case 'load':
      return `METRO LOAD ${e.phase} ${Math.round(e.vrms * 1000)} ${Math.round(e.irms * 1000)} ${Math.round(e.angleDeg * 100)}`;
    case 'sag':
      return `METRO EVENT 2 ${e.phase} ${Math.round(e.factor * 1000)} ${ms(e.durationS)}`;
    case 'swell':
      return `METRO EVENT 3 ${e.phase} ${Math.round(e.factor * 1000)} ${ms(e.durationS)}`;
    case 'tamper':
      return `METRO EVENT 6 0 ${e.kind === 'cover' ? 1 : e.kind === 'magnet' ? 2 : 3} ${ms(e.durationS)}`;
    case 'outage':
      // the supply interruption the meter measures during its hold-up (long enough to outlast it)
      return `METRO EVENT 4 0 0 ${ms(e.durationS)}`;
    default:
      return undefined;
  }
}
