// The concentrator's alarm path (docs/alarms.md): DATA-NOTIFICATIONs pushed by meters to its
// UDP 4059 client socket (handed over by dlms-read.ts), checked against the PLC device table
// (the sender's short address must belong to a joined device: unknown senders are dropped and
// counted), deciphered (general-glo-ciphering, invocation counter above the sender's last),
// then aggregated and rate-limited on their way to the uplink sink:
// - one entry per (meter, code): a repeat while the entry waits, or within aggregateS of its
//   last delivery, adds to its count; so the table holds at most maxMeters x maxCodes entries
//   and no accepted alarm is lost: every one is in the count of a delivered or a waiting entry;
// - a meter gets at most one alarm to the sink per meterIntervalMs, all meters perSecond;
// - while alarms wait (and backoffMs after the last one) backpressure() is true: the bulk
//   (scheduler) work backs off.
import type { RunServiceFn } from '../../generic/services.js';
import type { Message } from '../../generic/kernel.js';
import type { TimerModule, TimerHandle } from '../../generic/timer.js';
import { accept, type MalformedCounts } from '../../generic/shared/messages.js';
import { RequestIds } from '../../generic/shared/request-ids.js';
import { ADP_DEVICE_REQUEST, ADP_DEVICE_CONFIRM } from '../../generic/shared/net-messages.js';
import { ADP_SUCCESS } from '../../generic/ids.js';
import { decodeWrapperDatagram } from '../dlms/wrapper.js';
import { DATA_NOTIFICATION, openNotification, type ReceivedNotification } from '../dlms/notification.js';
import { AuthenticationFailed, type Gcm, type SecurityKeys } from '../dlms/security.js';
import { ApduTag } from '../dlms/xdlms-const.js';
import { items, num, octets, lnKey, obis } from '../cosem/data.js';
import { fromDateTime } from '../cosem/clock.js';
import type { UplinkAlarm, UplinkSink } from './headend/records.js';
import { DEFAULT_ALARM_FILTER } from '../cosem/cosem-const.js';
import { formatCounters } from '../../generic/shared/format.js';

/** The meters' alarm Push setup (push.ts): its LN is the body's second element. */
const ALARM_PUSH_LN = lnKey(obis('0.4.25.9.0.255'));
/** Pump period while alarms wait, ms. */
const PUMP_MS = 100;
/** A device-table scan at most this often (unknown senders cannot make PLC's ADP task busy). */
const SCAN_MIN_MS = 5000;

export interface AlarmsConfig {
  /** Meters (short address -> EUI-64) kept from PLC's device table. */
  maxMeters: number;
  /** Alarm codes accepted: 1..maxCodes-1. */
  maxCodes: number;
  /** Repeats of a meter's code within this window are one alarm with a count, s. */
  aggregateS: number;
  /** One alarm per meter to the sink per this many ms. */
  meterIntervalMs: number;
  /** Alarms to the sink per second, all meters. */
  perSecond: number;
  /** Alarms kept for DC ALARMS. */
  recent: number;
  /** Datagrams waiting for the device table. */
  pending: number;
  /** Bulk work backs off this long after the last alarm, ms. */
  backoffMs: number;
  /** Accept unciphered DATA-NOTIFICATIONs (default false: general-glo-ciphering required). */
  plain?: boolean;
  maxDataDepth?: number;
}

export interface AlarmsIo {
  keys: SecurityKeys;
  gcm: Gcm;
  /** Concentrator clock, ms since 1970. */
  now(): number;
  timers: Pick<TimerModule, 'set' | 'clear'>;
  /** The EUI-64 (16 upper-case hex) of a short address in PLC's device table, or undefined. */
  meterOf(short: number): Promise<string | undefined>;
  sink: UplinkSink;
}

interface Entry {
  meter: string;
  code: number;
  eventMs: number;
  receivedMs: number;
  /** Alarms folded into this entry not yet delivered. */
  count: number;
  queued: boolean;
  deliveredMs: number;
}
export interface RecentAlarm extends UplinkAlarm {
  short: number;
  /** receivedS - eventS in ms, and how long it waited here, ms. */
  latencyMs: number;
  waitMs: number;
}

const hex = (v: number) => v.toString(16).padStart(4, '0');

export class AlarmCenter {
  /** Codes taken from event logs as alarms: the meters' default alarm filter (push.ts). */
  logFilter = DEFAULT_ALARM_FILTER;
  readonly counters = { datagrams: 0, accepted: 0, delivered: 0, aggregated: 0, deferred: 0, fromLog: 0, logKnown: 0 };
  readonly drops = { malformed: 0, unknown: 0, auth: 0, replay: 0, unciphered: 0, body: 0, code: 0, pendingFull: 0, tableFull: 0 };
  readonly recent: RecentAlarm[] = [];
  readonly latency = { n: 0, sumMs: 0, maxMs: 0 };
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly lastIc = new Map<string, number>();
  private readonly lastToSink = new Map<string, number>();
  private readonly shorts = new Map<string, number>();
  private pending = 0;
  private pump: TimerHandle | undefined;
  private lastAlarmMs = -Infinity;
  private tokens: number;
  private tokensAt: number;

