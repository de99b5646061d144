// The concentrator's durable uplink (docs/dc-storage.md): every record the scheduler takes and
// every alarm goes to the SPI NOR first (store-flash.ts: profiles and registers in the batched log
// "profiles", meter events and alarms in the journal "events"), and the head-end uplink is fed from
// there, in seq order, as it has room. A record is acknowledged when the upload that carried it is;
// each log's acknowledged pointer (every seq up to it acknowledged) is kept in the mirrored counters
// and moves with the acks. At boot the readers start after the pointers: what was not acknowledged
// before a reboot or a power cut is sent again (the head-end stores idempotently by meter, OBIS and
// capture time, so a record it already had is not counted twice).
// The registry's cursors are saved only after the logs are flushed (index.ts), so a row is on the
// flash before a saved cursor moves past it. powerFail() (the power-loss signal) flushes and writes
// the shutdown marker; boot says whether the last stop was clean.
import type { FlashDriver } from 'drivers/spinor/flash';
import { METRO_INSTANT } from '../../generic/shared/metro-answers.js';
import { METRO_GET_INSTANT } from '../../generic/shared/metro-requests.js';
import type { TimerModule } from '../../generic/timer.js';
import { LegalLink } from '../meter/legal.js';
import type { RunServiceFn } from '../../generic/services.js';
import type { Crc32 } from '../../generic/shared/nvrecord.js';
import type { UplinkAlarm, UplinkRecord, UplinkSink } from './headend/records.js';
import type { Uplink } from './headend/uplink.js';
import { decodeAlarm, decodeRecords, encodeAlarm, encodeRecords } from './headend/wire.js';
import { MirroredCounters, RecordLog, type StoreState, TYPE_ALARM, TYPE_RECORD } from './store-flash.js';

/** config.parts.nonlegal.dc.store (modules/nonlegal/manifest.json) */
export interface StoreConfig {
  /** bytes of profile records gathered before one program (0..4080; 0: each at once) */
  batchBytes: number;
  /** an unacknowledged record older than this (s) may be erased when its sector is needed */
  retentionS: number;
  /** profile records gathered are programmed at least this often, ms */
  flushMs: number;
  /** how often LEGAL's last measured second is read to detect a loss of supply, ms (0: never) */
  supplyPollMs: number;
  /** below this voltage on every phase (V) the supply is lost: flush and shutdown marker */
  supplyLossV: number;
}

export const STORE_AREAS = ['profiles', 'events', 'counters-a', 'counters-b'] as const;

export function storeConfig(c: Partial<StoreConfig> | undefined): StoreConfig {
  const o: StoreConfig = { batchBytes: 512, retentionS: 7 * 86400, flushMs: 5000, supplyPollMs: 1000, supplyLossV: 100, ...c };
  const check = (k: keyof StoreConfig, lo: number, hi: number) => {
    const v = o[k];
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new RangeError(`dc.store.${k}: ${lo}..${hi}, got ${String(v)}`);
  };
  check('batchBytes', 0, 4080);
  check('retentionS', 3600, 366 * 86400);
  check('flushMs', 100, 600000);
  check('supplyPollMs', 0, 60000);
  check('supplyLossV', 1, 400);
  return o;
}

/** One log's side of the feed: what was handed to the uplink and not yet settled. */
class Feed {
  readonly inflight = new Set<number>();
  resent = 0;
  lost = 0;
  constructor(
    readonly log: RecordLog,
    readonly index: number,
  ) {}
  /** Every seq up to this is settled: the lowest in flight, or the reader's next, minus one. */
  settled(): number {
    let low = this.log.readSeq;
    for (const s of this.inflight) if (s < low) low = s;
    return low - 1;
  }
}

export type LastStop = 'new' | 'clean' | 'cut';

export class DcStore implements UplinkSink {
  readonly profiles: Feed;
  readonly events: Feed;
  lastStop: LastStop = 'new';
  boots = 0;
  /** records the uplink refused as invalid (settled, not sent) */
  invalid = 0;
  private pumping = false;
  /** After the power-loss signal every counters record carries the shutdown marker. */
  stopping = false;
  /** LEGAL's supply as last read: 'unknown' until measured (or no poll), 'seen', 'lost'. */
  supply: 'unknown' | 'seen' | 'lost' = 'unknown';

  constructor(
    profiles: RecordLog,
    events: RecordLog,
    readonly counters: MirroredCounters,
    private readonly up: Uplink,
  ) {
    this.profiles = new Feed(profiles, 0);
    this.events = new Feed(events, 1);
    up.onSettled = (tags, acked) => this.settle(tags, acked);
  }

