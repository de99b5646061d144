// The meter's DLMS/COSEM server on UDP port 4059 over the PLC network (Green Book 10.6, the
// wrapper of IEC 62056-9-7: version 0x0001, source wPort, destination wPort, APDU length). One
// datagram holds one wrapper PDU; the COSEM server is the optical port's (same objects, same
// association and security rules). UDP has no connection, so each (remote address, remote UDP
// port) gets a session slot from a bounded table: its slot number keeps its associations apart
// from the HDLC link's and from other remotes' with the same client wPort. A session ends with
// RLRQ, a refused AARQ or the inactivity time-out (COSEM TCP-UDP setup inactivity_time_out).
// Input is queued (bounded) and served one datagram at a time; every drop is counted.
import { X_APP_RX_EVENT } from '../../generic/ids.js';
import type { RunServiceFn } from '../../generic/services.js';
import type { Message } from '../../generic/kernel.js';
import { decodeWrapperDatagram, encodeWrapper, WPort, type WrapperPdu } from '../dlms/wrapper.js';
import { ApduTag } from '../dlms/xdlms-const.js';
import type { Tcpip } from './tcpip.js';
import { formatCounters } from '../../generic/shared/format.js';

export const DLMS_UDP_PORT = WPort.UDP_PORT;
/** Remote (address, port) pairs served at once. */
export const WRAPPER_SESSIONS = 4;
/** Datagrams waiting while one is served. */
export const WRAPPER_QUEUE = 8;
/** Peer id for datagrams of no session: never associated, so the server answers "not associated". */
const NO_SESSION = 0x7fff;

/** What the wrapper needs from the COSEM server (CosemServer). */
export interface WrapperCosemServer {
  handle(sap: number, apdu: Uint8Array, peer: number): Promise<Uint8Array | null>;
  release(sap: number, peer: number): void;
  associationOf(sap: number, peer: number): unknown;
}

export interface WrapperUdpOptions {
  server: WrapperCosemServer;
  /** Sends a datagram; '' when handed over, else why not. */
  send(dst: number, dstPort: number, data: Uint8Array): string;
  /** ms, monotonic. */
  now(): number;
  /** The logical device's wPort (1: management logical device). */
  wPort?: number;
  /** Largest APDU accepted. */
  maxApdu?: number;
  /** A session without traffic for this long is closed, ms. */
  inactivityMs?: number;
  /** Sessions at once and datagrams waiting (manifest config.parts.nonlegal.udpMaxSessions, udpMaxQueue). */
  maxSessions?: number;
  maxQueue?: number;
}

interface Session {
  src: number;
  port: number;
  last: number;
  saps: Set<number>;
}
interface Datagram {
  src: number;
  port: number;
  data: Uint8Array;
}

export class WrapperUdpServer {
  readonly counters = { rx: 0, tx: 0, sessions: 0, timeouts: 0 };
  readonly drops = { malformed: 0, wPort: 0, sessionsFull: 0, queueFull: 0, sendFailed: 0, noReply: 0 };
  private readonly slots: (Session | null)[];
  private readonly queue: Datagram[] = [];
  private running = false;
  readonly wPort: number;
  private readonly maxApdu: number;
  readonly inactivityMs: number;

  constructor(private readonly o: WrapperUdpOptions) {
    this.wPort = o.wPort ?? WPort.MANAGEMENT_LOGICAL_DEVICE;
    this.maxApdu = o.maxApdu ?? 2048;
    this.inactivityMs = o.inactivityMs ?? 120000;
    this.slots = new Array<Session | null>(o.maxSessions ?? WRAPPER_SESSIONS).fill(null);
  }

  get open(): number {
    return this.slots.filter((s) => s !== null).length;
  }

  /** One UDP datagram to port 4059. Never throws. */
  input(src: number, port: number, data: Uint8Array): void {
    this.counters.rx++;
    if (this.queue.length >= (this.o.maxQueue ?? WRAPPER_QUEUE)) {
      this.drops.queueFull++;
      return;
    }
    this.queue.push({ src, port, data });
    if (!this.running) void this.pump();
  }

  /** Served in order, one at a time (the server may wait for LEGAL). */
  private async pump(): Promise<void> {
    this.running = true;
    try {
      // Serve from a promise job, at the bottom of the XS stack, not under the driver's call chain:
      // the decoders then have the stack's margin (docs/dlms-bounds.md).
      await undefined;
      for (let d = this.queue.shift(); d; d = this.queue.shift()) await this.one(d);
    } finally {
      this.running = false;
    }
  }

