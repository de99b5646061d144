// The concentrator's read scheduler: every profile period (config.dc.profileMin, 15..60 min) it
// reads each meter's load profile BY RANGE from just after the last interval stored for it (so no
// interval is read twice and a meter that was away has its gap filled), once a day its billing
// registers, its event log since the last entry read, and its clock (set when the offset exceeds
// config.dc.clockMaxOffsetS, at most 5 s). On-demand reads (DC READ) run at HIGH priority ahead
// of this bulk work (session.ts). Every new interval, register and event goes to the sink and to
// a bounded in-RAM store (config.dc.keepIntervals, config.dc.keepEvents) the shell answers from.
import type { UplinkRecord, UplinkSink } from './headend/records.js';
import type { MeterEntry, Registry } from './registry.js';
import { BULK, HIGH, type Sessions, UnreachableError } from './session.js';

export const PROFILE_OBIS = '1.0.99.1.0.255';
export const EVENTS_OBIS = '0.0.99.98.0.255';
export const CLOCK_OBIS = '0.0.1.0.0.255';
/** Daily billing registers: A+, A-, R+ (Q1+Q2), R- (Q3+Q4), Wh. */
export const BILLING = ['1.0.1.8.0.255', '1.0.2.8.0.255', '1.0.3.8.0.255', '1.0.4.8.0.255'];

export interface Row {
  captureS: number;
  values: number[];
}

/** What the scheduler asks of a meter (dlms-reader.ts over UDP 4059; a model in tests). */
export interface MeterReader {
  identify(m: MeterEntry): Promise<{ name: string; serial: string }>;
  /** Profile rows with capture times in [fromS, toS]. */
  profile(m: MeterEntry, fromS: number, toS: number): Promise<Row[]>;
  register(m: MeterEntry, obis: string): Promise<Row>;
  /** Event log rows in [fromS, toS]; values[0] is the event code. */
  events(m: MeterEntry, fromS: number, toS: number): Promise<Row[]>;
  /** The meter's clock, unix s. */
  clock(m: MeterEntry): Promise<number>;
  setClock(m: MeterEntry, s: number): Promise<void>;
}

export interface SchedulerConfig {
  profileMin: number;
  /** Offset beyond which the meter's clock is set, s (1..5). */
  clockMaxOffsetS: number;
  /** Intervals kept in RAM over all meters (the newest). */
  keepIntervals: number;
  /** Events kept in RAM over all meters (the newest). */
  keepEvents: number;
  /** How far back the first profile read of a new meter goes, in intervals. */
  firstIntervals: number;
}

export function schedulerConfig(c: Partial<SchedulerConfig> | undefined): SchedulerConfig {
  const o: SchedulerConfig = { profileMin: 15, clockMaxOffsetS: 5, keepIntervals: 256, keepEvents: 64, firstIntervals: 4, ...c };
  const check = (k: keyof SchedulerConfig, lo: number, hi: number) => {
    const v = o[k];
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new RangeError(`dc.${k}: ${lo}..${hi}, got ${String(v)}`);
  };
  check('profileMin', 15, 60);
  check('clockMaxOffsetS', 1, 5);
  check('keepIntervals', 1, 4096);
  check('keepEvents', 1, 1024);
  check('firstIntervals', 1, 96);
  return o;
}

export interface StoredRow extends Row {
  meter: string;
  obis: string;
}

export class Scheduler {
  readonly counters = {
    cycles: 0,
    intervals: 0,
    duplicates: 0,
    registers: 0,
    events: 0,
    clockSets: 0,
    failures: 0,
    sinkRefused: 0,
    onDemand: 0,
  };
  paused = false;
  /** Per meter, the event rows taken at its event cursor's second (bounded by the registry). */
  private readonly eventsAtCursor = new Map<string, { s: number; rows: string[] }>();
  /** Each new event-log row (meter EUI-64, event code, event time ms): the alarm path's back-up. */
  onLogEvent: ((meter: string, code: number, eventMs: number) => void) | undefined;
  /** Each new load-profile row the uplink took (the energy balance: balance.ts). */
  onInterval: ((m: MeterEntry, r: Row) => void) | undefined;
  /** Called at the end of each cycle, with -1 for one skipped while paused (index.ts traces it). */
  onCycle: ((n: number) => void) | undefined;
  readonly intervals: StoredRow[] = [];
  readonly events: StoredRow[] = [];
  private timer: unknown;
  private cycle: Promise<void> | undefined;

  constructor(
    readonly cfg: SchedulerConfig,
    private readonly registry: Registry,
    private readonly sessions: Sessions,
    private readonly reader: MeterReader,
    private readonly sink: UplinkSink,
    private readonly nowMs: () => number,
    private readonly timers: { set(cb: () => void, ms: number): unknown; clear(h: unknown): void },
  ) {}

  get periodS(): number {
    return this.cfg.profileMin * 60;
  }

  /** Arms the periodic cycle (the first one at the next period boundary). */
  start(): void {
    this.arm();
  }

  stop(): void {
    this.timers.clear(this.timer);
    this.timer = undefined;
  }

  setPeriod(min: number): void {
    schedulerConfig({ ...this.cfg, profileMin: min });
    this.cfg.profileMin = min;
    this.arm();
  }

  /** Seconds to the next cycle. */
  nextInS(): number {
    const p = this.periodS * 1000;
    return Math.ceil((p - (this.nowMs() % p)) / 1000);
  }

