// The meter's alarm push (docs/alarms.md): LEGAL's journaled events and the COSEM server's
// security events become alarms: a bit in the alarm register (0.0.97.98.0.255, masked by the
// alarm filter 0.0.97.98.10.255) and a DATA-NOTIFICATION from the alarm Push setup
// (0.4.25.9.0.255, IC 40) over the UDP wrapper to the concentrator, ciphered per the security
// policy (general-glo-ciphering). LEGAL's event log is the durable queue: the seq of the last
// event handed to the network is kept in NON-LEGAL's NVRAM area (ic-store.ts, record 7), so an
// event journaled at boot (POWER_FAIL, POWER_RESTORE) or while the meter could not send is pushed
// later; the RAM queue is bounded (config push.queue) and a full one stops reading LEGAL's log.
// Start of a burst: a random delay in 0..randomisation_start_interval once the network is up;
// a push the network refuses is tried again after repetition_delay, number_of_retries times.
import type { RunServiceFn } from '../../generic/services.js';
import type { TimerModule, TimerHandle } from '../../generic/timer.js';
import type { LegalEvent } from '../../generic/shared/messages.js';
import type { DlmsData } from '../dlms/axdr.js';
import { encodeDataNotification, protectNotification } from '../dlms/notification.js';
import { encodeWrapper, WPort } from '../dlms/wrapper.js';
import type { Gcm } from '../dlms/security.js';
import { asciiBytes, asciiString } from '../dlms/bytes.js';
import { ClassId, DEFAULT_ALARM_FILTER } from '../cosem/cosem-const.js';
import { CosemData, PushSetup, def, type CosemObject } from '../cosem/objects.js';
import { os, u16, u32, obis, lnKey } from '../cosem/data.js';
import type { SecurityEventKind } from '../cosem/cosem-const.js';
import { toDateTime } from '../cosem/clock.js';
import { formatCounters } from '../../generic/shared/format.js';

export const ALARM_PUSH = '0.4.25.9.0.255';
export const ALARM_REGISTER = '0.0.97.98.0.255';
export const ALARM_FILTER = '0.0.97.98.10.255';
export const ALARM_CODE = '0.0.96.11.0.255';
export const DEVICE_NAME = '0.0.42.0.0.255';
/** Alarm codes 1..14: LEGAL's event types (legal/eventlog.ts EVENT_NAMES); 16..20: security. */
export const SECURITY_CODES: Readonly<Record<SecurityEventKind, number>> = Object.freeze({
  'authentication-failure': 16,
  'deciphering-failure': 17,
  replay: 18,
  'key-changed': 19,
  'association-rejected': 20,
});
/** Highest alarm code + 1 (the alarm register's 32 bits). */
export const ALARM_CODES = 32;
/** Client wPort the alarm push is addressed to (configurable: push.clientWPort). */
export const PUSH_CLIENT_WPORT = 102;
/** Gap between two pushes of one burst (the modem's transmit queue holds 8 frames). */
const PUSH_GAP_MS = 300;
/** While the network is not up, it is checked this often. */
const NOT_JOINED_MS = 1000;

export interface PushConfig {
  /** The concentrator's short address (0: the G3 PAN coordinator) and UDP port. */
  destination?: number;
  port?: number;
  clientWPort?: number;
  /** Initial attributes of the Push setup (writable by the management client). */
  randomisationS: number;
  retries: number;
  repetitionDelayS: number;
  /** Alarms waiting in RAM at most. */
  queue: number;
  /** LEGAL's event log is read this often, ms. */
  pollMs: number;
}

export interface Alarm {
  code: number;
  /** Event time, ms since 1970 (meter clock). */
  timeMs: number;
  /** LEGAL event seq (0: a NON-LEGAL alarm). */
  seq: number;
}

