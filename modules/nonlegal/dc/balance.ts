// The energy balance of the low-voltage area (docs/concentrator.md, "Energy balance"): for every
// aligned profile interval, the energy the concentrator's own LEGAL part measured at the
// transformer (its three phases) against the sum of the meters' interval energies, per phase
// where a meter declares its phase. The difference is technical losses plus what is not metered.
// An interval is complete when the transformer's energy and every registered meter's interval are
// in; an incomplete one is reported as such (meters in/expected), never as a loss.
//
// Meter side: a meter's interval energy is the difference of its A+ register (the load profile's
// first value column) between two consecutive aligned captures; a row after a gap, or the first
// one after a start, has no previous capture: that meter is missing from the interval.
// Transformer side (TransformerMeter): LEGAL's instant every config.dc.balance.sampleS seconds; the
// interval's energy is the delta of LEGAL's A+ register between the first instants at or after two
// consecutive boundaries (as a meter's profile captures its registers), split among the phases in
// proportion to each phase's import power integrated over LEGAL's measured seconds.
import type { Instant } from '../../generic/shared/messages.js';
import type { UplinkRecord } from './headend/records.js';
import type { MeterEntry, MeterPhase, Registry } from './registry.js';

/** config.dc.balance (modules/nonlegal/manifest.json, concentrator role). */
export interface BalanceConfig {
  /** Intervals kept (the newest), 1..2880: a day at 15 min is 96. */
  keep: number;
  /** An interval still incomplete this many periods after its end goes up as incomplete (1..96). */
  settleIntervals: number;
  /** How often LEGAL's instant is sampled, s (1..60). */
  sampleS: number;
}

export function balanceConfig(c: Partial<BalanceConfig> | undefined): BalanceConfig {
  const o: BalanceConfig = { keep: 96, settleIntervals: 4, sampleS: 1, ...c };
  const check = (k: keyof BalanceConfig, lo: number, hi: number) => {
    const v = o[k];
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new RangeError(`dc.balance.${k}: ${lo}..${hi}, got ${String(v)}`);
  };
  check('keep', 1, 2880);
  check('settleIntervals', 1, 96);
  check('sampleS', 1, 60);
  return o;
}

/** The OBIS of the balance records on the head-end link: the register balanced (A+). */
export const BALANCE_OBIS = '1.0.1.8.0.255';
/** The meter field of a balance record: the area (this concentrator), not a meter. */
export const AREA_ID = '0000000000000000';
/** values of a balance record, in this order (docs/headend.md). */
export const BALANCE_VALUES = [
  'expected',
  'in',
  'transformerWh',
  'metersWh',
  'l1TransformerWh',
  'l1MetersWh',
  'l2TransformerWh',
  'l2MetersWh',
  'l3TransformerWh',
  'l3MetersWh',
  'threePhaseWh',
  'unphasedWh',
] as const;

export interface BalanceRow {
  /** End of the interval (the profile's capture time), unix s. */
  readonly captureS: number;
  /** Meters expected (registered, not suspended or left, when the interval was opened). */
  expected: number;
  /** Meters whose interval energy is in. */
  in: number;
  /** The transformer's energy, Wh: total and per phase (undefined until measured). */
  transformerWh: number | undefined;
  transformerPhaseWh: [number, number, number];
  /** The meters' energy, Wh: total, single-phase meters per declared phase, three-phase and undeclared meters. */
  metersWh: number;
  phaseWh: [number, number, number];
  threePhaseWh: number;
  unphasedWh: number;
  /** `in` when last handed to the uplink (-1: never). */
  sentIn: number;
}

/** Complete: the transformer's energy and every expected meter's are in. */
export const complete = (r: BalanceRow): boolean => r.transformerWh !== undefined && r.in >= r.expected;

const PHASE_INDEX: Partial<Record<MeterPhase, number>> = { L1: 0, L2: 1, L3: 2 };

export class Balance {
  readonly counters = {
    /** Meter intervals added, transformer intervals closed. */
    meterIntervals: 0,
    transformerIntervals: 0,
    /** A meter's row older than the oldest interval kept (or before the first). */
    late: 0,
    /** A meter's capture not on a period boundary (a capture at power restore). */
    unaligned: 0,
    /** A meter's A+ lower than at its previous capture (register reset): not counted. */
    negative: 0,
    /** A meter's row without the previous aligned capture (after a gap or a start). */
    noPrevious: 0,
    /** Records handed to the uplink, refused by it (tried again at the next period). */
    sent: 0,
    refused: 0,
  };
  /** Ordered by capture time, the newest last; at most cfg.keep. */
  readonly rows: BalanceRow[] = [];
  /** Per meter EUI-64: its last aligned capture and A+ (bounded by the registry's meters). */
  private readonly prev = new Map<string, { s: number; aImp: number }>();

  constructor(
    readonly cfg: BalanceConfig,
    private readonly registry: Registry,
    private readonly periodS: () => number,
    private readonly send: (r: UplinkRecord) => boolean,
  ) {}

  private expected(): number {
    return this.registry.list().filter((m) => m.state !== 'suspended' && m.state !== 'left').length;
  }