  constructor(
    private readonly io: AlarmsIo,
    readonly cfg: AlarmsConfig,
  ) {
    this.tokens = cfg.perSecond;
    this.tokensAt = io.now();
  }

  /** True while alarms wait or for backoffMs after the last one: bulk work should wait. */
  backpressure(): boolean {
    return this.queue.length > 0 || this.io.now() - this.lastAlarmMs < this.cfg.backoffMs;
  }
  get busy(): boolean {
    return this.backpressure();
  }
  get waiting(): number {
    return this.queue.reduce((n, e) => n + e.count, 0);
  }

  /**
   * A datagram from UDP 4059 that no request awaited: true when it is a push (taken here,
   * used or dropped and counted), false when it is not (the client counts it as stale).
   */
  input(src: number, data: Uint8Array): boolean {
    let apdu: Uint8Array;
    try {
      apdu = decodeWrapperDatagram(data).apdu;
    } catch {
      return false;
    }
    if (apdu[0] !== DATA_NOTIFICATION && apdu[0] !== ApduTag.GENERAL_GLO_CIPHERING) return false;
    this.counters.datagrams++;
    if (this.pending >= this.cfg.pending) {
      this.drops.pendingFull++;
      return true;
    }
    this.pending++;
    const received = this.io.now();
    void this.io.meterOf(src).then(
      (meter) => {
        this.pending--;
        if (meter === undefined) this.drops.unknown++;
        else this.take(src, meter, apdu, received);
      },
      () => {
        this.pending--;
        this.drops.unknown++;
      },
    );
    return true;
  }

  private take(short: number, meter: string, apdu: Uint8Array, receivedMs: number): void {
    let n: ReceivedNotification;
    try {
      n = openNotification(apdu, this.io.gcm, this.io.keys, this.cfg.maxDataDepth === undefined ? {} : { maxDepth: this.cfg.maxDataDepth });
    } catch (e) {
      if (e instanceof AuthenticationFailed) this.drops.auth++;
      else this.drops.malformed++;
      return;
    }
    if (n.invocationCounter === undefined) {
      if (!this.cfg.plain) {
        this.drops.unciphered++;
        return;
      }
    } else {
      const last = this.lastIc.get(meter);
      if (last !== undefined && n.invocationCounter <= last) {
        this.drops.replay++;
        return;
      }
      this.lastIc.set(meter, n.invocationCounter);
    }
    const body = items(n.notification.body);
    const ln = octets(body?.[1]);
    const code = num(body?.[3]);
    if (n.notification.body.type !== 'structure' || body?.length !== 4 || !ln || lnKey(ln) !== ALARM_PUSH_LN || code === undefined) {
      this.drops.body++;
      return;
    }
    if (!(Number.isInteger(code) && code >= 1 && code < this.cfg.maxCodes)) {
      this.drops.code++;
      return;
    }
    const t = n.notification.time && fromDateTime(n.notification.time);
    this.shorts.set(meter, short);
    this.alarm(meter, code, t ?? receivedMs, receivedMs);
  }

  /** The concentrator's clock, ms. */
  now(): number {
    return this.io.now();
  }

  /**
   * An event found in a meter's event log (the scheduler's read) whose code the default alarm
   * filter pushes: an alarm the meter's push did not bring (lost before the meter had rejoined,
   * say) goes on as one; one already pushed (its entry holds that event time or a later one)
   * is counted as known and not sent again. The latency is then the read's, not the push's.
   */
  fromLog(meter: string, code: number, eventMs: number, receivedMs: number): void {
    if (!(Number.isInteger(code) && code >= 1 && code < this.cfg.maxCodes) || (Math.floor(this.logFilter / 2 ** code) & 1) === 0) return;
    const e = this.entries.get(`${meter}:${code}`);
    if (e && e.eventMs >= eventMs) {
      this.counters.logKnown++;
      return;
    }
    this.counters.fromLog++;
    this.alarm(meter, code, eventMs, receivedMs);
  }

