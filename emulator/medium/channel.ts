// Channel model: topology file -> per-link attenuation, noise at a receiver at
// a time, SNR. Everything here is a pure function of the topology (no PRNG).

export type Phase = 'L1' | 'L2' | 'L3' | '3P';

export interface TopologyNode {
  /** EUI-64 as hex, "0x0000000000000001" or "00:00:00:00:00:00:00:01". */
  eui64: string;
  name?: string;
  phase?: Phase;
  transformer?: string;
  feeder?: string;
  /** Cable length from the transformer along the feeder, metres. */
  positionM?: number;
  /** Transmit level, dBuV (default: topology txLevelDbuv). */
  txLevelDbuv?: number;
  /** Background noise at this node, dBuV (default: topology noiseDbuv). */
  noiseDbuv?: number;
}

export interface TopologyLink {
  a: string;
  b: string;
  /** Explicit cable length between a and b, metres (replaces the feeder geometry). */
  cableM?: number;
  /** Explicit attenuation, dB (replaces everything else). */
  attenuationDb?: number;
  /** Force the link open (true) across a transformer, or cut it (false). */
  connected?: boolean;
  /** Extra random loss probability on this link. */
  randomLoss?: number;
}

export interface NoiseBurst {
  startMs: number;
  durationMs: number;
  levelDbuv: number;
  /** EUI-64s of the receivers it hits; all nodes if absent. */
  nodes?: string[];
  /** Or the phases it hits ("3P" nodes are hit by any phase). */
  phases?: Phase[];
}

export interface Topology {
  txLevelDbuv?: number;
  noiseDbuv?: number;
  attenuationDbPerKm?: number;
  /** Fixed loss of any link (coupling, meter input impedance), dB. */
  couplingLossDb?: number;
  /** Extra loss between different phases (L1 <-> L2 ...), dB. */
  crossPhaseLossDb?: number;
  /** Below this SNR a receiver detects no preamble: no reception, no carrier sense. */
  detectSnrDb?: number;
  /** A frame survives overlap if its signal exceeds the interference by this much. */
  captureDb?: number;
  randomLoss?: number;
  nodes?: TopologyNode[];
  links?: TopologyLink[];
  noiseBursts?: NoiseBurst[];
}

export const CHANNEL_DEFAULTS = {
  txLevelDbuv: 110,
  noiseDbuv: 40,
  attenuationDbPerKm: 50,
  couplingLossDb: 10,
  crossPhaseLossDb: 15,
  detectSnrDb: -3,
  captureDb: 10,
  randomLoss: 0,
} as const;

export function parseEui64(s: string): bigint {
  const hex = s.replace(/^0x/i, '').replace(/[:\-\s]/g, '');
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw new Error(`topology: bad EUI-64 "${s}"`);
  return BigInt('0x' + hex);
}

export function formatEui64(e: bigint): string {
  return e.toString(16).padStart(16, '0');
}

export type LinkState = { blocked: true } | { blocked: false; attenuationDb: number; randomLoss: number };

interface Placed {
  phase: Phase;
  transformer: string;
  feeder: string;
  positionM: number;
  txLevelDbuv: number;
  noiseDbuv: number;
}

export class Channel {
  readonly params: Required<Omit<Topology, 'nodes' | 'links' | 'noiseBursts'>>;
  private readonly nodes = new Map<bigint, Placed>();
  private readonly links = new Map<string, TopologyLink>();
  private readonly bursts: Array<NoiseBurst & { set?: Set<bigint> }>;
  private readonly cache = new Map<string, LinkState>();

