// The meter's COSEM server, for the optical port and UDP 4059: the object list of meter-objects.ts fed
// from LEGAL through messages (instantaneous values and registers, events, clock set, relay),
// and the load profile captured here, in NON-LEGAL, into a bounded ring.
import { METRO_GET_EVENTS_MAX, type Instant, type LegalEvent } from '../../generic/shared/messages.js';
import { METRO_GET_INSTANT, METRO_GET_EVENTS, METRO_SET_CLOCK, METRO_RELAY } from '../../generic/shared/metro-requests.js';
import { METRO_INSTANT, METRO_EVENTS, METRO_CLOCK, METRO_RELAY_STATE } from '../../generic/shared/metro-answers.js';
import type { DlmsData } from '../dlms/axdr.js';
import type { Gcm } from '../dlms/security.js';
import { fromHex } from '../dlms/bytes.js';
import { CosemServer } from '../cosem/server.js';
import { createMeterObjects, DEFAULT_CLIENTS } from './meter-objects.js';
import { dt, u32, u16 } from '../cosem/data.js';
import type { ProfileBuffer, ProfileRecords } from '../cosem/profile.js';
import { DataTag } from '../dlms/axdr-const.js';
import { encodeDateTime } from '../dlms/axdr.js';
import { tsTable, type TableColumn } from '../dlms/axdr-table.js';
import type { AxdrTableDriver } from 'drivers/axdr/axdr';
import type { SecurityEventKind } from '../cosem/cosem-const.js';
import type { AesBlock } from '../cosem/keywrap.js';
import { toDateTime, fromDateTime } from '../cosem/clock.js';
import { drbg, keyStore, receivedCounter, serverCounter } from './ic-store.js';
import type { LegalLink } from './legal.js';
import type { TimerModule, TimerHandle } from '../../generic/timer.js';
import type { CryptoDriver } from 'drivers/crypto/crypto-driver';
import { AlarmState, alarmObjects } from './push.js';
import { ImageTransfer } from '../cosem/image-transfer.js';
import { createImageStore, type ImageTransferConfig } from './image-store.js';

export interface MeterConfig {
  deviceName: string;
  deviceId: string;
  /** Server system title, 16 hex digits. */
  systemTitle: string;
  /** Factory keys (hex): global unicast encryption, authentication, master (KEK). */
  encryptionKey: string;
  authenticationKey: string;
  masterKey: string;
  /** Load profile capture period, s (1..86400), and depth (entries kept). */
  profilePeriod: number;
  profileDepth: number;
  /** How long a request waits for LEGAL, ms. */
  legalTimeoutMs: number;
  /** Instantaneous values are fetched at most once per this many ms. */
  instantCacheMs: number;
  /** Deepest nesting of arrays/structures accepted in client Data (optical and UDP). Default 8. */
  maxDataDepth?: number;
  /** The Image transfer object (0.0.44.0.0.255) and its bounds; absent: no such object. */
  imageTransfer?: ImageTransferConfig;
  /** Open associations at once (manifest parts.nonlegal.optical.maxAssociations). Default 8. */
  maxAssociations?: number;
  /** Requests waiting for LEGAL at once (manifest parts.nonlegal.optical.legalMaxWaiting). Default 8. */
  legalMaxWaiting?: number;
}

const MAX_EVENTS = METRO_GET_EVENTS_MAX; // entries of each event log read from LEGAL (its newest)
const COLUMNS = 5; // load profile: clock, +A, -A, +R, -R
/** The load profile's column types: the clock (date-time as octet-string(12)), four registers. */
const PROFILE_COLUMNS: readonly TableColumn[] = [
  { tag: DataTag.OCTET_STRING, size: 12 },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
];
const RECORD = 28; // bytes of one entry as a record (PROFILE_COLUMNS)

