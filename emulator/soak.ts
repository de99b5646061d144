// The soak (issue 16 item 9, docs/soak.md): `npm run sim -- --soak` runs a scenario of the same
// shape whatever its length (periodic outages, noise bursts, a kick and its rejoin, a rekey,
// repeated every SOAK_CYCLE_S), samples every node's XS heap (SYS MEM, after its forced GC) every
// SOAK_SAMPLE_S, and judges the run: no growth trend of the heap in use, no reset the scenario did
// not make, no lost or duplicated interval record.
import type { ScenarioEvent } from './scenario.js';

/** A cycle of the soak's scenario: every event recurs with this period (simulated seconds), at most. */
export const SOAK_CYCLE_S = 6 * 3600;
/** Heap samples (SYS MEM on every node) every simulated hour at most: at least 12 in a run. */
export const SOAK_SAMPLE_S = 3600;
/**
 * Heap samples taken in the first SOAK_WARMUP_S of a node's boot (a third of a shorter run) are
 * left out of its trend: the PAN forms, tables fill and the first reads run then (a level
 * reached, not a leak).
 */
export const SOAK_WARMUP_S = 2 * 3600;
/**
 * A growth trend fails the soak when a node's least-squares slope of XS slots in use (after GC)
 * is above this many slots per simulated day, or its chunks above SOAK_MAX_CHUNKS_PER_DAY bytes
 * per day: about 1% of the smallest node's reserved heap (16,384 slots, 64 KB of chunks on lin).
 */
export const SOAK_MAX_SLOTS_PER_DAY = 160;
export const SOAK_MAX_CHUNKS_PER_DAY = 640;
/**
 * ... and when the growth that slope makes over the sampled span is beyond the heap's
 * sample-to-sample range in a steady network (reads, sessions and queues in flight when a sample
 * is taken: up to about 900 slots and 8 KB of chunks in the 8-meter run), so that a short run's
 * noise is not taken for a trend while a week's leak of more than the threshold is.
 */
export const SOAK_NOISE_SLOTS = 1000;
export const SOAK_NOISE_CHUNKS = 16384;
/** Outages last this long and start 300 s past a 15-minute boundary (no profile capture falls in one). */
const OUTAGE_S = 120;
const PERIOD_S = 900;

/** The soak's timing for a run of `hours`: the cycle, the sampling period and offset, the warm-up. */
export function soakTiming(hours: number): { cycleS: number; sampleS: number; offsetS: number; warmupS: number } {
  const runS = hours * 3600;
  const cycleS = Math.min(SOAK_CYCLE_S, Math.max(PERIOD_S * 2, Math.floor(runS / 2 / PERIOD_S) * PERIOD_S));
  const sampleS = Math.min(SOAK_SAMPLE_S, Math.max(60, Math.floor(runS / 12 / 60) * 60));
  // between the 15-minute reads (which start at the boundary) and the scenario's events
  return { cycleS, sampleS, offsetS: Math.round(sampleS * 0.4), warmupS: Math.min(SOAK_WARMUP_S, Math.round(runS / 3)) };
}

/**
 * The soak's events for `meters` meters over `hours` simulated hours, the same shape at any
 * length. Each cycle k (soakTiming: 6 hours in a run of 12 hours or more): a group of meters (an
 * eighth, rotating) loses its supply for OUTAGE_S, the next group gets a noise burst for a
 * tenth of the cycle, one meter is kicked from the PAN (it rejoins), and the concentrator renews
 * the group key (PLC REKEY). Every meter carries a load from the start.
 */
