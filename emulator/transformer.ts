// The transformer of a simulated low-voltage area (npm run sim, a scenario with an `unmetered`
// event): the concentrator's own METRO (its LEGAL part, three-phase) measures the transformer, so
// its front-end model carries, per grid phase, the sum of the meters' loads on that phase and of
// the unmetered loads (docs/scenarios.md). Loads add as phasors: P and Q summed per phase, then one
// current and angle at the phase's voltage (the last set on it, 230 V by default), so the active
// power the transformer measures is the meters' sum plus the unmetered load's exactly. Losses in
// the cables are not modelled: the balance's difference is the unmetered energy alone.
import type { Phase } from './medium/channel.js';

/** The front-end model's current bound (drivers/metrology/xs_metro.c MX_IRMS_MAX_MA), A. */
export const TRANSFORMER_IRMS_MAX = 100;

interface Load {
  grid: number; // 1..3
  vrms: number;
  irms: number;
  angleDeg: number;
}

export class TransformerRangeError extends Error {}

export class TransformerModel {
  /** Per meter number and its front-end phase ("i:p"), the load it draws. */
  private readonly loads = new Map<string, Load>();
  private readonly unmeteredLoads = new Map<number, Load>();
  private readonly vrms = [230, 230, 230];
  /** The METRO LOAD last sent per grid phase (to send only changes). */
  private readonly sent = ['', '', ''];

  /** gridPhase(i): meter i's phase in the topology ('3P': a three-phase meter, its phase k on Lk). */
  constructor(private readonly gridPhase: (i: number) => Phase) {}

  /** The grid phase of meter i's front-end phase p, or undefined where the meter has no such phase. */
  gridOf(i: number, p: number): number | undefined {
    const ph = this.gridPhase(i);
    if (ph === '3P') return p;
    return p === 1 ? Number(ph.slice(1)) : undefined; // a single-phase meter measures its phase 1 only
  }

  /** METRO LOAD <p> on meter i (a single-phase meter refuses p 2 and 3: not counted). */
  load(i: number, p: number, vrms: number, irms: number, angleDeg: number): void {
    const grid = this.gridOf(i, p);
    if (grid === undefined) return;
    this.loads.set(`${i}:${p}`, { grid, vrms, irms, angleDeg });
    this.vrms[grid - 1] = vrms;
  }

  unmetered(grid: number, vrms: number, irms: number, angleDeg: number): void {
    this.unmeteredLoads.set(grid, { grid, vrms, irms, angleDeg });
    this.vrms[grid - 1] = vrms;
  }

  /** Meter i lost its supply: its loads are gone (and after its boot its model draws nothing). */
  off(i: number): void {
    for (const k of [...this.loads.keys()]) if (k.startsWith(`${i}:`)) this.loads.delete(k);
  }

  /** Per grid phase: active and reactive power, W and var. */
  power(): { p: number; q: number }[] {
    const out = [0, 1, 2].map(() => ({ p: 0, q: 0 }));
    for (const l of [...this.loads.values(), ...this.unmeteredLoads.values()]) {
      const s = l.vrms * l.irms,
        a = (l.angleDeg * Math.PI) / 180;
      out[l.grid - 1]!.p += s * Math.cos(a);
      out[l.grid - 1]!.q += s * Math.sin(a);
    }
    return out;
  }

  /** The METRO LOAD commands for the concentrator, for the phases that changed since the last call. */
  commands(): string[] {
    const cmds: string[] = [];
    this.power().forEach(({ p, q }, k) => {
      const v = this.vrms[k]!;
      const i = v > 0 ? Math.hypot(p, q) / v : 0;
      if (i > TRANSFORMER_IRMS_MAX)
        throw new TransformerRangeError(
          `transformer: L${k + 1} carries ${i.toFixed(1)} A, beyond its front-end model's ${TRANSFORMER_IRMS_MAX} A`,
        );
      const angle = i > 0 ? (Math.atan2(q, p) * 180) / Math.PI : 0;
      const cmd = `METRO LOAD ${k + 1} ${Math.round(v * 1000)} ${Math.round(i * 1000)} ${Math.round(angle * 100)}`;
      if (cmd !== this.sent[k]) cmds.push(cmd);
      this.sent[k] = cmd;
    });
    return cmds;
  }
}