  /** Reads the counters and the logs; the readers start after the acknowledged pointers. */
  boot(): void {
    const st = this.counters.load();
    this.lastStop = st ? (st.clean ? 'clean' : 'cut') : 'new';
    this.boots = (st?.boots ?? 0) + 1;
    this.profiles.log.load(st?.profilesAcked ?? 0);
    this.events.log.load(st?.eventsAcked ?? 0);
    this.save(false);
    this.pump();
  }

  private state(clean: boolean): StoreState {
    return { profilesAcked: this.profiles.log.acked, eventsAcked: this.events.log.acked, boots: this.boots, clean };
  }

  private save(clean: boolean): void {
    this.counters.save(this.state(clean || this.stopping));
  }

  record(r: UplinkRecord): boolean {
    const f = r.kind === 'event' ? this.events : this.profiles;
    let body: Uint8Array;
    try {
      body = encodeRecords([r]).subarray(2);
    } catch {
      this.invalid++;
      return false;
    }
    if (f.log.append(TYPE_RECORD, r.captureS, body) < 0) return false;
    this.pump();
    return true;
  }

  alarm(a: UplinkAlarm): void {
    const b = new Uint8Array(20);
    try {
      encodeAlarm({ ...a, meter: typeof a.meter === 'string' ? a.meter.toUpperCase() : '' }, b, 0);
    } catch {
      this.invalid++;
      return;
    }
    // the journal programs it at once; the feed sends it now if nothing older waits
    if (this.events.log.append(TYPE_ALARM, a.eventS, b) < 0) this.up.alarm(a); // journal full: sent, not kept
    this.pump();
  }

  /** Programs what the logs gathered (before the registry saves its cursors). */
  flush(): void {
    this.profiles.log.flush();
    this.events.log.flush();
    this.pump();
  }

  /** The power-loss signal: flush, then the shutdown marker. */
  powerFail(): void {
    this.stopping = true;
    this.profiles.log.flush();
    this.events.log.flush();
    this.save(true);
  }

  /** The supply came back before the power went (a dip): the marker is cleared. */
  powerRestored(): void {
    if (!this.stopping) return;
    this.stopping = false;
    this.save(false);
  }

  /** Feeds the uplink from the logs while it has room: the journal (alarms, events) first. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.feed(this.events);
      this.feed(this.profiles);
    } finally {
      this.pumping = false;
    }
  }

  private feed(f: Feed): void {
    for (;;) {
      // an alarm needs alarm room, a record bulk room: look before reading it (the profiles log has no alarms)
      if (f === this.profiles ? !this.up.bulkRoom() : !this.up.alarmRoom() && !this.up.bulkRoom()) return;
      const before = { seq: f.log.readSeq };
      const r = f.log.read();
      if (!r) return;
      const tag = r.seq * 2 + f.index;
      if (r.type === TYPE_ALARM) {
        if (!this.up.alarmRoom()) return this.unread(f, before.seq);
        f.inflight.add(r.seq);
        this.up.alarmTagged(decodeAlarm(r.body, 0), tag);
      } else {
        if (!this.up.bulkRoom()) return this.unread(f, before.seq);
        let rec: UplinkRecord | undefined;
        try {
          const b = new Uint8Array(r.body.length + 2);
          b[1] = 1;
          b.set(r.body, 2);
          rec = decodeRecords(b, 1)[0];
        } catch {
          rec = undefined;
        }
        f.inflight.add(r.seq);
        if (!rec || !this.up.recordTagged(rec, tag)) {
          this.invalid++;
          f.inflight.delete(r.seq);
        }
      }
    }
  }

  private unread(f: Feed, seq: number): void {
    f.log.seek(seq);
  }

  private settle(tags: readonly number[], acked: boolean): void {
    let moved = false;
    for (const t of tags) {
      const f = t % 2 ? this.events : this.profiles;
      f.inflight.delete(Math.floor(t / 2));
      if (!acked) f.lost++;
    }
    for (const f of [this.profiles, this.events]) {
      const s = f.settled();
      if (s > f.log.acked) {
        f.log.acked = s;
        moved = true;
      }
    }
    if (moved) this.save(false);
    this.pump();
  }

  /** `DC STORE` fields. */
  fields(): Record<string, string | number> {
    const o: Record<string, string | number> = { lastStop: this.lastStop, boots: this.boots, supply: this.supply };
    for (const [k, f] of [
      ['profiles', this.profiles],
      ['events', this.events],
    ] as const) {
      const l = f.log,
        c = l.counters;
      o[`${k}.records`] = l.records;
      o[`${k}.unacked`] = l.unacked;
      o[`${k}.inflight`] = f.inflight.size;
      o[`${k}.acked`] = l.acked;
      o[`${k}.sectors`] = `${l.used}/${l.sectors}`;
      o[`${k}.appends`] = c.appends;
      o[`${k}.bytes`] = c.bytes;
      o[`${k}.programs`] = c.programs;
      o[`${k}.erases`] = c.erases;
      o[`${k}.full`] = c.full;
      o[`${k}.expired`] = c.expired;
      o[`${k}.dropped`] = c.dropped;
    }
    o['counters.gen'] = this.counters.gen;
    o['counters.programs'] = this.counters.programs;
    o['counters.erases'] = this.counters.erases;
    o.invalid = this.invalid;
    return o;
  }
}