/** The alarm register and filter (IDIS-style, bit = alarm code). */
export class AlarmState {
  register = 0;
  filter = DEFAULT_ALARM_FILTER;
  /** Sets the bit of `code`; true when the filter lets it push. */
  raise(code: number): boolean {
    if (!(code >= 1 && code < ALARM_CODES)) return false;
    const bit = 2 ** code;
    this.register = (this.register | bit) >>> 0;
    return (Math.floor(this.filter / bit) & 1) === 1;
  }
}

/** The objects of the alarm function: Push setup, alarm register (write 0 to clear), filter. */
export function alarmObjects(state: AlarmState, send: (apdu: Uint8Array) => boolean): CosemObject[] {
  const push = new PushSetup(ALARM_PUSH, ['', 'rwwwwww', '', 'x'], {
    send: (apdu) => send(apdu),
    objects: [
      def(ClassId.DATA, DEVICE_NAME),
      def(ClassId.PUSH_SETUP, ALARM_PUSH, 1),
      def(ClassId.DATA, ALARM_REGISTER),
      def(ClassId.DATA, ALARM_CODE),
    ],
    transport: 1, // UDP
  });
  return [
    push,
    new CosemData(ALARM_REGISTER, ['r', 'rw'], {
      value: () => u32(state.register),
      onSet: (v) => {
        if (v.type !== 'double-long-unsigned') return false;
        state.register = (state.register & v.value) >>> 0; // writing clears the bits that are 0
        return true;
      },
    }),
    new CosemData(ALARM_FILTER, ['', 'rw'], {
      value: () => u32(state.filter),
      onSet: (v) => {
        if (v.type !== 'double-long-unsigned') return false;
        state.filter = v.value >>> 0;
        return true;
      },
    }),
  ];
}

/** What the pusher needs around it (injected: firmware glue below, or a test). */
export interface PusherIo {
  /** The wrapper datagram to the destination: '' when handed over, else why not. */
  send(datagram: Uint8Array): string;
  /** True when the network can carry a datagram (the meter has joined the PAN). */
  ready(): boolean;
  /** 0 <= r < 1. */
  random(): number;
  timers: Pick<TimerModule, 'set' | 'clear'>;
  /** The APDU as the security policy requires (ciphered, or as it is). */
  protect(plain: Uint8Array): Uint8Array;
  /** Called with the seq of a LEGAL event once its push is done (sent or given up). */
  done?(seq: number): void;
}

export class AlarmPusher {
  readonly counters = { raised: 0, filtered: 0, sent: 0, retries: 0, bursts: 0 };
  readonly drops = { queueFull: 0, gaveUp: 0, overwritten: 0 };
  readonly queue: Alarm[] = [];
  private timer: TimerHandle | undefined;
  private tries = 0;
  private invokeId = 0;
  private waitingForNetwork = false;

  constructor(
    private readonly io: PusherIo,
    readonly setup: PushSetup,
    private readonly state: AlarmState,
    private readonly body: (a: Alarm) => DlmsData[],
    readonly capacity: number,
    private readonly clientWPort = PUSH_CLIENT_WPORT,
  ) {}

  get full(): boolean {
    return this.queue.length >= this.capacity;
  }

  /** One alarm; false when the queue is full (dropped, counted). */
  /** One alarm; false when the queue is full: a LEGAL event stays in LEGAL's log (read again
   * later), a NON-LEGAL one (seq 0) is dropped and counted. */
  raise(a: Alarm): boolean {
    if (this.full) {
      if (a.seq === 0) this.drops.queueFull++;
      return false;
    }
    this.counters.raised++;
    if (!this.state.raise(a.code)) {
      this.counters.filtered++;
      this.io.done?.(a.seq);
      return true;
    }
    this.queue.push(a);
    if (this.timer === undefined) this.start();
    return true;
  }

  /** A DATA-NOTIFICATION built elsewhere (Push setup method 1): sent at once, not queued. */
  sendNow(plain: Uint8Array): boolean {
    return this.io.send(this.wrap(this.io.protect(plain))) === '';
  }