  private arm(): void {
    this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      if (!this.paused) void this.runCycle();
      else this.onCycle?.(-1);
      this.arm();
    }, this.nextInS() * 1000);
  }

  /** One cycle over every meter; resolves when each meter's bulk work is done or failed. */
  runCycle(): Promise<void> {
    if (this.cycle) return this.cycle;
    this.counters.cycles++;
    const work = this.registry
      .list()
      .filter((m) => m.state !== 'suspended' && m.state !== 'left')
      .map((m) => this.meterCycle(m));
    const n = this.counters.cycles;
    this.cycle = Promise.all(work).then(() => {
      this.cycle = undefined;
      this.registry.save();
      this.onCycle?.(n);
    });
    return this.cycle;
  }

  private async meterCycle(m: MeterEntry): Promise<void> {
    const nowS = Math.floor(this.nowMs() / 1000);
    const probe = m.state === 'unreachable';
    try {
      if (!m.name) {
        const id = await this.sessions.submit(m.eui, 'identify', BULK, () => this.reader.identify(m), probe);
        m.name = id.name;
        m.serial = id.serial;
      }
      await this.sessions.submit(m.eui, 'clock', BULK, () => this.syncClock(m), probe && !!m.name);
      await this.sessions.submit(m.eui, 'profile', BULK, () => this.readProfile(m, nowS));
      await this.sessions.submit(m.eui, 'events', BULK, () => this.readEvents(m, nowS));
      const day = Math.floor(nowS / 86400);
      if (m.billingDay !== day) {
        await this.sessions.submit(m.eui, 'billing', BULK, async () => {
          for (const o of BILLING) this.keepRegister(m, o, await this.reader.register(m, o));
        });
        m.billingDay = day;
      }
    } catch (e) {
      if (!(e instanceof UnreachableError)) this.counters.failures++;
    }
  }

  private async syncClock(m: MeterEntry): Promise<void> {
    const before = this.nowMs();
    const meterS = await this.reader.clock(m);
    const ours = (before + this.nowMs()) / 2000;
    m.clockOffsetS = Math.round(meterS - ours);
    if (Math.abs(meterS - ours) > this.cfg.clockMaxOffsetS) {
      await this.reader.setClock(m, Math.round(this.nowMs() / 1000));
      this.counters.clockSets++;
      m.clockOffsetS = Math.round((await this.reader.clock(m)) - this.nowMs() / 1000);
    }
  }

  /** From just after the last interval stored to now; every row newer than the cursor is new. */
  private async readProfile(m: MeterEntry, nowS: number): Promise<void> {
    const from = m.profileCursorS ? m.profileCursorS + 1 : nowS - this.cfg.firstIntervals * this.periodS;
    if (from > nowS) return;
    const rows = await this.reader.profile(m, from, nowS);
    let moved = false;
    for (const r of rows.sort((a, b) => a.captureS - b.captureS)) {
      if (r.captureS <= m.profileCursorS) {
        this.counters.duplicates++;
        continue;
      }
      // the cursor moves only past what the uplink took: a refused interval is read again next time
      if (!this.emit({ kind: 'profile', meter: m.eui, obis: PROFILE_OBIS, captureS: r.captureS, values: r.values })) break;
      m.profileCursorS = r.captureS;
      moved = true;
      this.counters.intervals++;
      this.keep(this.intervals, { meter: m.eui, obis: PROFILE_OBIS, ...r }, this.cfg.keepIntervals);
      this.onInterval?.(m, r);
    }
    if (moved) this.registry.save();
  }

  /** From the cursor's second on: a meter logs several events in one second, and the last read
   * may have ended between them. The rows already taken at that second are skipped (known in RAM;
   * after a restart they go again, and the head-end stores them once). */
  private async readEvents(m: MeterEntry, nowS: number): Promise<void> {
    const from = m.eventCursorS ? m.eventCursorS : nowS - this.cfg.firstIntervals * this.periodS;
    const rows = await this.reader.events(m, from, nowS);
    let seen = this.eventsAtCursor.get(m.eui);
    if (seen?.s !== m.eventCursorS) seen = { s: m.eventCursorS, rows: [] };
    for (const r of rows.sort((a, b) => a.captureS - b.captureS)) {
      if (r.captureS < m.eventCursorS) continue;
      const key = r.values.join(',');
      if (r.captureS === seen.s) {
        if (seen.rows.includes(key)) continue;
      } else seen = { s: r.captureS, rows: [] };
      if (!this.emit({ kind: 'event', meter: m.eui, obis: EVENTS_OBIS, captureS: r.captureS, values: r.values })) break;
      seen.rows.push(key);
      m.eventCursorS = r.captureS;
      this.counters.events++;
      this.keep(this.events, { meter: m.eui, obis: EVENTS_OBIS, ...r }, this.cfg.keepEvents);
      if (r.values.length) this.onLogEvent?.(m.eui, r.values[0]!, r.captureS * 1000);
    }
    if (seen.s === m.eventCursorS) this.eventsAtCursor.set(m.eui, seen);
  }

  private keepRegister(m: MeterEntry, obis: string, r: Row): void {
    this.registry.remember(m, obis, r);
    this.counters.registers++;
    this.emit({ kind: 'register', meter: m.eui, obis, captureS: r.captureS, values: r.values });
  }

  /** An on-demand read from the Host Unit: HIGH priority, ahead of bulk work. */
  readNow(m: MeterEntry, obis: string): Promise<Row> {
    this.counters.onDemand++;
    return this.sessions.submit(m.eui, `read ${obis}`, HIGH, async () => {
      const r = await this.reader.register(m, obis);
      this.keepRegister(m, obis, r);
      return r;
    });
  }

  private keep(list: StoredRow[], r: StoredRow, max: number): void {
    list.push(r);
    if (list.length > max) list.splice(0, list.length - max);
  }

  /** Hands a record to the uplink; false (counted) when it refuses it. */
  private emit(r: UplinkRecord): boolean {
    if (this.sink.record(r)) return true;
    this.counters.sinkRefused++;
    return false;
  }
}