  constructor(topo: Topology = {}) {
    this.params = { ...CHANNEL_DEFAULTS };
    for (const k of Object.keys(CHANNEL_DEFAULTS) as Array<keyof typeof CHANNEL_DEFAULTS>) {
      const v = topo[k];
      if (v !== undefined) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`topology: ${k} must be a number`);
        this.params[k] = v;
      }
    }
    for (const n of topo.nodes ?? []) {
      const id = parseEui64(n.eui64);
      if (n.phase !== undefined && !['L1', 'L2', 'L3', '3P'].includes(n.phase)) {
        throw new Error(`topology: node ${n.eui64}: bad phase ${String(n.phase)}`);
      }
      this.nodes.set(id, this.place(n));
    }
    for (const l of topo.links ?? []) this.links.set(pairKey(parseEui64(l.a), parseEui64(l.b)), l);
    this.bursts = (topo.noiseBursts ?? []).map((b) => ({
      ...b,
      ...(b.nodes ? { set: new Set(b.nodes.map(parseEui64)) } : {}),
    }));
  }

  private place(n: Partial<TopologyNode>): Placed {
    return {
      phase: n.phase ?? 'L1',
      transformer: n.transformer ?? 'T0',
      feeder: n.feeder ?? 'F0',
      positionM: n.positionM ?? 0,
      txLevelDbuv: n.txLevelDbuv ?? this.params.txLevelDbuv,
      noiseDbuv: n.noiseDbuv ?? this.params.noiseDbuv,
    };
  }

  private get(id: bigint): Placed {
    return this.nodes.get(id) ?? this.place({});
  }

  /** Attenuation from a to b (symmetric), or blocked. */
  link(a: bigint, b: bigint): LinkState {
    const key = pairKey(a, b);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const st = this.computeLink(a, b, this.links.get(key));
    this.cache.set(key, st);
    return st;
  }

  private computeLink(a: bigint, b: bigint, l: TopologyLink | undefined): LinkState {
    const p = this.params;
    const na = this.get(a);
    const nb = this.get(b);
    const randomLoss = Math.min(1, p.randomLoss + (l?.randomLoss ?? 0));
    if (l?.connected === false) return { blocked: true };
    if (l?.attenuationDb !== undefined) return { blocked: false, attenuationDb: l.attenuationDb, randomLoss };
    // A distribution transformer does not pass CENELEC-A signals.
    if (na.transformer !== nb.transformer && l?.connected !== true) return { blocked: true };
    let metres: number;
    if (l?.cableM !== undefined) metres = l.cableM;
    else if (na.feeder === nb.feeder) metres = Math.abs(na.positionM - nb.positionM);
    else metres = na.positionM + nb.positionM; // via the transformer's busbar
    let att = p.couplingLossDb + (metres / 1000) * p.attenuationDbPerKm;
    if (na.phase !== nb.phase && na.phase !== '3P' && nb.phase !== '3P') att += p.crossPhaseLossDb;
    return { blocked: false, attenuationDb: att, randomLoss };
  }

  txLevel(id: bigint): number {
    return this.get(id).txLevelDbuv;
  }

  backgroundNoise(rx: bigint): number {
    return this.get(rx).noiseDbuv;
  }

  /** Worst noise level at `rx` over [fromUs, toUs): background power-summed with bursts. */
  noiseAt(rx: bigint, fromUs: number, toUs: number): number {
    const n = this.get(rx);
    let mw = dbToLin(n.noiseDbuv);
    let burst = 0;
    for (const b of this.bursts) {
      const s = b.startMs * 1000;
      const e = s + b.durationMs * 1000;
      if (e <= fromUs || s >= toUs) continue;
      if (b.set && !b.set.has(rx)) continue;
      if (b.phases && n.phase !== '3P' && !b.phases.includes(n.phase)) continue;
      burst = Math.max(burst, dbToLin(b.levelDbuv));
    }
    mw += burst;
    return linToDb(mw);
  }

  /** Received level at b of a's transmission, dBuV, or undefined if blocked. */
  rxLevel(a: bigint, b: bigint): number | undefined {
    const l = this.link(a, b);
    return l.blocked ? undefined : this.txLevel(a) - l.attenuationDb;
  }
}

function pairKey(a: bigint, b: bigint): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

export function dbToLin(db: number): number {
  return 10 ** (db / 10);
}
export function linToDb(lin: number): number {
  return 10 * Math.log10(lin);
}
