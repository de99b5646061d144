// The concentrator's shell commands (MNSH module DC). Every command's last line is its summary
// (text: `DC <CMD> ...`; JSON mode: {"dc":"end","cmd":"<CMD>",...}); bad arguments give one
// ERROR line. `DC JSON ON|OFF` switches every DC output to one JSON object per line
// (docs/concentrator.md lists each line's shape). <meter> is a short address (1..0x7FFF) or -i,
// the i-th meter of DC METERS: MNSH parameters are 32-bit numbers, so an EUI-64 is given to the
// host tool (tools/dc.ts), which maps it to the short address.
import type { RunServiceFn } from '../../generic/services.js';
import type { ShellPrint } from '../../generic/shell.js';
import { type Balance, type BalanceRow, complete } from './balance.js';
import { type MeterEntry, PHASES, type Registry } from './registry.js';
import type { Scheduler, StoredRow } from './scheduler.js';
import type { Sessions } from './session.js';

/** Registers DC READ reads, by name. */
export const REGISTERS: { readonly [name: string]: string } = {
  APLUS: '1.0.1.8.0.255',
  AMINUS: '1.0.2.8.0.255',
  RPLUS: '1.0.3.8.0.255',
  RMINUS: '1.0.4.8.0.255',
  VOLTAGE: '1.0.32.7.0.255',
  CURRENT: '1.0.31.7.0.255',
  POWER: '1.0.1.7.0.255',
};
const REGISTER_NAMES = Object.keys(REGISTERS);

type Fields = Record<string, string | number | boolean | number[] | null>;

const wh = (x: number): number => Math.round(x * 10) / 10;

export class DcShell {
  json = false;
  /** The energy balance (balance.ts): DC BALANCE and DC PHASE, where index.ts started it. */
  balance: Balance | undefined;
  constructor(
    private readonly registry: Registry,
    private readonly scheduler: Scheduler,
    private readonly sessions: Sessions,
    private readonly nowMs: () => number,
  ) {}

  /** One output line: `DC <KIND> k=v ...` or {"dc":"<kind>",...}. */
  line(out: ShellPrint, kind: string, f: Fields): void {
    if (this.json) out(`${JSON.stringify({ dc: kind, ...f })}\r\n`);
    else
      out(
        `DC ${kind.toUpperCase()}${Object.entries(f)
          .map(([k, v]) => ` ${k}=${Array.isArray(v) ? v.join(',') : v === null ? '-' : String(v)}`)
          .join('')}\r\n`,
      );
  }

  end(out: ShellPrint, cmd: string, f: Fields = {}): void {
    if (this.json) out(`${JSON.stringify({ dc: 'end', cmd, ...f })}\r\n`);
    else this.line(out, cmd, f);
  }

  meter(p: number): MeterEntry {
    if (p <= -1) {
      const m = this.registry.list()[-p - 1];
      if (!m) throw new RangeError(`meter -${-p}: ${this.registry.size} meters`);
      return m;
    }
    if (!(p >= 1 && p <= 0x7fff)) throw new RangeError('meter: short address 1..0x7FFF or -<index in DC METERS>');
    const m = this.registry.find(p);
    if (!m) throw new RangeError(`meter 0x${p.toString(16).padStart(4, '0')}: not in the registry`);
    return m;
  }

  meters(out: ShellPrint): void {
    for (const m of this.registry.list())
      this.line(out, 'meter', {
        eui: m.eui,
        short: `0x${m.short.toString(16).padStart(4, '0')}`,
        state: m.state,
        name: m.name || null,
        serial: m.serial || null,
        seen: m.lastSeenS,
        lqi: m.lqi,
        hops: m.hops,
        failures: m.failures,
        retries: m.retries,
        offset: m.clockOffsetS ?? null,
        profile: m.profileCursorS,
        event: m.eventCursorS,
      });
    this.end(out, 'METERS', { n: this.registry.size, max: this.registry.cfg.maxMeters, refused: this.registry.counters.refused });
  }