  /** The row of an aligned capture time: found, or made when newer than the oldest kept. */
  private row(captureS: number): BalanceRow | undefined {
    const rows = this.rows;
    for (let k = rows.length - 1; k >= 0; k--) {
      const r = rows[k]!;
      if (r.captureS === captureS) return r;
      if (r.captureS < captureS) break;
    }
    if (rows.length >= this.cfg.keep && captureS < rows[0]!.captureS) return undefined;
    const r: BalanceRow = {
      captureS,
      expected: this.expected(),
      in: 0,
      transformerWh: undefined,
      transformerPhaseWh: [0, 0, 0],
      metersWh: 0,
      phaseWh: [0, 0, 0],
      threePhaseWh: 0,
      unphasedWh: 0,
      sentIn: -1,
    };
    let at = rows.length;
    while (at > 0 && rows[at - 1]!.captureS > captureS) at--;
    rows.splice(at, 0, r);
    if (rows.length > this.cfg.keep) rows.splice(0, rows.length - this.cfg.keep);
    return rows.includes(r) ? r : undefined;
  }

  /** A meter's load-profile row (capture time, A+ Wh), in capture order per meter. */
  meterInterval(m: MeterEntry, captureS: number, aImpWh: number): void {
    const p = this.periodS();
    if (captureS % p !== 0 || !Number.isFinite(aImpWh)) {
      this.counters.unaligned++;
      return;
    }
    const before = this.prev.get(m.eui);
    this.prev.set(m.eui, { s: captureS, aImp: aImpWh });
    if (!before || before.s !== captureS - p) {
      this.counters.noPrevious++;
      return;
    }
    const wh = aImpWh - before.aImp;
    if (wh < 0) {
      this.counters.negative++;
      return;
    }
    const r = this.row(captureS);
    if (!r) {
      this.counters.late++;
      return;
    }
    this.counters.meterIntervals++;
    r.in++;
    r.metersWh += wh;
    const k = PHASE_INDEX[m.phase];
    if (k !== undefined) r.phaseWh[k] = r.phaseWh[k]! + wh;
    else if (m.phase === '3P') r.threePhaseWh += wh;
    else r.unphasedWh += wh;
    if (complete(r)) this.upload(r);
  }

  /** The transformer's energy of the interval ending at captureS (TransformerMeter). */
  transformerInterval(captureS: number, totalWh: number, phaseWh: readonly number[]): void {
    const r = this.row(captureS);
    if (!r) {
      this.counters.late++;
      return;
    }
    this.counters.transformerIntervals++;
    r.transformerWh = totalWh;
    r.transformerPhaseWh = [phaseWh[0] ?? 0, phaseWh[1] ?? 0, phaseWh[2] ?? 0];
    this.settle(captureS);
  }

  /** Uploads what is complete and not yet sent, and what stayed incomplete settleIntervals periods. */
  settle(nowS: number): void {
    const age = this.cfg.settleIntervals * this.periodS();
    for (const r of this.rows) {
      if (r.transformerWh === undefined) continue;
      if ((complete(r) && r.sentIn !== r.in) || (r.sentIn < 0 && nowS - r.captureS >= age)) this.upload(r);
    }
  }

  private upload(r: BalanceRow): void {
    const rec: UplinkRecord = {
      kind: 'balance',
      meter: AREA_ID,
      obis: BALANCE_OBIS,
      captureS: r.captureS,
      values: [
        r.expected,
        r.in,
        r.transformerWh ?? 0,
        r.metersWh,
        r.transformerPhaseWh[0],
        r.phaseWh[0],
        r.transformerPhaseWh[1],
        r.phaseWh[1],
        r.transformerPhaseWh[2],
        r.phaseWh[2],
        r.threePhaseWh,
        r.unphasedWh,
      ],
    };
    if (this.send(rec)) {
      r.sentIn = r.in;
      this.counters.sent++;
    } else this.counters.refused++;
  }

  /** The newest n rows. */
  last(n: number): BalanceRow[] {
    return this.rows.slice(Math.max(0, this.rows.length - n));
  }
}

/**
 * The transformer's energy per interval from LEGAL's instants (the concentrator's own three-phase
 * measurement): feed it every instant; it closes an interval at the first instant at or after each
 * period boundary of the concentrator's clock.
 */
export class TransformerMeter {
  private boundaryS: number | undefined;
  private aImpAtBoundary = 0;
  private lastSecond: number | undefined;
  /** Import energy per phase since the boundary, Ws (power x LEGAL's measured seconds). */
  private readonly ws = [0, 0, 0];
  readonly counters = { samples: 0, gaps: 0 };

  constructor(
    private readonly periodS: () => number,
    private readonly close: (captureS: number, totalWh: number, phaseWh: number[]) => void,
  ) {}

  sample(i: Instant, nowMs: number): void {
    this.counters.samples++;
    const seconds = this.lastSecond === undefined ? 0 : i.second - this.lastSecond;
    this.lastSecond = i.second;
    if (seconds > 0 && seconds <= 3600)
      for (let k = 0; k < 3; k++) {
        const p = i.phases[k]?.p ?? 0;
        if (Number.isFinite(p) && p > 0) this.ws[k]! += p * seconds;
      }
    const p = this.periodS();
    const b = Math.floor(nowMs / 1000 / p) * p;
    if (this.boundaryS === b) return;
    if (this.boundaryS !== undefined && b === this.boundaryS + p) {
      const total = i.registers.aImp - this.aImpAtBoundary;
      const sum = this.ws[0]! + this.ws[1]! + this.ws[2]!;
      this.close(
        b,
        total,
        this.ws.map((w) => (sum > 0 ? (total * w) / sum : 0)),
      );
    } else if (this.boundaryS !== undefined) this.counters.gaps++; // a period with no instant, or the clock set
    this.boundaryS = b;
    this.aImpAtBoundary = i.registers.aImp;
    this.ws.fill(0);
  }
}