/**
 * Starts the store when NON-LEGAL holds its four flash areas (else undefined: the uplink is fed
 * from RAM as before); registers `DC STORE` and `DC POWERFAIL`, arms the flush timer, traces the boot.
 */
export function startStore(rs: RunServiceFn, up: Uplink, c: Partial<StoreConfig> | undefined): DcStore | undefined {
  const cfg = storeConfig(c);
  let fd: FlashDriver;
  try {
    fd = rs('driver.get', 'flash') as FlashDriver;
    if (!STORE_AREAS.every((a) => fd.areas().includes(a))) return undefined;
  } catch {
    return undefined;
  }
  const C = (rs('driver.get', 'crc') as { CRC32: new (p: number, i: number, ri: boolean, ro: boolean, x: number) => Crc32 }).CRC32;
  const crc = () => new C(0x04c11db7, 0xffffffff, true, true, 0xffffffff);
  const nowS = () => Math.floor(rs('misc.time') / 1000);
  const store = new DcStore(
    new RecordLog(fd.open('profiles'), crc(), cfg.batchBytes, cfg.retentionS, nowS),
    new RecordLog(fd.open('events'), crc(), 0, cfg.retentionS, nowS),
    new MirroredCounters([fd.open('counters-a'), fd.open('counters-b')], crc()),
    up,
  );
  store.boot();
  const line = () =>
    `DC STORE${Object.entries(store.fields())
      .map(([k, v]) => ` ${k}=${v}`)
      .join('')}\r\n`;
  rs('shell.register', 'DC', 'STORE', 0, '- the SPI NOR store: records, bytes, unacked, erases per log; last stop', (_p, out) =>
    out(line()),
  );
  rs('shell.register', 'DC', 'POWERFAIL', 0, '- the power-loss signal: flush the logs, write the shutdown marker', (_p, out) => {
    store.powerFail();
    out(line());
  });
  rs('shell.register', 'DC', 'SYNC', 0, '- program the records the logs gathered now (as before a cursor save)', (_p, out) => {
    store.flush();
    out(line());
  });
  const t = rs('timer.create', { name: 'DCSTORE', period: cfg.flushMs, repeat: true, onTimer: () => store.flush() });
  rs('timer.start', t);
  if (cfg.supplyPollMs) watchSupply(rs, store, cfg);
  const p = store.profiles.log,
    e = store.events.log;
  rs(
    'trace',
    store.lastStop === 'cut' ? 2 : 3,
    `DC STORE boot ${store.boots}: last stop ${store.lastStop}; unacked profiles=${p.unacked} events=${e.unacked}, resent from seq ${p.acked + 1}/${e.acked + 1}`,
  );
  return store;
}

/**
 * The power-loss signal on the concentrator: its LEGAL part measures the supply (the transformer's
 * phases); NON-LEGAL reads the last measured second every supplyPollMs and, when every phase is
 * below supplyLossV after the supply was seen, flushes and writes the shutdown marker (the time
 * the hold-up gives). There is no power-fail interrupt on lin or the boards (docs/alarms.md).
 */
function watchSupply(rs: RunServiceFn, store: DcStore, cfg: StoreConfig): void {
  const timers = rs('timer.module') as TimerModule;
  const legal = new LegalLink(rs, timers, cfg.supplyPollMs);
  legal.task = rs('task.create', { name: 'DCPWR', priority: 3, queue: 4, onMessage: (m) => void legal.onMessage(m) });
  let seen = false,
    busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const r = (await legal.request(METRO_GET_INSTANT, {}, METRO_INSTANT))?.instant;
      if (!r || r.time < 0 || !r.phases.length) return;
      let v = 0;
      for (const ph of r.phases) if (ph.v > v) v = ph.v;
      if (v >= cfg.supplyLossV) {
        if (!seen) rs('trace', 3, `DC STORE supply seen (${Math.round(v)} V)`);
        seen = true;
        store.supply = 'seen';
        if (store.stopping) {
          store.powerRestored();
          rs('trace', 2, `DC STORE supply back (${Math.round(v)} V): shutdown marker cleared`);
        }
      } else if (seen && !store.stopping) {
        store.supply = 'lost';
        store.powerFail();
        rs('trace', 2, `DC STORE supply lost (${Math.round(v)} V): logs flushed, shutdown marker written`);
      }
    } finally {
      busy = false;
    }
  };
  const t = rs('timer.create', { name: 'DCPWR', period: cfg.supplyPollMs, repeat: true, onTimer: () => void poll() });
  rs('timer.start', t);
}
