// PING: ICMPv6 echo requests to a short address of the PAN, one at a time, each answered or
// timed out before the next, with the echo codec of icmpv6.ts.
import type { ShellPrint } from '../generic/shell.js';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, IPV6_HEADER_LENGTH, NEXT_HEADER_ICMPV6 } from './adp-const.js';
import { hex4 } from './bytes.js';
import { DecodeError, NeedMoreData } from './errors.js';
import { buildEcho, parseEcho, type Echo } from '../generic/shared/icmpv6.js';
import { linkLocalFromLink } from '../generic/shared/g3-address.js';
import type { G3Node } from './netstack.js';
import { SHORT_NONE } from './stack-context.js';

const PING_TIMEOUT_MS = 8000;
const PING_BYTES = 32;

interface Run {
  dst: number;
  count: number;
  seq: number;
  sent: number;
  received: number;
  started: number;
  id: number;
  print: ShellPrint;
}

export class Ping {
  private run: Run | null = null;
  private id = 0;

  constructor(
    private readonly node: G3Node,
    private readonly now: () => number,
  ) {}

  /** When the running request times out (ms), Infinity when none runs. */
  deadline(): number {
    return this.run ? this.run.started + PING_TIMEOUT_MS : Infinity;
  }

  tick(now: number): void {
    const p = this.run;
    if (p && now - p.started >= PING_TIMEOUT_MS) {
      p.print(`PING 0x${hex4(p.dst)} seq=${p.seq} timeout\r\n`);
      this.next();
    }
  }

  /** An IPv6 packet for us: the reply we wait for, or ignored. */
  onIpv6(p: Uint8Array): void {
    const ping = this.run;
    if (!ping || p.length <= IPV6_HEADER_LENGTH || p[6] !== NEXT_HEADER_ICMPV6 || p[IPV6_HEADER_LENGTH] !== ICMPV6_ECHO_REPLY) return;
    let e: Echo;
    try {
      e = parseEcho(p).echo;
    } catch (err) {
      if (err instanceof DecodeError || err instanceof NeedMoreData) return;
      throw err;
    }
    if (e.identifier !== ping.id || e.sequence !== ping.seq) return;
    ping.received++;
    ping.print(`PING 0x${hex4(ping.dst)} seq=${ping.seq} bytes=${e.data.length} time=${this.now() - ping.started} ms\r\n`);
    this.next();
  }

  /** Starts `count` requests to `dst`; the node must be in a PAN (`inPan`). */
  start(dst: number, count: number, print: ShellPrint, inPan: boolean): void {
    if (this.run) throw new Error('a ping is running');
    if (!inPan) throw new Error('not in a PAN');
    if (!(dst >= 0 && dst < SHORT_NONE) || dst === this.node.shortAddress) throw new RangeError('short address 0..0xFFFD, not our own');
    if (!(count >= 1 && count <= 100)) throw new RangeError('count 1..100');
    this.id = (this.id + 1) & 0xffff;
    this.run = { dst, count, seq: 0, sent: 0, received: 0, started: 0, id: this.id, print };
    this.next();
  }

  private next(): void {
    const p = this.run;
    if (!p) return;
    if (p.sent >= p.count) {
      p.print(`PING 0x${hex4(p.dst)} sent=${p.sent} received=${p.received}\r\n`);
      this.run = null;
      return;
    }
    p.seq++;
    p.sent++;
    p.started = this.now();
    const data = new Uint8Array(PING_BYTES);
    for (let i = 0; i < data.length; i++) data[i] = i;
    const pan = this.node.mac.pib.macPANId;
    const self = linkLocalFromLink(this.node.shortAddress, pan);
    this.node.sendIpv6(
      buildEcho(self, linkLocalFromLink(p.dst, pan), { type: ICMPV6_ECHO_REQUEST, identifier: p.id, sequence: p.seq, data }),
    );
  }
}