  read(out: ShellPrint, meter: number, reg: number): void {
    const m = this.meter(meter);
    const name = REGISTER_NAMES[reg];
    if (name === undefined) throw new RangeError(`register: ${REGISTER_NAMES.join('|')}`);
    const obis = REGISTERS[name]!;
    this.scheduler.readNow(m, obis).then(
      (r) => {
        this.line(out, 'value', { eui: m.eui, obis, capture: r.captureS, values: r.values });
        this.end(out, 'READ', { eui: m.eui, obis });
      },
      (e: unknown) => out(`ERROR DC READ: ${e instanceof Error ? e.message : String(e)} (meter ${m.eui})\r\n`),
    );
  }

  rows(out: ShellPrint, kind: string, cmd: string, rows: StoredRow[]): void {
    for (const r of rows) this.line(out, kind, { eui: r.meter, obis: r.obis, capture: r.captureS, values: r.values });
    this.end(out, cmd, { n: rows.length });
  }

  profile(out: ShellPrint, meter: number, from: number, to: number): void {
    const m = this.meter(meter);
    if (!(from >= 0 && to >= from)) throw new RangeError('from..to: unix seconds, from <= to');
    const f = from >>> 0,
      t = to >>> 0;
    this.rows(
      out,
      'interval',
      'PROFILE',
      this.scheduler.intervals.filter((r) => r.meter === m.eui && r.captureS >= f && r.captureS <= t),
    );
  }

  events(out: ShellPrint, since: number): void {
    if (!(since >= 0)) throw new RangeError('since: unix seconds');
    this.rows(
      out,
      'event',
      'EVENTS',
      this.scheduler.events.filter((r) => r.captureS >= since),
    );
  }

  stats(out: ShellPrint): void {
    const s = this.scheduler.counters,
      q = this.sessions.counters,
      l = this.sessions.limits;
    this.end(out, 'STATS', {
      meters: this.registry.size,
      online: this.registry.list().filter((m) => m.state === 'online').length,
      cycles: s.cycles,
      intervals: s.intervals,
      duplicates: s.duplicates,
      registers: s.registers,
      events: s.events,
      clockSets: s.clockSets,
      onDemand: s.onDemand,
      sinkRefused: s.sinkRefused,
      requests: q.requests,
      done: q.done,
      failed: q.failed,
      fastFail: q.fastFail,
      paused: q.paused,
      retries: q.retries,
      timeouts: q.timeouts,
      queueRefused: q.refused,
      window: l.globalWindow,
      peak: q.peak,
      registryRefused: this.registry.counters.refused,
      store: this.registry.storeStatus,
      storeKind: this.registry.storeKind,
    });
  }

  schedule(out: ShellPrint, p: number[]): void {
    const [op, arg] = p;
    if (op === 1) {
      if (arg === undefined) throw new RangeError('profile <minutes 15..60>');
      this.scheduler.setPeriod(arg);
    } else if (op === 2) this.scheduler.paused = true;
    else if (op === 3) this.scheduler.paused = false;
    else if (op === 4) void this.scheduler.runCycle();
    else if (op !== 0 || arg !== undefined) throw new RangeError('show | profile <min> | pause | resume | now');
    this.end(out, 'SCHEDULE', {
      profileMin: this.scheduler.cfg.profileMin,
      paused: this.scheduler.paused,
      nextS: this.scheduler.nextInS(),
      cycles: this.scheduler.counters.cycles,
      now: Math.floor(this.nowMs() / 1000),
    });
  }

  /** One interval of the balance: Wh rounded to 0.1; differences null where not known. */
  private balanceLine(out: ShellPrint, r: BalanceRow): void {
    const tr = r.transformerWh;
    const diff = tr === undefined ? null : wh(tr - r.metersWh);
    // per phase only where every meter's phase is declared single-phase (a three-phase meter's
    // profile has no per-phase energy)
    const phased = tr !== undefined && r.threePhaseWh === 0 && r.unphasedWh === 0;
    const f: Fields = {
      capture: r.captureS,
      transformerWh: tr === undefined ? null : wh(tr),
      metersWh: wh(r.metersWh),
      diffWh: diff,
      diffPct: tr === undefined || tr <= 0 ? null : Math.round(((tr - r.metersWh) / tr) * 1000) / 10,
    };
    for (let k = 0; k < 3; k++) {
      f[`l${k + 1}Wh`] = tr === undefined ? null : wh(r.transformerPhaseWh[k]!);
      f[`l${k + 1}MetersWh`] = wh(r.phaseWh[k]!);
      f[`l${k + 1}DiffWh`] = phased ? wh(r.transformerPhaseWh[k]! - r.phaseWh[k]!) : null;
    }
    f.threePhaseWh = wh(r.threePhaseWh);
    f.unphasedWh = wh(r.unphasedWh);
    f.in = r.in;
    f.expected = r.expected;
    f.complete = complete(r);
    this.line(out, 'energy', f);
  }