  private wrap(apdu: Uint8Array): Uint8Array {
    return encodeWrapper({ sourceWPort: WPort.MANAGEMENT_LOGICAL_DEVICE, destinationWPort: this.clientWPort, apdu });
  }

  /** A burst starts after a random delay in 0..randomisation_start_interval (network up). */
  private start(): void {
    if (!this.io.ready()) {
      this.waitingForNetwork = true;
      this.timer = this.io.timers.set(() => this.start(), NOT_JOINED_MS);
      return;
    }
    this.waitingForNetwork = false;
    this.counters.bursts++;
    this.timer = this.io.timers.set(() => this.next(), Math.floor(this.io.random() * this.setup.randomisation * 1000));
  }

  private next(): void {
    this.timer = undefined;
    const a = this.queue[0];
    if (!a) return;
    if (!this.io.ready()) return this.start();
    this.invokeId = (this.invokeId + 1) & 0xffffff;
    const plain = encodeDataNotification({
      invokeId: this.invokeId,
      highPriority: true,
      confirmed: false,
      time: toDateTime(a.timeMs),
      body: { type: 'structure', items: this.body(a) },
    });
    const why = this.io.send(this.wrap(this.io.protect(plain)));
    if (why !== '' && this.tries < this.setup.retries) {
      this.tries++;
      this.counters.retries++;
      this.timer = this.io.timers.set(() => this.next(), this.setup.delay * 1000);
      return;
    }
    if (why === '') this.counters.sent++;
    else this.drops.gaveUp++;
    this.tries = 0;
    this.queue.shift();
    this.io.done?.(a.seq);
    if (this.queue.length) this.timer = this.io.timers.set(() => this.next(), PUSH_GAP_MS);
  }

  stats(): string {
    const kv = formatCounters;
    return `push ${ALARM_PUSH} queue=${this.queue.length}/${this.capacity}${this.waitingForNetwork ? ' network=down' : ''} register=0x${this.state.register.toString(16)} ${kv(this.counters)} dropped{${kv(this.drops)}}\r\n`;
  }
}

/** What startAlarmPush needs of the meter (meter/meter.ts). */
export interface PushMeter {
  server: {
    objects: readonly CosemObject[];
    security: {
      keys: { encryptionKey: Uint8Array; authenticationKey: Uint8Array };
      serverTitle: Uint8Array;
      policy: number;
      nextIc(): number;
    };
  };
  alarms: AlarmState;
  /** LEGAL's events from seq `from` (or the newest), at most n; undefined if LEGAL does not answer. */
  events(n: number, from?: number): Promise<readonly LegalEvent[] | undefined>;
  onSecurity: ((kind: SecurityEventKind) => void) | undefined;
  pushSend: (apdu: Uint8Array) => boolean;
  now(): number;
  gcm: Gcm;
}

interface PushIp {
  joined: boolean;
  sendUdp(dst: number, srcPort: number, dstPort: number, data: Uint8Array): string;
}
interface SeqRecord {
  load(): Uint8Array | undefined;
  save(p: Uint8Array): boolean;
  status: string;
}