/** Load profile ring: [time ms, A+ Wh, A- Wh, R+ varh (Q1+Q2), R- varh (Q3+Q4)] per entry. */
export class LoadProfile implements ProfileBuffer {
  readonly rows: Float64Array;
  head = 0; // next slot written
  used = 0;
  captures = 0;
  missed = 0;
  constructor(
    readonly depth: number,
    codec: AxdrTableDriver = tsTable,
  ) {
    this.rows = new Float64Array(depth * COLUMNS);
    this.table = { columns: PROFILE_COLUMNS, codec, records: (first, n, out) => this.records(first, n, out) };
  }
  add(time: number, r: Instant['registers']): void {
    const o = this.head * COLUMNS;
    this.rows[o] = time;
    this.rows[o + 1] = r.aImp;
    this.rows[o + 2] = r.aExp;
    this.rows[o + 3] = r.rQ1 + r.rQ2;
    this.rows[o + 4] = r.rQ3 + r.rQ4;
    this.head = (this.head + 1) % this.depth;
    if (this.used < this.depth) this.used++;
    this.captures++;
  }
  count(): number {
    return this.used;
  }
  read(first: number, n: number): DlmsData[][] {
    const out: DlmsData[][] = [];
    for (let k = first; k < Math.min(first + n, this.used); k++) {
      const o = ((this.head - this.used + k + this.depth) % this.depth) * COLUMNS;
      out.push([
        dt(toDateTime(this.rows[o]!)),
        u32(Math.round(this.rows[o + 1]!)),
        u32(Math.round(this.rows[o + 2]!)),
        u32(Math.round(this.rows[o + 3]!)),
        u32(Math.round(this.rows[o + 4]!)),
      ]);
    }
    return out;
  }
  /**
   * The entries as records for the A-XDR table codec (the values read() gives, as their wire
   * bytes); `codec` is the native driver "axdr" where granted (createMeter), else tsTable.
   */
  readonly table: ProfileRecords;
  records(first: number, n: number, out: Uint8Array): number {
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let q = 0;
    for (let k = first; k < Math.min(first + n, this.used); k++) {
      const o = ((this.head - this.used + k + this.depth) % this.depth) * COLUMNS;
      putDateTime(out, q, this.rows[o]!);
      for (let c = 1; c < COLUMNS; c++) {
        const v = Math.round(this.rows[o + c]!);
        if (!(v >= 0 && v <= 0xffffffff)) return -1; // read()'s u32 would not encode either
        dv.setUint32(q + 8 + 4 * c, v);
      }
      q += RECORD;
    }
    return q / RECORD;
  }
  reset(): boolean {
    this.used = 0;
    this.head = 0;
    return true;
  }
  /** Profile generic method capture (2): set by the meter. */
  capture?: () => Promise<boolean>;
}

const DAY_MS = 86400000;
const YEAR_10000 = 253402300800000; // Date.UTC(10000, 0, 1)

/**
 * encodeDateTime(toDateTime(ms)) written at out[q..q+12), for 0 <= ms < year 10000 without a Date
 * (civil date from days, the proleptic Gregorian calendar); other times through toDateTime().
 */
function putDateTime(out: Uint8Array, q: number, ms: number): void {
  if (!(Number.isInteger(ms) && ms >= 0 && ms < YEAR_10000)) {
    out.set(encodeDateTime(toDateTime(ms)), q);
    return;
  }
  const days = Math.floor(ms / DAY_MS),
    s = Math.floor((ms - days * DAY_MS) / 1000);
  const z = days + 719468, // days since 0000-03-01
    era = Math.floor(z / 146097),
    doe = z - era * 146097,
    yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365),
    doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)),
    mp = Math.floor((5 * doy + 2) / 153),
    month = mp < 10 ? mp + 3 : mp - 9,
    year = era * 400 + yoe + (month <= 2 ? 1 : 0);
  out[q] = year >> 8;
  out[q + 1] = year & 0xff;
  out[q + 2] = month;
  out[q + 3] = doy - Math.floor((153 * mp + 2) / 5) + 1;
  out[q + 4] = ((days + 3) % 7) + 1; // 1970-01-01 was a Thursday (4); Monday is 1
  out[q + 5] = Math.floor(s / 3600);
  out[q + 6] = Math.floor(s / 60) % 60;
  out[q + 7] = s % 60;
  out[q + 8] = Math.floor((ms % 1000) / 10);
  out[q + 9] = 0; // deviation 0, clock status 0 (toDateTime: the meter keeps UTC)
  out[q + 10] = 0;
  out[q + 11] = 0;
}

export interface Meter {
  server: CosemServer;
  profile: LoadProfile;
  /** A fresh (or cached) copy of LEGAL's last second; undefined if LEGAL does not answer. */
  instant(): Promise<Instant | undefined>;
  /** The meter clock, ms since 1970 UTC. */
  now(): number;
  readonly security: Record<SecurityEventKind, number>;
  /** Push DATA-NOTIFICATION sender (set by the port: the optical HDLC link). */
  push: (apdu: Uint8Array) => boolean;
  captureNow(): Promise<boolean>;
  relayClosed(): boolean;
  /** The alarm register and filter; the alarm push (push.ts) sets the hooks below. */
  alarms: AlarmState;
  events(n: number, from?: number): Promise<readonly LegalEvent[] | undefined>;
  onSecurity: ((kind: SecurityEventKind) => void) | undefined;
  pushSend: (apdu: Uint8Array) => boolean;
  gcm: Gcm;
  /** The Image transfer object, where the manifest configures it and the flash areas exist. */
  image?: ImageTransfer;
}

