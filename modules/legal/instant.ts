// X_METRO_GET_INSTANT -> X_METRO_INSTANT: a copy of the last measured second for other parts
// (NON-LEGAL's DLMS registers, load profile and optical readout). Read-only: nothing in the
// request changes legal state. Layout of `now`: generic/shared/metro-record.ts.
import type { Instant, InstantPhase } from '../generic/shared/messages.js';
import { MX_PHASE_FIELDS as PHASE, MX_TOTAL as TOTAL, MX_ENERGY as ENERGY, MX_SECOND as SECOND } from '../generic/shared/metro-record.js';

export function instant(now: Float64Array, time: number): Instant {
  const phases: InstantPhase[] = [];
  for (let k = 0; k < TOTAL; k += PHASE) {
    phases.push({ v: now[k]!, i: now[k + 1]!, p: now[k + 2]!, q: now[k + 3]!, s: now[k + 4]!, pf: now[k + 5]!, f: now[k + 6]! });
  }
  const e = (k: number) => now[ENERGY + k]! / 1e6; // uWh -> Wh
  return {
    time,
    second: now[SECOND]!,
    phases,
    total: { p: now[TOTAL]!, q: now[TOTAL + 1]!, s: now[TOTAL + 2]! },
    registers: { aImp: e(0), aExp: e(1), rQ1: e(2), rQ2: e(3), rQ3: e(4), rQ4: e(5), app: e(6) },
  };
}