  /** One accepted alarm: folded into its (meter, code) entry or a new one. */
  alarm(meter: string, code: number, eventMs: number, receivedMs: number): void {
    this.counters.accepted++;
    this.lastAlarmMs = receivedMs;
    const key = `${meter}:${code}`;
    const e = this.entries.get(key);
    if (e && (e.queued || receivedMs - e.deliveredMs < this.cfg.aggregateS * 1000)) {
      if (e.count > 0) this.counters.aggregated++;
      e.count++;
      if (!e.queued) {
        e.eventMs = eventMs;
        e.receivedMs = receivedMs;
        e.queued = true;
        this.queue.push(e);
      }
    } else if (e) {
      Object.assign(e, { eventMs, receivedMs, count: 1, queued: true });
      this.queue.push(e);
    } else {
      if (this.entries.size >= this.cfg.maxMeters * this.cfg.maxCodes && !this.evict(receivedMs)) {
        // every entry waits or is in its window: cannot happen while meters come from the
        // bounded table; counted if it ever does
        this.drops.tableFull++;
        return;
      }
      const n: Entry = { meter, code, eventMs, receivedMs, count: 1, queued: true, deliveredMs: -Infinity };
      this.entries.set(key, n);
      this.queue.push(n);
    }
    this.drain();
  }

  /** Frees one entry that neither waits nor is in its aggregation window (meters that left). */
  private evict(now: number): boolean {
    for (const [k, e] of this.entries)
      if (!e.queued && now - e.deliveredMs >= this.cfg.aggregateS * 1000) {
        this.entries.delete(k);
        return true;
      }
    return false;
  }

  /** Hands waiting entries to the sink as the rate limits allow; re-armed while some wait. */
  private drain(): void {
    const now = this.io.now();
    this.tokens = Math.min(this.cfg.perSecond, this.tokens + ((now - this.tokensAt) * this.cfg.perSecond) / 1000);
    this.tokensAt = now;
    for (let k = 0; k < this.queue.length && this.tokens >= 1; ) {
      const e = this.queue[k]!;
      const last = this.lastToSink.get(e.meter) ?? -Infinity;
      // a repeat waits for the end of its aggregation window; a meter for its interval
      if (now - last < this.cfg.meterIntervalMs || now - e.deliveredMs < this.cfg.aggregateS * 1000) {
        k++;
        continue;
      }
      this.queue.splice(k, 1);
      this.tokens--;
      this.deliver(e, now);
    }
    if (this.queue.length && this.pump === undefined) {
      this.counters.deferred++;
      this.pump = this.io.timers.set(() => {
        this.pump = undefined;
        this.drain();
      }, PUMP_MS);
    }
  }

  private deliver(e: Entry, now: number): void {
    const a: UplinkAlarm = {
      meter: e.meter,
      code: e.code,
      eventS: Math.floor(e.eventMs / 1000),
      receivedS: Math.floor(e.receivedMs / 1000),
      count: e.count,
    };
    this.counters.delivered += e.count;
    e.count = 0;
    e.queued = false;
    e.deliveredMs = now;
    this.lastToSink.set(e.meter, now);
    const latencyMs = e.receivedMs - e.eventMs;
    this.latency.n++;
    this.latency.sumMs += latencyMs;
    this.latency.maxMs = Math.max(this.latency.maxMs, latencyMs);
    this.recent.push({ ...a, short: this.shorts.get(e.meter) ?? 0, latencyMs, waitMs: now - e.receivedMs });
    if (this.recent.length > this.cfg.recent) this.recent.shift();
    this.io.sink.alarm(a);
  }

  lines(): string {
    let s = '';
    for (const r of this.recent)
      s += `ALARM meter=${r.meter} short=0x${hex(r.short)} code=${r.code} eventS=${r.eventS} receivedS=${r.receivedS} count=${r.count} latency.ms=${r.latencyMs} wait.ms=${r.waitMs}\r\n`;
    return s + this.summary();
  }

  summary(): string {
    const l = this.latency;
    return `DC ALARMS recent=${this.recent.length} accepted=${this.counters.accepted} delivered=${this.counters.delivered} waiting=${this.waiting} aggregated=${this.counters.aggregated} latency.mean.ms=${l.n ? Math.round(l.sumMs / l.n) : 0} latency.max.ms=${l.maxMs} backpressure=${this.backpressure() ? 1 : 0}\r\n`;
  }

  stats(): string {
    const kv = formatCounters;
    return `DC ALARMS STATS ${kv(this.counters)} entries=${this.entries.size}/${this.cfg.maxMeters * this.cfg.maxCodes} waiting=${this.waiting} dropped{${kv(this.drops)}}\r\n`;
  }
}

/** Short address -> EUI-64 from PLC's device table (X_ADP_DEVICE_REQUEST by index), cached. */
export class MeterTable {
  readonly malformed: MalformedCounts = {};
  private readonly known = new Map<number, string>();
  private readonly ids = new RequestIds();
  private scan: Promise<void> | undefined;
  private scannedAt = -Infinity;
  private step: ((p: { status: number; count: number; short: number; eui64: Uint8Array } | undefined) => void) | undefined;
  private req = -1;