export function createMeter(
  rs: import('../../generic/services.js').RunServiceFn,
  legal: LegalLink,
  timer: TimerModule,
  crypto: CryptoDriver,
  cfg: MeterConfig,
  trace: (level: number, text: string) => void,
): Meter {
  let offset = 0; // meter clock = misc.time() + offset
  const now = () => rs('misc.time') + offset;
  let cached: Instant | undefined,
    cachedAt = -Infinity;
  let relayClosed = true;
  const security: Record<SecurityEventKind, number> = {
    'authentication-failure': 0,
    'deciphering-failure': 0,
    replay: 0,
    'key-changed': 0,
    'association-rejected': 0,
  };

  async function instant(): Promise<Instant | undefined> {
    const t = rs('misc.uptime');
    if (cached && t - cachedAt < cfg.instantCacheMs) return cached;
    const r = (await legal.request(METRO_GET_INSTANT, {}, METRO_INSTANT))?.instant;
    if (!r || r.time < 0) return undefined;
    cached = r;
    cachedAt = t;
    return r;
  }
  async function value<T>(f: (i: Instant) => T): Promise<T> {
    const i = await instant();
    if (!i) throw new Error('LEGAL did not answer'); // the server answers temporary-failure
    return f(i);
  }

  // ---- load profile: captured at clock multiples of the period ----
  let codec: AxdrTableDriver = tsTable;
  try {
    codec = rs('driver.get', 'axdr') as AxdrTableDriver; // granted on lin and mps2-an386
  } catch {
    codec = tsTable; // no binding in this image (the STM32F405's), or not granted
  }
  const profile = new LoadProfile(Math.max(1, cfg.profileDepth | 0), codec);
  let period = cfg.profilePeriod;
  let captureTimer: TimerHandle | undefined;
  async function captureNow(): Promise<boolean> {
    const i = await instant();
    if (!i) {
      profile.missed++;
      return false;
    }
    profile.add(Math.floor(now() / 1000) * 1000, i.registers);
    return true;
  }
  function schedule(): void {
    timer.clear(captureTimer);
    const p = period * 1000,
      t = now();
    captureTimer = timer.set(
      () => {
        captureTimer = undefined;
        void captureNow().then(schedule, schedule);
      },
      p - (t % p) + 1,
    );
  }
  profile.capture = captureNow;
  schedule();

  // ---- event logs from LEGAL's log ----
  let events: readonly LegalEvent[] = [],
    eventsAt = -Infinity;
  async function fetchEvents(): Promise<readonly LegalEvent[]> {
    const t = rs('misc.uptime');
    if (t - eventsAt < 1000) return events;
    const r = await legal.request(METRO_GET_EVENTS, { n: MAX_EVENTS }, METRO_EVENTS);
    if (!r) throw new Error('LEGAL did not answer');
    events = r.events.slice(-MAX_EVENTS);
    eventsAt = t;
    return events;
  }
  const eventRow = (e: LegalEvent): DlmsData[] => [dt(toDateTime(e.time)), u16(e.type & 0xffff)];
  const log = (pick: (e: LegalEvent) => boolean): ProfileBuffer => ({
    count: async () => (await fetchEvents()).filter(pick).length,
    read: async (first, n) =>
      (await fetchEvents())
        .filter(pick)
        .slice(first, first + n)
        .map(eventRow),
  });

  const relay = async (connect: boolean): Promise<boolean> => {
    const r = await legal.request(METRO_RELAY, { connect }, METRO_RELAY_STATE);
    if (!r) return false;
    relayClosed = r.connected;
    cached = undefined; // the next read shows the new current
    return relayClosed === connect;
  };
  void legal.request(METRO_RELAY, {}, METRO_RELAY_STATE).then((r) => {
    if (r) relayClosed = r.connected;
  });

  const title = fromHex(cfg.systemTitle);
  const random = drbg(rs, title);
  const ic = serverCounter(rs, () => new DataView(random.random(4).buffer).getUint32(0));
  const aes: AesBlock = { encrypt: (k, b) => crypto.aesEncrypt(k, b), decrypt: (k, b) => crypto.aesDecrypt(k, b) };
  // the keys transferred by global_key_transfer, kept wrapped in NON-LEGAL's NVRAM area
  const stored = keyStore(
    rs,
    { encryptionKey: fromHex(cfg.encryptionKey), authenticationKey: fromHex(cfg.authenticationKey), masterKey: fromHex(cfg.masterKey) },
    aes,
  );
  const received = receivedCounter(rs, stored.record);
  const gcm: Gcm = {
    encrypt: (k, iv, a, p) => crypto.gcmEncrypt(k, iv, a, p),
    decrypt: (k, iv, a, c, t) => crypto.gcmDecrypt(k, iv, a, c, t),
  };
  const meter: Meter = {
    server: undefined as unknown as CosemServer,
    profile,
    instant,
    now,
    security,
    captureNow,
    push: () => false,
    relayClosed: () => relayClosed,
    alarms: new AlarmState(),
    events: async (n, from) => (await legal.request(METRO_GET_EVENTS, from === undefined ? { n } : { n, from }, METRO_EVENTS))?.events,
    onSecurity: undefined,
    pushSend: () => false,
    gcm,
  };
  // DLMS image transfer into NON-LEGAL's candidate slot (image-store.ts); the management client only
  const imageStore = cfg.imageTransfer
    ? createImageStore(rs, cfg.imageTransfer, () => new Promise<void>((r) => timer.set(() => r(), 0)), trace)
    : undefined;
  if (imageStore) meter.image = new ImageTransfer('0.0.44.0.0.255', ['', 'rrrrbrr', '', 'xxxx'], imageStore);
  const objects = createMeterObjects({
    clock: {
      now: () => toDateTime(now()),
      setTime: async (t) => {
        const ms = fromDateTime(t);
        if (ms === undefined) return false;
        const r = await legal.request(METRO_SET_CLOCK, { time: ms }, METRO_CLOCK);
        if (r === undefined) {
          trace(1, 'clock: LEGAL did not answer X_METRO_SET_CLOCK');
          throw new Error('LEGAL did not answer');
        }
        if (r.ok !== true) return false;
        offset = ms - rs('misc.time');
        schedule();
        return true;
      },
    },
    energy: (o) =>
      value((i) => {
        const r = i.registers;
        return o === '1.0.1.8.0.255' ? r.aImp : o === '1.0.2.8.0.255' ? r.aExp : o === '1.0.3.8.0.255' ? r.rQ1 + r.rQ2 : r.rQ3 + r.rQ4;
      }),
    instant: (o) =>
      value((i) => {
        const c = o.split('.')[2];
        if (c === '1') return i.total.p;
        if (c === '14') return i.phases[0]!.f * 100;
        const p = i.phases[c === '32' || c === '31' || c === '21' ? 0 : c === '52' || c === '51' || c === '41' ? 1 : 2]!;
        return c === '32' || c === '52' || c === '72' ? p.v * 10 : c === '31' || c === '51' || c === '71' ? p.i * 1000 : p.p;
      }),
    loadProfile: profile,
    // Standard event log: every LEGAL event (code = its type); power-quality log: the per-phase ones.
    eventLog: log(() => true),
    powerQualityLog: log((e) => e.phase >= 1 && e.phase <= 3),
    relay: { open: () => relay(false), close: () => relay(true), isClosed: () => relayClosed },
    push: (apdu) => meter.push(apdu),
    security: {
      serverTitle: title,
      keys: stored.keys,
      aes,
      // saved before the replay floor is cleared (ic-store.ts: the key generation)
      onKeys: (keys, ids) => {
        stored.record.save(keys, ids);
      },
      // Kept in NON-LEGAL's NVRAM area as a reserved bound (ic-store.ts): never reused after a reset.
      invocationCounter: ic.start,
      onInvocationCounter: ic.use,
      // the last counter accepted from the client, over power cuts too (replay protection)
      ...(received.restored ? { receivedIc: received.restored } : {}),
      onReceivedIc: received.keep,
    },
    deviceName: cfg.deviceName,
    deviceId: cfg.deviceId,
    loadProfilePeriod: period,
    loadProfileDepth: profile.depth,
    onLoadProfilePeriod: (s) => {
      if (s < 1 || s > 86400) return false;
      period = s;
      schedule();
      return true;
    },
    clients: DEFAULT_CLIENTS.map((c) => ({ ...c })),
    extra: [...alarmObjects(meter.alarms, (apdu) => meter.pushSend(apdu)), ...(meter.image ? [meter.image] : [])],
  });
  meter.server = new CosemServer({
    objects,
    gcm,
    random: (n) => random.random(n), // StoC: the CTR_DRBG of the crypto driver
    onSecurityEvent: (kind, detail) => {
      security[kind]++;
      trace(2, `security: ${kind}: ${detail}`);
      meter.onSecurity?.(kind);
    },
    maxPduSize: 1024,
    ...(cfg.maxDataDepth === undefined ? {} : { maxDataDepth: cfg.maxDataDepth }),
    ...(cfg.maxAssociations === undefined ? {} : { maxAssociations: cfg.maxAssociations }),
  });
  return meter;
}