export function startAlarmPush(
  rs: RunServiceFn,
  ip: PushIp,
  meter: PushMeter,
  cfg: PushConfig,
  record: SeqRecord,
  deviceName: string,
): AlarmPusher {
  const timers = rs('timer.module') as TimerModule;
  const setup = meter.server.objects.find((o) => o.classId === ClassId.PUSH_SETUP && lnKey(o.ln) === lnKey(obis(ALARM_PUSH))) as
    | PushSetup
    | undefined;
  if (!setup) throw new Error(`no push setup ${ALARM_PUSH}`);
  setup.randomisation = cfg.randomisationS;
  setup.retries = cfg.retries;
  setup.delay = cfg.repetitionDelayS;
  const dst = cfg.destination ?? 0,
    port = cfg.port ?? WPort.UDP_PORT;
  setup.destination = asciiBytes(`${dst.toString(16).padStart(4, '0')}:${port}`) ?? new Uint8Array(0);
  // send_destination_and_method: UDP (transport 1) to "<short address, hex>:<UDP port>"
  const destination = (): [number, number] | undefined => {
    const m = /^([0-9a-fA-F]{1,4}):([0-9]{1,5})$/.exec(asciiString(setup.destination));
    return setup.transport === 1 && m ? [Number.parseInt(m[1]!, 16), Number(m[2])] : undefined;
  };
  const nameValue = os(asciiBytes(deviceName) ?? new Uint8Array(0));
  const sec = meter.server.security;
  // the seq of the last LEGAL event handed to the network (record 7 of NON-LEGAL's area)
  const stored = record.load();
  const last = stored ? new DataView(stored.buffer, stored.byteOffset).getUint32(0, true) : -1;
  let saved = last;
  // never beyond an event still queued: after a power cut it is read from LEGAL's log again
  const keep = (seq: number) => {
    const queued = pusher?.queue.find((q) => q.seq > 0);
    const safe = queued ? Math.min(seq, queued.seq - 1) : seq;
    if (safe <= saved) return;
    const p = new Uint8Array(20);
    new DataView(p.buffer).setUint32(0, safe, true);
    record.save(p);
    saved = safe;
  };
  let pusher: AlarmPusher | undefined;
  pusher = new AlarmPusher(
    {
      send: (d) => {
        const to = destination();
        return to ? ip.sendUdp(to[0], WPort.UDP_PORT, to[1], d) : 'bad destination';
      },
      ready: () => ip.joined,
      random: () => (rs('misc.random') >>> 0) / 0x1_0000_0000,
      timers,
      protect: (plain) => (sec.policy === 0 ? plain : protectNotification(meter.gcm, sec.keys, sec.serverTitle, sec.nextIc(), plain)),
      done: (seq) => {
        if (seq > 0) keep(seq);
      },
    },
    setup,
    meter.alarms,
    (a) => [nameValue, os(obis(ALARM_PUSH)), u32(meter.alarms.register), u16(a.code)],
    Math.max(1, cfg.queue | 0),
    cfg.clientWPort ?? PUSH_CLIENT_WPORT,
  );
  const p = pusher;
  meter.pushSend = (apdu) => p.sendNow(apdu);
  meter.onSecurity = (kind) => {
    p.raise({ code: SECURITY_CODES[kind], timeMs: meter.now(), seq: 0 });
  };
  // LEGAL's log read from the seq after `last`: the first boot (no record) starts at its newest.
  let next = last + 1,
    polling = false;
  const poll = async () => {
    if (polling || p.full) return;
    polling = true;
    try {
      const n = Math.min(16, p.capacity - p.queue.length);
      const ev = next <= 0 ? await meter.events(1) : await meter.events(n, next);
      if (!ev) return;
      if (next <= 0) {
        next = (ev[ev.length - 1]?.seq ?? 0) + 1;
        keep(next - 1); // nothing older is pushed
        return;
      }
      for (const e of ev) {
        if (e.seq < next) continue;
        if (e.seq > next) p.drops.overwritten += e.seq - next; // overwritten in LEGAL's journal
        next = e.seq + 1;
        if (!p.raise({ code: e.type, timeMs: e.time, seq: e.seq })) {
          next = e.seq; // queue full: read again later
          break;
        }
      }
    } finally {
      polling = false;
    }
  };
  const t = rs('timer.create', { name: 'PUSH', period: cfg.pollMs, repeat: true, onTimer: () => void poll() });
  rs('timer.start', t);
  void poll();
  rs('shell.register', 'DLMS', 'PUSH', 0, '- alarm push (0.4.25.9.0.255): queue, alarm register, sent, retries, drops', (_p, out) =>
    out(p.stats()),
  );
  rs('trace', 3, `alarm push to 0x${dst.toString(16)}:${port} wPort ${cfg.clientWPort ?? PUSH_CLIENT_WPORT}, from event #${next}`);
  return p;
}
