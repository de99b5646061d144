// The TCPIP task: IPv6, ICMPv6 and UDP over PLC's ADP data service (generic/ids.ts 0x0201..),
// in the spirit of uIPv6: one packet handled at a time, a bounded socket table, a bounded number
// of packets handed to ADP and not yet confirmed, every drop counted by reason. It answers
// ICMPv6 echo and sends port-unreachable errors (rate limited); UDP datagrams to a bound port
// reach their task as X_APP_RX_EVENT {src, srcPort, data}. In loopback mode (TCPIP LOOPBACK 1)
// every datagram sent is delivered back to this node through ::1 instead of the power line.
import {
  X_ADP_REGISTER,
  X_ADP_REGISTER_CONFIRM,
  X_ADP_DATA_REQUEST,
  X_ADP_DATA_CONFIRM,
  X_ADP_DATA_INDICATION,
  X_ADP_NETWORK_INDICATION,
  X_APP_RX_EVENT,
  ADP_SUCCESS,
  ADP_NOT_REGISTERED,
} from '../../generic/ids.js';
import type { RunServiceFn } from '../../generic/services.js';
import type { Message } from '../../generic/kernel.js';
import type { AdpStatus, AdpDataConfirm, AdpDataIndication } from '../../generic/shared/messages.js';
import { ADP_REGISTER_CONFIRM, ADP_NETWORK_INDICATION, ADP_DATA_CONFIRM, ADP_DATA_INDICATION } from '../../generic/shared/net-messages.js';
import { IPV6_HEADER, IPV6_MTU, NH_ICMPV6, UDP_HEADER, buildUdp, parsePacket } from '../../generic/shared/ipv6.js';
import { bytesEqual } from '../../generic/shared/bytes.js';
import {
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_PORT_UNREACHABLE,
  buildIcmp,
  echoReplyFor,
} from '../../generic/shared/icmpv6.js';
import { SHORT_NONE, linkLocalFromLink, shortFromAddress } from '../../generic/shared/g3-address.js';
import { formatCounters } from '../../generic/shared/format.js';

export const LOOPBACK = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
export const ALL_NODES = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/** Defaults of the manifest's parts.nonlegal.tcpipMaxSockets and tcpipMaxInFlight. */
export const MAX_SOCKETS = 4;
/** Packets handed to ADP and not yet confirmed. */
export const MAX_IN_FLIGHT = 8;

/** Socket table and packets in flight (manifest config.parts.nonlegal.tcpipMaxSockets, tcpipMaxInFlight). */
export interface TcpipBounds {
  maxSockets?: number | undefined;
  maxInFlight?: number | undefined;
}
const CONFIRM_TIMEOUT_MS = 5000;
const REGISTER_RETRY_MS = 1000;
const REGISTER_TRIES = 60;
/** ICMPv6 errors: at most this many per second (RFC 4443 2.4 f). */
const ICMP_ERRORS_PER_S = 2;
/** Bytes of the offending packet an ICMPv6 error carries (bounded well below the MTU). */
const ICMP_ERROR_QUOTE = 96;

type Drop =
  | 'badIndication'
  | 'short'
  | 'version'
  | 'length'
  | 'nextHeader'
  | 'checksum'
  | 'udpLength'
  | 'notForUs'
  | 'noPort'
  | 'icmpOther'
  | 'rxQueueFull'
  | 'txBusy'
  | 'txRefused'
  | 'txLost'
  | 'notJoined';

export class Tcpip {
  readonly task: number;
  private adp: number | undefined;
  private registered = false;
  private tries = 0;
  short = SHORT_NONE;
  panId = 0xffff;
  joined = false;
  loopback = false;
  private handle = 0;
  private readonly inFlight = new Map<number, number>(); // handle -> time handed over
  private readonly sockets = new Map<number, number>(); // port -> task
  private icmpBudget = ICMP_ERRORS_PER_S;
  private icmpSecond = 0;
  readonly counters = { rx: 0, tx: 0, udpIn: 0, udpOut: 0, echoIn: 0, echoOut: 0, icmpErrorsOut: 0, loopback: 0, confirmed: 0 };
  readonly drops: Record<Drop, number> = {
    badIndication: 0,
    short: 0,
    version: 0,
    length: 0,
    nextHeader: 0,
    checksum: 0,
    udpLength: 0,
    notForUs: 0,
    noPort: 0,
    icmpOther: 0,
    rxQueueFull: 0,
    txBusy: 0,
    txRefused: 0,
    txLost: 0,
    notJoined: 0,
  };