  constructor(
    private readonly rs: RunServiceFn,
    private readonly task: number,
    private readonly timers: TimerModule,
    private readonly max: number,
    private readonly full: () => void,
  ) {}

  async meterOf(short: number): Promise<string | undefined> {
    const m = this.known.get(short);
    if (m !== undefined) return m;
    if (!this.scan && this.rs('misc.uptime') - this.scannedAt >= SCAN_MIN_MS) {
      this.scan = this.rescan().finally(() => {
        this.scan = undefined;
        this.scannedAt = this.rs('misc.uptime');
      });
    }
    if (this.scan) await this.scan;
    return this.known.get(short);
  }

  private async rescan(): Promise<void> {
    this.known.clear();
    for (let index = 0; ; index++) {
      const p = await this.ask(index);
      if (!p || p.status !== ADP_SUCCESS) return;
      if (this.known.size >= this.max) {
        this.full();
        return;
      }
      let eui = '';
      for (const b of p.eui64) eui += b.toString(16).padStart(2, '0').toUpperCase();
      this.known.set(p.short, eui);
      if (index + 1 >= p.count) return;
    }
  }

  private ask(index: number): Promise<{ status: number; count: number; short: number; eui64: Uint8Array } | undefined> {
    const adp = this.rs('task.find', 'ADP');
    if (adp === undefined) return Promise.resolve(undefined);
    this.req = this.ids.next();
    return new Promise((resolve) => {
      const t = this.timers.set(() => {
        this.step = undefined;
        resolve(undefined);
      }, 5000);
      this.step = (p) => {
        this.timers.clear(t);
        this.step = undefined;
        resolve(p);
      };
      if (this.rs('msg.send', this.task, adp, ADP_DEVICE_REQUEST.id, { req: this.req, index }) !== 0) this.step(undefined);
    });
  }

  onMessage(m: Message): void {
    if (m.id !== ADP_DEVICE_CONFIRM.id) return;
    const p = accept(ADP_DEVICE_CONFIRM, m, this.malformed);
    if (p && p.req === this.req) this.step?.(p);
  }
}

/** Each alarm as a WARN trace: the sink until the head-end's is set, and beside it after. */
const traceSink = (rs: RunServiceFn): UplinkSink => ({
  record: () => false,
  alarm: (a) => rs('trace', 2, `alarm meter=${a.meter} code=${a.code} eventS=${a.eventS} receivedS=${a.receivedS} count=${a.count}`),
});

let running: AlarmCenter | undefined;
/** For the scheduler's bulk work: true while alarms wait or just came (false without an alarm path). */
export function alarmBackpressure(): boolean {
  return running?.backpressure() ?? false;
}

/** For the scheduler: an event read from a meter's log, taken as an alarm if no push brought it. */
export function alarmFromLog(meter: string, code: number, eventMs: number): void {
  running?.fromLog(meter, code, eventMs, running.now());
}

/** Hooks the alarm path to the DLMS client's socket; `DC ALARMS [STATS]`. */
export function startAlarms(
  rs: RunServiceFn,
  client: { unsolicited: ((src: number, data: Uint8Array) => boolean) | undefined },
  keys: SecurityKeys,
  gcm: Gcm,
  cfg: AlarmsConfig,
): { center: AlarmCenter; setSink(s: UplinkSink): void } {
  const timers = rs('timer.module') as TimerModule;
  let table: MeterTable | undefined;
  const task = rs('task.create', { name: 'DCALARM', priority: 4, queue: 8, onMessage: (m) => table?.onMessage(m) });
  let sink = traceSink(rs);
  const center = new AlarmCenter(
    {
      keys,
      gcm,
      now: () => rs('misc.time'),
      timers,
      meterOf: (s) => table!.meterOf(s),
      sink: { record: (r) => sink.record(r), alarm: (a) => sink.alarm(a) },
    },
    cfg,
  );
  table = new MeterTable(rs, task, timers, cfg.maxMeters, () => center.drops.tableFull++);
  running = center;
  client.unsolicited = (src, data) => center.input(src, data);
  rs(
    'shell.register',
    'DC',
    'ALARMS',
    [0, 1],
    '[STATS] - recent alarms pushed by meters (count, latency), or the alarm path counters and drops',
    (p, out) => out(p[0] === 1 ? center.stats() : center.lines()),
    { STATS: 1 },
  );
  const trace = traceSink(rs);
  const setSink = (s: UplinkSink): void => {
    sink = {
      record: (r) => s.record(r),
      alarm: (a) => {
        trace.alarm(a);
        s.alarm(a);
      },
    };
  };
  return { center, setSink };
}