export function soakScenario(meters: number, hours: number): ScenarioEvent[] {
  const { cycleS } = soakTiming(hours);
  const group = Math.max(1, Math.ceil(meters / 8));
  const groupOf = (k: number): number[] => {
    const first = (k * group) % meters;
    return [...new Set(Array.from({ length: group }, (_, i) => 1 + ((first + i) % meters)))];
  };
  // an instant at fraction f of cycle c, 300 s past a 15-minute boundary
  const inCycle = (c: number, f: number): number => c + Math.floor((cycleS * f) / PERIOD_S) * PERIOD_S + 300;
  const events: ScenarioEvent[] = [{ at: 60, do: 'load', meters: 'all', phase: 1, vrms: 230, irms: 6, angleDeg: 20 }];
  const endS = hours * 3600;
  for (let k = 0, c = 0; c < endS; k++, c += cycleS) {
    const add = (e: ScenarioEvent): void => {
      if (e.at < endS) events.push(e);
    };
    add({ at: inCycle(c, 0.17), do: 'outage', meters: groupOf(k), durationS: OUTAGE_S, holdUpS: 1 });
    add({ at: inCycle(c, 0.34), do: 'noise', meters: groupOf(k + 1), levelDbuv: 70, durationS: Math.round(cycleS / 10) });
    add({ at: inCycle(c, 0.5) + 60, do: 'kick', meters: [1 + ((k * 5 + 2) % meters)] });
    add({ at: inCycle(c, 0.75) + 120, do: 'shell', node: 'concentrator', command: 'PLC REKEY' });
  }
  return events;
}

export interface HeapSample {
  /** Simulated seconds. */
  tS: number;
  /** The node's boot number (a power cut starts a new segment). */
  boot: number;
  /** Simulated seconds since that boot. */
  upS: number;
  chunks: number;
  slots: number;
}

/**
 * Least-squares slope per simulated day of `value` over samples, one intercept per boot (the
 * heap starts again at a power cut): the pooled within-boot slope. null with fewer than three
 * samples in the segments that count.
 */
export function slopePerDay(samples: readonly HeapSample[], value: (s: HeapSample) => number): number | null {
  const segs = new Map<number, HeapSample[]>();
  for (const s of samples) segs.set(s.boot, [...(segs.get(s.boot) ?? []), s]);
  let sxy = 0;
  let sxx = 0;
  let n = 0;
  for (const seg of segs.values()) {
    if (seg.length < 2) continue;
    const mx = seg.reduce((a, s) => a + s.tS, 0) / seg.length;
    const my = seg.reduce((a, s) => a + value(s), 0) / seg.length;
    for (const s of seg) {
      sxy += (s.tS - mx) * (value(s) - my);
      sxx += (s.tS - mx) ** 2;
    }
    n += seg.length;
  }
  if (n < 3 || sxx === 0) return null;
  return (sxy / sxx) * 86400;
}

/** A node's heap trend: the samples that count (after warm-up) and their slopes. */
export function heapTrend(
  samples: readonly HeapSample[],
  warmupS = SOAK_WARMUP_S,
): {
  samples: number;
  /** Simulated seconds between the first and the last sample that count. */
  spanS: number;
  slotsPerDay: number | null;
  chunksPerDay: number | null;
  slots: { first: number; last: number; max: number } | null;
} {
  const used = samples.filter((s) => s.upS >= warmupS);
  return {
    samples: used.length,
    spanS: used.length ? used.at(-1)!.tS - used[0]!.tS : 0,
    slotsPerDay: round(slopePerDay(used, (s) => s.slots)),
    chunksPerDay: round(slopePerDay(used, (s) => s.chunks)),
    slots: used.length ? { first: used[0]!.slots, last: used.at(-1)!.slots, max: Math.max(...used.map((s) => s.slots)) } : null,
  };
}

const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);

/** Why a node's heap trend fails the soak: nothing when it passes. */
export function trendFailures(name: string, t: ReturnType<typeof heapTrend>): string[] {
  const out: string[] = [];
  const days = t.spanS / 86400;
  if (t.samples < 3) out.push(`${name}: ${t.samples} heap samples after warm-up: no trend`);
  if (t.slotsPerDay !== null && t.slotsPerDay > SOAK_MAX_SLOTS_PER_DAY && t.slotsPerDay * days > SOAK_NOISE_SLOTS)
    out.push(`${name}: XS slots grow ${t.slotsPerDay}/day (> ${SOAK_MAX_SLOTS_PER_DAY}), ${Math.round(t.slotsPerDay * days)} over the run`);
  if (t.chunksPerDay !== null && t.chunksPerDay > SOAK_MAX_CHUNKS_PER_DAY && t.chunksPerDay * days > SOAK_NOISE_CHUNKS)
    out.push(
      `${name}: XS chunks grow ${t.chunksPerDay} bytes/day (> ${SOAK_MAX_CHUNKS_PER_DAY}), ${Math.round(t.chunksPerDay * days)} over the run`,
    );
  return out;
}
