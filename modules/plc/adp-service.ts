// The ADP data service PLC offers NON-LEGAL (ids and payloads: generic/ids.ts, 0x0201..): one
// registered task (NON-LEGAL's TCPIP) hands IPv6 packets to ADP and gets the packets addressed
// to this node. PLC trusts nothing it is sent: the sender must be the registered task, every
// field is type- and range-checked, the packet must carry our own link-local source and the
// destination derived from the short address it names, and its length is bounded by the IPv6
// minimum MTU that ADP reassembles (RFC 4944 5.3). Every refusal and every lost indication is
// counted by reason (`PLC ADP`).
import {
  X_ADP_REGISTER,
  X_ADP_REGISTER_CONFIRM,
  X_ADP_DATA_REQUEST,
  X_ADP_DATA_CONFIRM,
  X_ADP_DATA_INDICATION,
  X_ADP_NETWORK_INDICATION,
  X_ADP_DEVICE_REQUEST,
  X_ADP_DEVICE_CONFIRM,
  ADP_SUCCESS,
  ADP_INVALID_REQUEST,
  ADP_NOT_JOINED,
  ADP_NOT_REGISTERED,
  ADP_NO_DEVICE,
  ADP_NOT_COORDINATOR,
} from '../generic/ids.js';
import type { RunServiceFn } from '../generic/services.js';
import type { Message } from '../generic/kernel.js';
import type { G3Stack } from './stack.js';
import { ADP_MAX_DATAGRAM, IPV6_HEADER_LENGTH, UDP_HEADER_LENGTH } from './adp-const.js';
import { linkLocalFromLink, shortFromAddress } from '../generic/shared/g3-address.js';
import { bytesEqual } from './bytes.js';
import { formatCounters } from '../generic/shared/format.js';

const BROADCAST = 0xffff;
/** ff02::1, all nodes (the only multicast destination this service carries). */
const ALL_NODES = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const NETWORK_CHECK_MS = 1000;

type Refusal =
  | 'notRegistered'
  | 'badPayload'
  | 'badHandle'
  | 'badDst'
  | 'badLength'
  | 'badHeader'
  | 'badSource'
  | 'badDestination'
  | 'notJoined';

export class AdpService {
  readonly task: number;
  private client = -1;
  private lqi = 0;
  private lastShort = -1;
  private lastPan = -1;
  readonly counters = { requests: 0, sent: 0, indications: 0, indicationsLost: 0, notRegisteredRx: 0, confirmsLost: 0, registrations: 0 };
  readonly refused: Record<Refusal, number> = {
    notRegistered: 0,
    badPayload: 0,
    badHandle: 0,
    badDst: 0,
    badLength: 0,
    badHeader: 0,
    badSource: 0,
    badDestination: 0,
    notJoined: 0,
  };

  constructor(
    private readonly rs: RunServiceFn,
    private readonly g3: G3Stack,
  ) {
    this.task = rs('task.create', { name: 'ADP', priority: 5, queue: 16, onMessage: (m) => this.onMessage(m) });
    const node = g3.node;
    // The LQI of the frame that completed a packet: the MAC indication runs ADP synchronously.
    const macData = node.mac.onData;
    node.mac.onData = (ind) => {
      this.lqi = ind.lqi;
      macData?.(ind);
    };
    const up = node.onIpv6;
    node.onIpv6 = (p) => {
      up?.(p);
      this.indicate(p);
    };
    // The network indication goes out as soon as the node joins, forms or leaves a PAN (a
    // request that arrives right after the join must find TCPIP addressed); the timer resends it
    // if the client's queue was full then.
    g3.onNetworkChange = () => this.checkNetwork();
    rs('timer.start', rs('timer.create', { name: 'ADP', period: NETWORK_CHECK_MS, repeat: true, onTimer: () => this.checkNetwork() }));
  }

  private inPan(): boolean {
    return this.g3.phase === 'joined' || this.g3.phase === 'coordinator';
  }

  private status(): { status: number; short: number; panId: number } {
    const node = this.g3.node;
    return { status: this.inPan() ? ADP_SUCCESS : ADP_NOT_JOINED, short: node.shortAddress, panId: node.mac.pib.macPANId };
  }

  private send(to: number, id: number, payload: { [k: string]: number | Uint8Array }): boolean {
    return this.rs('msg.send', this.task, to, id, payload) === 0;
  }

  private checkNetwork(): void {
    if (this.client < 0) return;
    const s = this.status();
    const short = s.status === ADP_SUCCESS ? s.short : 0xfffe;
    if (short === this.lastShort && s.panId === this.lastPan) return;
    if (this.send(this.client, X_ADP_NETWORK_INDICATION, s)) {
      this.lastShort = short;
      this.lastPan = s.panId;
    }
  }

  private indicate(p: Uint8Array): void {
    if (this.client < 0) {
      this.counters.notRegisteredRx++;
      return;
    }
    // The source short address is in the IID (G3: PAN:00ff:fe00:short); 0xFFFE when it is not.
    const src = shortFromAddress(p.subarray(8, 24));
    if (this.send(this.client, X_ADP_DATA_INDICATION, { src, lqi: this.lqi, packet: p })) this.counters.indications++;
    else this.counters.indicationsLost++;
  }

  private refuse(m: Message, why: Refusal, handle: number, status: number): void {
    this.refused[why]++;
    if (!this.send(m.from, X_ADP_DATA_CONFIRM, { handle, status })) this.counters.confirmsLost++;
  }