  constructor(
    private readonly rs: RunServiceFn,
    private readonly bounds: TcpipBounds = {},
  ) {
    this.task = rs('task.create', { name: 'TCPIP', priority: 4, queue: 16, onMessage: (m) => this.onMessage(m) });
    const t = rs('timer.create', {
      name: 'TCPIP',
      period: REGISTER_RETRY_MS,
      repeat: true,
      onTimer: () => {
        if (this.registered || this.tries >= REGISTER_TRIES) rs('timer.stop', t);
        else this.register();
      },
    });
    rs('timer.start', t);
    this.register();
  }

  /** PLC's ADP task may start after us (its stack loads on demand): asked again until found. */
  private register(): void {
    this.tries++;
    this.adp = this.rs('task.find', 'ADP');
    if (this.adp !== undefined) this.rs('msg.send', this.task, this.adp, X_ADP_REGISTER, {});
  }

  bind(port: number, task: number): void {
    if (!(Number.isInteger(port) && port >= 1 && port <= 0xffff)) throw new RangeError('port 1..65535');
    if (this.sockets.has(port)) throw new RangeError(`port ${port} in use`);
    if (this.sockets.size >= (this.bounds.maxSockets || MAX_SOCKETS)) throw new RangeError('socket table full');
    this.sockets.set(port, task);
  }

  private ownAddress(): Uint8Array {
    return linkLocalFromLink(this.short, this.panId);
  }

  /**
   * Sends a UDP datagram to a short address (0xFFFF: all nodes). Returns '' when handed over,
   * else the reason it was not (also counted).
   */
  sendUdp(dst: number, srcPort: number, dstPort: number, data: Uint8Array): string {
    if (IPV6_HEADER + UDP_HEADER + data.length > IPV6_MTU) throw new RangeError(`datagram over ${IPV6_MTU} bytes`);
    if (this.loopback) {
      this.counters.udpOut++;
      this.counters.loopback++;
      this.input(buildUdp(LOOPBACK, LOOPBACK, srcPort, dstPort, data), this.joined ? this.short : SHORT_NONE, true);
      return '';
    }
    if (!this.joined) {
      this.drops.notJoined++;
      return 'not joined';
    }
    const to = dst === 0xffff ? ALL_NODES : linkLocalFromLink(dst, this.panId);
    const r = this.toAdp(dst, buildUdp(this.ownAddress(), to, srcPort, dstPort, data));
    if (!r) this.counters.udpOut++;
    return r;
  }

  private toAdp(dst: number, packet: Uint8Array): string {
    const now = this.rs('misc.uptime');
    for (const [h, t] of this.inFlight) {
      if (now - t > CONFIRM_TIMEOUT_MS) {
        this.inFlight.delete(h);
        this.drops.txLost++;
      }
    }
    if (this.inFlight.size >= (this.bounds.maxInFlight || MAX_IN_FLIGHT) || this.adp === undefined) {
      this.drops.txBusy++;
      return 'busy';
    }
    this.handle = (this.handle + 1) & 0xff;
    if (this.rs('msg.send', this.task, this.adp, X_ADP_DATA_REQUEST, { handle: this.handle, dst, packet }) !== 0) {
      this.drops.txBusy++;
      return 'busy';
    }
    this.inFlight.set(this.handle, now);
    this.counters.tx++;
    return '';
  }

  /** PLC's answers and indications, each checked against its contract; bad ones counted (badIndication). */
  private onMessage(m: Message): void {
    const contract =
      m.id === X_ADP_REGISTER_CONFIRM
        ? ADP_REGISTER_CONFIRM
        : m.id === X_ADP_NETWORK_INDICATION
          ? ADP_NETWORK_INDICATION
          : m.id === X_ADP_DATA_CONFIRM
            ? ADP_DATA_CONFIRM
            : m.id === X_ADP_DATA_INDICATION
              ? ADP_DATA_INDICATION
              : undefined;
    if (!contract) return;
    if (m.from !== this.adp || !contract.valid(m.payload)) {
      this.drops.badIndication++;
      return;
    }
    if (contract === ADP_REGISTER_CONFIRM || contract === ADP_NETWORK_INDICATION) {
      const p = m.payload as AdpStatus;
      if (contract === ADP_REGISTER_CONFIRM) this.registered = p.status !== ADP_NOT_REGISTERED;
      this.joined = p.status === ADP_SUCCESS;
      if (this.joined) {
        this.short = p.short;
        this.panId = p.panId;
      }
      this.rs(
        'trace',
        3,
        `TCPIP ${this.joined ? `address short=0x${this.short.toString(16)} pan=0x${this.panId.toString(16)}` : 'not in a PAN'}`,
      );
    } else if (contract === ADP_DATA_CONFIRM) {
      const p = m.payload as AdpDataConfirm;
      if (this.inFlight.delete(p.handle)) {
        if (p.status === ADP_SUCCESS) this.counters.confirmed++;
        else this.drops.txRefused++;
      }
    } else {
      const p = m.payload as AdpDataIndication;
      this.input(p.packet, p.src, false);
    }
  }