  balanceCmd(out: ShellPrint, n: number | undefined): void {
    const b = this.balance;
    if (!b) throw new RangeError('no energy balance on this concentrator (config dc.balance)');
    const count = n ?? 8;
    if (!(Number.isInteger(count) && count >= 1 && count <= b.cfg.keep)) throw new RangeError(`n: 1..${b.cfg.keep}`);
    for (const r of b.last(count)) this.balanceLine(out, r);
    const c = b.counters;
    this.end(out, 'BALANCE', {
      n: Math.min(count, b.rows.length),
      kept: b.rows.length,
      keep: b.cfg.keep,
      meterIntervals: c.meterIntervals,
      transformerIntervals: c.transformerIntervals,
      late: c.late,
      unaligned: c.unaligned,
      negative: c.negative,
      noPrevious: c.noPrevious,
      sent: c.sent,
      refused: c.refused,
    });
  }

  phase(out: ShellPrint, meter: number, phase: number | undefined): void {
    const m = this.meter(meter);
    if (phase !== undefined) {
      const p = PHASES[phase];
      if (p === undefined) throw new RangeError('phase: NONE|L1|L2|L3|3P');
      m.phase = p;
    }
    this.end(out, 'PHASE', { eui: m.eui, short: `0x${m.short.toString(16).padStart(4, '0')}`, phase: m.phase });
  }

  register(rs: RunServiceFn): void {
    rs('shell.register', 'DC', 'METERS', 0, '- the concentrator registry: one line per meter', (_p, out) => this.meters(out));
    rs(
      'shell.register',
      'DC',
      'READ',
      2,
      `<meter> <${REGISTER_NAMES.join('|')}> - read a register now (ahead of bulk work)`,
      (p, out) => this.read(out, p[0]!, p[1]!),
      Object.fromEntries(REGISTER_NAMES.map((n, i) => [n, i])),
    );
    rs('shell.register', 'DC', 'PROFILE', 3, '<meter> <from> <to> - load-profile intervals kept (unix s)', (p, out) =>
      this.profile(out, p[0]!, p[1]!, p[2]!),
    );
    rs('shell.register', 'DC', 'EVENTS', 1, '<since> - meter events kept since (unix s)', (p, out) => this.events(out, p[0]!));
    rs(
      'shell.register',
      'DC',
      'BALANCE',
      [0, 1],
      '[n] - energy balance of the last n intervals: transformer, meters, difference, per phase',
      (p, out) => this.balanceCmd(out, p[0]),
    );
    rs(
      'shell.register',
      'DC',
      'PHASE',
      [1, 2],
      '<meter> [NONE|L1|L2|L3|3P] - the grid phase a meter is on (installation data, for DC BALANCE)',
      (p, out) => this.phase(out, p[0]!, p[1]),
      Object.fromEntries(PHASES.map((n, i) => [n === '?' ? 'NONE' : n, i])),
    );
    rs('shell.register', 'DC', 'STATS', 0, '- scheduler and session counters', (_p, out) => this.stats(out));
    rs(
      'shell.register',
      'DC',
      'SCHEDULE',
      [0, 2],
      '[show|profile <min>|pause|resume|now] - the read schedule',
      (p, out) => this.schedule(out, p.length ? p : [0]),
      { SHOW: 0, PROFILE: 1, PAUSE: 2, RESUME: 3, NOW: 4 },
    );
    rs(
      'shell.register',
      'DC',
      'JSON',
      1,
      '<ON|OFF> - DC outputs as one JSON object per line',
      (p, out) => {
        if (p[0] !== 0 && p[0] !== 1) throw new RangeError('ON or OFF');
        this.json = p[0] === 1;
        this.end(out, 'JSON', { json: this.json });
      },
      { OFF: 0, ON: 1 },
    );
  }
}