  private onMessage(m: Message): void {
    const p = m.payload;
    if (m.id === X_ADP_REGISTER) {
      // The first task to register keeps the service (NON-LEGAL's TCPIP registers at start);
      // it may register again (after a NON-LEGAL restart its new task id takes over only once
      // the old task is gone: a message to it is then refused by the kernel).
      if (
        this.client >= 0 &&
        this.client !== m.from &&
        this.rs('msg.send', this.task, this.client, X_ADP_NETWORK_INDICATION, this.status()) === 0
      ) {
        this.refused.notRegistered++;
        this.send(m.from, X_ADP_REGISTER_CONFIRM, { status: ADP_NOT_REGISTERED, short: 0xfffe, panId: 0xffff });
        return;
      }
      this.client = m.from;
      this.counters.registrations++;
      // A NON-LEGAL TCPIP answers ICMPv6 echo itself once registered (uIPv6 does).
      this.g3.node.autoEcho = false;
      const s = this.status();
      this.lastShort = s.status === ADP_SUCCESS ? s.short : 0xfffe;
      this.lastPan = s.panId;
      this.send(m.from, X_ADP_REGISTER_CONFIRM, s);
      return;
    }
    if (m.id === X_ADP_DEVICE_REQUEST) {
      const lbs = this.g3.lbs;
      const r =
        p && typeof p === 'object' && !(p instanceof Uint8Array) && !Array.isArray(p)
          ? (p as { req?: unknown; index?: unknown })
          : undefined;
      const req = r?.req;
      // the answer echoes the request id (generic/shared/messages.ts): without one it cannot be matched
      if (!(typeof req === 'number' && Number.isInteger(req) && req >= 0 && req <= 0xffff)) {
        this.refused.badPayload++;
        return;
      }
      const index = r?.index;
      const count = lbs ? lbs.devices.size : 0;
      let status = lbs ? ADP_SUCCESS : ADP_NOT_COORDINATOR;
      let short = 0xfffe;
      let eui = new Uint8Array(8);
      if (status === ADP_SUCCESS && !(typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < 0x10000))
        status = ADP_INVALID_REQUEST;
      else if (status === ADP_SUCCESS && lbs) {
        status = ADP_NO_DEVICE;
        let i = 0;
        for (const d of lbs.devices.values()) {
          if (i++ === index) {
            status = ADP_SUCCESS;
            short = d.shortAddress;
            eui = d.eui64.slice();
            break;
          }
        }
      }
      this.send(m.from, X_ADP_DEVICE_CONFIRM, {
        req,
        status,
        index: typeof index === 'number' && Number.isInteger(index) && index >= 0 && index <= 0xffff ? index : -1,
        count,
        short,
        eui64: eui,
      });
      return;
    }
    if (m.id !== X_ADP_DATA_REQUEST) return;
    this.counters.requests++;
    if (!p || typeof p !== 'object' || p instanceof Uint8Array || Array.isArray(p))
      return this.refuse(m, 'badPayload', -1, ADP_INVALID_REQUEST);
    const r = p as { handle?: unknown; dst?: unknown; packet?: unknown };
    const handle = r.handle;
    if (!(typeof handle === 'number' && Number.isInteger(handle) && handle >= 0 && handle <= 255))
      return this.refuse(m, 'badHandle', -1, ADP_INVALID_REQUEST);
    if (m.from !== this.client) return this.refuse(m, 'notRegistered', handle, ADP_NOT_REGISTERED);
    const dst = r.dst;
    if (!(typeof dst === 'number' && Number.isInteger(dst) && ((dst >= 0 && dst <= 0x7fff) || dst === BROADCAST)))
      return this.refuse(m, 'badDst', handle, ADP_INVALID_REQUEST);
    const packet = r.packet;
    if (!(packet instanceof Uint8Array) || packet.length < IPV6_HEADER_LENGTH + UDP_HEADER_LENGTH || packet.length > ADP_MAX_DATAGRAM) {
      return this.refuse(m, 'badLength', handle, ADP_INVALID_REQUEST);
    }
    if (packet[0]! >> 4 !== 6 || ((packet[4]! << 8) | packet[5]!) !== packet.length - IPV6_HEADER_LENGTH)
      return this.refuse(m, 'badHeader', handle, ADP_INVALID_REQUEST);
    if (!this.inPan()) return this.refuse(m, 'notJoined', handle, ADP_NOT_JOINED);
    const node = this.g3.node;
    const pan = node.mac.pib.macPANId;
    if (!bytesEqual(packet.subarray(8, 24), linkLocalFromLink(node.shortAddress, pan)))
      return this.refuse(m, 'badSource', handle, ADP_INVALID_REQUEST);
    const want = dst === BROADCAST ? ALL_NODES : linkLocalFromLink(dst, pan);
    if (dst === node.shortAddress || !bytesEqual(packet.subarray(24, 40), want))
      return this.refuse(m, 'badDestination', handle, ADP_INVALID_REQUEST);
    // A copy: the frozen payload stays NON-LEGAL's, ADP owns what it queues.
    node.sendIpv6(packet.slice());
    this.counters.sent++;
    if (!this.send(m.from, X_ADP_DATA_CONFIRM, { handle, status: ADP_SUCCESS })) this.counters.confirmsLost++;
  }

  stats(out: (s: string) => void): void {
    const kv = formatCounters;
    out(`adp.service client=${this.client} ${kv(this.counters)}\r\nadp.refused ${kv(this.refused)}\r\n`);
  }
}

/** Starts the service next to a running stack; registers `PLC ADP`. */
export function startAdpService(rs: RunServiceFn, g3: G3Stack): AdpService {
  const s = new AdpService(rs, g3);
  rs('shell.register', 'PLC', 'ADP', 0, '- ADP data service for NON-LEGAL: client task, packets, refusals by reason', (_p, out) =>
    s.stats(out),
  );
  return s;
}