  /** One received packet (from ADP, or looped back). */
  input(packet: Uint8Array, src: number, looped: boolean): void {
    this.counters.rx++;
    const ip = parsePacket(packet);
    if (typeof ip === 'string') {
      this.drops[ip]++;
      return;
    }
    const forUs = looped
      ? bytesEqual(ip.dst, LOOPBACK)
      : this.joined && (bytesEqual(ip.dst, this.ownAddress()) || bytesEqual(ip.dst, ALL_NODES)) && !bytesEqual(ip.src, LOOPBACK);
    if (!forUs) {
      this.drops.notForUs++;
      return;
    }
    const from = looped ? src : shortFromAddress(ip.src);
    const u = ip.upper;
    if (ip.nh === NH_ICMPV6) {
      if (u[0] === ICMPV6_ECHO_REQUEST && u[1] === 0 && !looped && ip.dst[0] !== 0xff) {
        this.counters.echoIn++;
        // parsePacket checked the header, length and checksum: the echo codec finds nothing more to refuse
        const reply = echoReplyFor(packet, ip.dst) as Uint8Array;
        if (!this.toAdp(from, reply)) this.counters.echoOut++;
      } else this.drops.icmpOther++; // replies and errors: nobody here asked
      return;
    }
    // UDP
    const dstPort = (u[2]! << 8) | u[3]!;
    const task = this.sockets.get(dstPort);
    if (task === undefined) {
      this.drops.noPort++;
      if (!looped && ip.dst[0] !== 0xff) this.portUnreachable(packet, ip.src, from);
      return;
    }
    this.counters.udpIn++;
    const st = this.rs('msg.send', this.task, task, X_APP_RX_EVENT, {
      src: from,
      srcPort: (u[0]! << 8) | u[1]!,
      data: u.subarray(UDP_HEADER),
    });
    if (st !== 0) this.drops.rxQueueFull++;
  }

  private portUnreachable(packet: Uint8Array, to: Uint8Array, short: number): void {
    const sec = Math.floor(this.rs('misc.uptime') / 1000);
    if (sec !== this.icmpSecond) {
      this.icmpSecond = sec;
      this.icmpBudget = ICMP_ERRORS_PER_S;
    }
    if (this.icmpBudget <= 0 || short === SHORT_NONE) return;
    this.icmpBudget--;
    const quote = packet.subarray(0, Math.min(packet.length, ICMP_ERROR_QUOTE));
    if (!this.toAdp(short, buildIcmp(this.ownAddress(), to, ICMPV6_DEST_UNREACHABLE, ICMPV6_PORT_UNREACHABLE, new Uint8Array(4), quote))) {
      this.counters.icmpErrorsOut++;
    }
  }

  stats(): string {
    const kv = formatCounters;
    return (
      `tcpip registered=${this.registered ? 1 : 0} joined=${this.joined ? 1 : 0} short=0x${this.short.toString(16).padStart(4, '0')} ` +
      `loopback=${this.loopback ? 1 : 0} inflight=${this.inFlight.size} sockets=${this.sockets.size}\r\n` +
      `tcpip ${kv(this.counters)}\r\ntcpip.drop ${kv(this.drops)}\r\n`
    );
  }
}

export function startTcpip(rs: RunServiceFn, bounds: TcpipBounds = {}): Tcpip {
  const t = new Tcpip(rs, bounds);
  rs('shell.register', 'TCPIP', 'STATS', 0, '- IPv6/UDP/ICMPv6 state, counters and drops by reason', (_p, out) => out(t.stats()));
  rs('shell.register', 'TCPIP', 'LOOPBACK', 1, '<0|1> - deliver every UDP datagram sent back to this node (::1)', (p, out) => {
    if (p[0] !== 0 && p[0] !== 1) throw new RangeError('0 or 1');
    t.loopback = p[0] === 1;
    out(`TCPIP LOOPBACK ${t.loopback ? 'on' : 'off'}\r\n`);
  });
  return t;
}