  private async one(d: Datagram): Promise<void> {
    let p: WrapperPdu;
    try {
      p = decodeWrapperDatagram(d.data, { maxLength: this.maxApdu });
    } catch {
      this.drops.malformed++;
      return;
    }
    if (p.apdu.length === 0) {
      this.drops.malformed++;
      return;
    }
    if (p.destinationWPort !== this.wPort) {
      this.drops.wPort++;
      return;
    }
    const now = this.o.now();
    let slot = this.slots.findIndex((s) => s !== null && s.src === d.src && s.port === d.port);
    if (slot < 0 && p.apdu[0] === ApduTag.AARQ) {
      slot = this.slots.indexOf(null);
      if (slot < 0) {
        this.drops.sessionsFull++;
        return;
      }
      this.slots[slot] = { src: d.src, port: d.port, last: now, saps: new Set() };
      this.counters.sessions++;
    }
    const session = slot >= 0 ? this.slots[slot]! : null;
    const peer = slot >= 0 ? slot + 1 : NO_SESSION;
    if (session) session.last = now;
    const r = await this.o.server.handle(p.sourceWPort, p.apdu, peer);
    if (session) {
      if (this.o.server.associationOf(p.sourceWPort, peer)) session.saps.add(p.sourceWPort);
      else session.saps.delete(p.sourceWPort);
      if (session.saps.size === 0) this.slots[slot] = null; // released, refused or never associated
    }
    if (!r) {
      this.drops.noReply++;
      return;
    }
    if (this.o.send(d.src, d.port, encodeWrapper({ sourceWPort: this.wPort, destinationWPort: p.sourceWPort, apdu: r })) !== '')
      this.drops.sendFailed++;
    else this.counters.tx++;
  }

  /** Closes sessions idle for longer than the inactivity time-out (called every few seconds). */
  tick(): void {
    const now = this.o.now();
    this.slots.forEach((s, k) => {
      if (!s || now - s.last < this.inactivityMs) return;
      for (const sap of s.saps) this.o.server.release(sap, k + 1);
      this.slots[k] = null;
      this.counters.timeouts++;
    });
  }

  stats(): string {
    const kv = formatCounters;
    return (
      `dlms.udp port=${DLMS_UDP_PORT} wport=${this.wPort} open=${this.open}/${this.slots.length} ${kv(this.counters)}\r\n` +
      `dlms.udp.drop ${kv(this.drops)}\r\n`
    );
  }
}

/** Binds UDP 4059 on the meter and feeds the COSEM server; `DLMS UDP` prints the counters. */
export function startWrapperUdp(
  rs: RunServiceFn,
  ip: Tcpip,
  server: WrapperCosemServer,
  inactivityMs?: number,
  bounds: { maxSessions?: number | undefined; maxQueue?: number | undefined } = {},
): WrapperUdpServer {
  let w: WrapperUdpServer | undefined;
  const task = rs('task.create', {
    name: 'DLMSUDP',
    priority: 3,
    queue: bounds.maxQueue ?? WRAPPER_QUEUE,
    onMessage: (m: Message) => {
      const p = m.payload as { readonly [k: string]: unknown } | undefined;
      if (m.id !== X_APP_RX_EVENT || m.from !== ip.task || !p) return;
      const data = p.data,
        src = p.src,
        port = p.srcPort;
      if (data instanceof Uint8Array && typeof src === 'number' && typeof port === 'number') w?.input(src, port, data);
      else if (w) w.drops.malformed++;
    },
  });
  w = new WrapperUdpServer({
    server,
    now: () => rs('misc.uptime'),
    send: (dst, port, data) => ip.sendUdp(dst, DLMS_UDP_PORT, port, data),
    ...(inactivityMs ? { inactivityMs } : {}),
    ...(bounds.maxSessions ? { maxSessions: bounds.maxSessions } : {}),
    ...(bounds.maxQueue ? { maxQueue: bounds.maxQueue } : {}),
  });
  ip.bind(DLMS_UDP_PORT, task);
  const t = rs('timer.create', { name: 'DLMSUDP', period: 5000, repeat: true, onTimer: () => w!.tick() });
  rs('timer.start', t);
  const srv = w;
  rs('shell.register', 'DLMS', 'UDP', 0, '- DLMS/COSEM over the UDP wrapper (port 4059): sessions, counters, drops by reason', (_p, out) =>
    out(srv.stats()),
  );
  rs('trace', 3, `DLMS/COSEM server on UDP ${DLMS_UDP_PORT}, wPort ${w.wPort}`);
  return w;
}
