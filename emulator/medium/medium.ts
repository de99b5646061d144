// The power-line medium: G3-PLC CENELEC-A PHY + real-time MAC for every node
// attached through a modem port. Two clocks:
//  - real time: events fire on wall-clock timers (QEMU boards, live lin nodes);
//  - simulated: the medium owns time and advances it only when every lin node
//    has answered IDLE, so runs are deterministic and faster than real time.
import { EventEmitter } from 'node:events';
import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Channel, dbToLin, formatEui64, linToDb, type Topology } from './channel.js';
import { crc16Fcs } from './crc.js';
import {
  MAC_ACK_US,
  MAC_CIFS_US,
  MAC_DEFAULT_HIGH_PRIORITY_WINDOW,
  MAC_DEFAULT_MAX_BE,
  MAC_DEFAULT_MAX_CSMA_BACKOFFS,
  MAC_DEFAULT_MAX_FRAME_RETRIES,
  MAC_DEFAULT_MIN_BE,
  MAC_RIFS_US,
  MAC_SLOT_US,
  MacStatus,
  SHORT_ADDR_BROADCAST,
  SHORT_ADDR_NONE,
} from './mac-const.js';
import { PcapFileWriter, type PcapSink } from './pcap.js';
import { ackAirtime, ackErrorRate, FCS_BYTES, frameAirtime, frameErrorRate, lqiFromSnr } from './phy.js';
import { Modulation } from './phy-const.js';
import {
  AddrMode,
  Decoder,
  encode,
  MsgType,
  NodeKind,
  PORT_VERSION,
  PortError,
  TIME_NEVER,
  type DataRequest,
  type DecoderStats,
  type PortMessage,
} from './port.js';
import { Prng } from './prng.js';

export interface MacParams {
  minBE: number;
  maxBE: number;
  maxCsmaBackoffs: number;
  maxFrameRetries: number;
  /** macHighPriorityWindowSize, slots. */
  highPriorityWindow: number;
}

export interface MediumOptions {
  topology?: Topology;
  seed?: number;
  /** A file path or a sink; every transmission (data and ACK) is recorded. */
  pcap?: string | PcapSink;
  /** Record ACKs as 802.15.4 Imm-Ack frames (default true). */
  pcapAcks?: boolean;
  /** pcap timestamp of time 0, us since the epoch (sim clock default 0, real time: start). */
  pcapEpochUs?: bigint;
  simClock?: boolean;
  /** Sim clock: time stays at 0 until this many nodes have said HELLO (default 1). */
  expectNodes?: number;
  /** Bound on attached ports (default 1024). */
  maxNodes?: number;
  /** Bound on DATA.requests queued per node, the one in progress included (default 8). */
  maxPendingPerNode?: number;
  /** Bound on a port message payload (default 1024). */
  maxPayload?: number;
  mac?: Partial<MacParams>;
}

export type LossReason = 'collision' | 'snr' | 'attenuation' | 'blocked' | 'random';
type LossCounts = Record<LossReason, number>;
const newLoss = (): LossCounts => ({ collision: 0, snr: 0, attenuation: 0, blocked: 0, random: 0 });

export interface NodeStats {
  eui64: string;
  kind: 'board' | 'lin';
  requests: number;
  /** Data transmissions, retries included. */
  sent: number;
  retries: number;
  acksSent: number;
  /** Frames this node received. */
  received: number;
  /** Frames it received for another node: not passed to its host (the modem's address filter). */
  filtered: number;
  /** Frames that did not reach this node, by reason. */
  lost: LossCounts;
  confirms: Record<string, number>;
  port: DecoderStats & { ignored: number };
}

export interface MediumStats {
  nodes: number;
  timeUs: number;
  requests: number;
  /** Sim clock: TIME messages sent (node wake-ups), and instants the network stopped at. */
  wakeUps: number;
  steps: number;
  framesSent: number;
  acksSent: number;
  retries: number;
  /** Receptions (one per frame and receiver). */
  delivered: number;
  /** Receptions of unicast frames for another node, not passed to the host. */
  filtered: number;
  lost: LossCounts;
  /** ACKs that did not reach the waiting sender, by reason. */
  acksLost: LossCounts;
  noAck: number;
  channelAccessFailure: number;
  queueFull: number;
  confirms: Record<string, number>;
  port: { droppedBytes: number; droppedFrames: number; ignored: number; refused: number };
  /**
   * Sim clock: requests a lin node sent while it was not awake (after its IDLE, before its next
   * TIME). The instant they are handled at depends on when the host scheduled the node, so a
   * run with any is not reproducible (the lin host holds what a sleeping node writes).
   */
  asleepRequests: number;
  perNode: Record<string, NodeStats>;
  /** Every transmission (frames, retries, ACKs): G.9903 airtime summed, and MPDU bytes (without FCS). */
  airtimeUs: number;
  bytesOnAir: number;
}

const STATUS_NAME: Record<number, string> = {
  [MacStatus.SUCCESS]: 'SUCCESS',
  [MacStatus.CHANNEL_ACCESS_FAILURE]: 'CHANNEL_ACCESS_FAILURE',
  [MacStatus.FRAME_TOO_LONG]: 'FRAME_TOO_LONG',
  [MacStatus.INVALID_PARAMETER]: 'INVALID_PARAMETER',
  [MacStatus.NO_ACK]: 'NO_ACK',
  [MacStatus.TRANSACTION_OVERFLOW]: 'TRANSACTION_OVERFLOW',
  [MacStatus.RESET]: 'RESET',
};

interface Job {
  req: DataRequest;
  nb: number;
  be: number;
  retries: number;
  symbols: number;
  airtimeUs: number;
  tx?: Tx;
}

interface Reception {
  levelDbuv: number;
  snrDb: number;
}

interface Tx {
  src: Port;
  startUs: number;
  endUs: number;
  mod: Modulation;
  symbols: number;
  frame: Uint8Array; // MPDU without FCS
  job?: Job;
  ackOf?: Tx;
  /** Receivers that detected the preamble. */
  det: Map<Port, Reception>;
  /** Receivers that could not: why. */
  undetected: Map<Port, 'blocked' | 'attenuation' | 'snr'>;
  randomLoss: Map<Port, number>;
}

interface Ev {
  t: number;
  seq: number;
  fn: () => void;
}

/** One attached modem port. */
export class Port {
  eui64: bigint | undefined;
  kind = NodeKind.BOARD;
  hello = false;
  closed = false;
  panId = 0xffff;
  shortAddr = SHORT_ADDR_NONE;
  readonly queue: DataRequest[] = [];
  current: Job | undefined;
  /** Carrier sense / NAV: the channel is busy for this node until then. */
  busyUntil = 0;
  // sim clock
  simBusy = false;
  wakeAt = Infinity;
  inbox: PortMessage[] = [];
  outbox: PortMessage[] = [];
  readonly decoder: Decoder;
  stats: Omit<NodeStats, 'eui64' | 'kind' | 'port'> = {
    requests: 0,
    sent: 0,
    retries: 0,
    acksSent: 0,
    received: 0,
    filtered: 0,
    lost: newLoss(),
    confirms: {},
  };
  ignored = 0;
  /** Sim clock: requests received while the node was not awake. */
  asleepRequests = 0;

  constructor(
    readonly stream: Duplex,
    readonly seq: number,
    maxPayload: number,
  ) {
    this.decoder = new Decoder({ maxPayload });
  }

  get label(): string {
    return this.eui64 === undefined ? `port#${this.seq}` : formatEui64(this.eui64);
  }
}

class EventQueue {
  private h: Ev[] = [];
  private seq = 0;
  get size(): number {
    return this.h.length;
  }
  peek(): Ev | undefined {
    return this.h[0];
  }
  push(t: number, fn: () => void): void {
    const e = { t, seq: this.seq++, fn };
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Ev | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
const before = (a: Ev, b: Ev): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

/** Oldest transmission kept for overlap checks: longer than any frame. */
const RECENT_KEEP_US = 1_000_000;

export class Medium extends EventEmitter {
  readonly simClock: boolean;
  readonly mac: MacParams;
  readonly channel: Channel;
  private readonly prng: Prng;
  private readonly pcap: PcapSink | undefined;
  private readonly pcapAcks: boolean;
  private readonly pcapEpochUs: bigint;
  private readonly maxNodes: number;
  private readonly maxPending: number;
  private readonly maxPayload: number;
  private readonly expectNodes: number;
  private readonly events = new EventQueue();
  private ports: Port[] = [];
  /** HELLO'd ports in EUI-64 order: the order of every per-node loop. */
  private nodes: Port[] = [];
  private recent: Tx[] = [];
  private portSeq = 0;
  private timeUs = 0;
  private started = false;
  private pumpQueued = false;
  private paused = false;
  /**
   * Sim clock: called when every node is IDLE and time is about to move from `now` to `next`
   * (everything the nodes did up to `now` is written out); returning false pauses the medium
   * there until resume(). Used by `npm run sim` to stop at an exact instant. `woken`: the EUI-64s
   * of the nodes woken since the last barrier (only they can have done anything).
   */
  barrier: ((now: number, next: number, woken: ReadonlySet<bigint>) => boolean) | undefined;
  private woken = new Set<bigint>();
  private timer: NodeJS.Timeout | undefined;
  private readonly wallStart = performance.now();
  private readonly servers: net.Server[] = [];
  private readonly streams = new Set<Duplex>();
  private closedDown = false;
  private readonly totals = {
    requests: 0,
    framesSent: 0,
    acksSent: 0,
    retries: 0,
    delivered: 0,
    lost: newLoss(),
    acksLost: newLoss(),
    wakeUps: 0,
    steps: 0,
    filtered: 0,
    confirms: {} as Record<string, number>,
    refused: 0,
    airtimeUs: 0,
    bytesOnAir: 0,
    gone: { droppedBytes: 0, droppedFrames: 0, ignored: 0, asleepRequests: 0 },
  };

  constructor(opts: MediumOptions = {}) {
    super();
    this.simClock = opts.simClock ?? false;
    this.mac = {
      minBE: MAC_DEFAULT_MIN_BE,
      maxBE: MAC_DEFAULT_MAX_BE,
      maxCsmaBackoffs: MAC_DEFAULT_MAX_CSMA_BACKOFFS,
      maxFrameRetries: MAC_DEFAULT_MAX_FRAME_RETRIES,
      highPriorityWindow: MAC_DEFAULT_HIGH_PRIORITY_WINDOW,
      ...opts.mac,
    };
    this.channel = new Channel(opts.topology);
    this.prng = new Prng(opts.seed ?? 1);
    this.pcap = typeof opts.pcap === 'string' ? new PcapFileWriter(opts.pcap) : opts.pcap;
    this.pcapAcks = opts.pcapAcks ?? true;
    this.pcapEpochUs = opts.pcapEpochUs ?? (this.simClock ? 0n : BigInt(Date.now()) * 1000n);
    this.maxNodes = opts.maxNodes ?? 1024;
    this.maxPending = opts.maxPendingPerNode ?? 8;
    this.maxPayload = opts.maxPayload ?? 1024;
    this.expectNodes = opts.expectNodes ?? 1;
  }

  /** Current medium time, microseconds since the medium started (sim: since time 0). */
  get time(): number {
    // real time: the wall clock, also while no frame moves (npm start's --until, its live view)
    if (!this.simClock) this.syncWall();
    return this.timeUs;
  }

  // ------------------------------------------------------------- ports

  attach(stream: Duplex): Port | undefined {
    this.streams.add(stream);
    stream.once('close', () => this.streams.delete(stream));
    if (this.closedDown) {
      stream.destroy();
      return undefined;
    }
    if (this.ports.length >= this.maxNodes) {
      this.totals.refused++;
      stream.end(encode({ type: MsgType.ERROR, code: PortError.TOO_MANY_NODES, text: 'too many nodes' }));
      return undefined;
    }
    const port = new Port(stream, this.portSeq++, this.maxPayload);
    this.ports.push(port);
    stream.on('data', (chunk: Buffer) => this.onBytes(port, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    stream.on('error', () => this.detach(port));
    stream.on('close', () => this.detach(port));
    stream.on('end', () => this.detach(port));
    return port;
  }

  /** Listen on a unix socket path, or a TCP port on 127.0.0.1 if `where` is a number. */
  async listen(where: string | number): Promise<net.Server> {
    const server = net.createServer((s) => this.attach(s));
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (typeof where === 'number') server.listen(where, '127.0.0.1', () => resolve());
      else {
        if (existsSync(where)) unlinkSync(where);
        server.listen(where, () => resolve());
      }
    });
    return server;
  }

  /** Connect to a node that is the server side (e.g. a QEMU chardev with server=on). */
  connect(where: string | number): Promise<Port | undefined> {
    return new Promise((resolve, reject) => {
      const s = typeof where === 'number' ? net.connect(where, '127.0.0.1') : net.connect(where);
      s.once('connect', () => resolve(this.attach(s)));
      s.once('error', reject);
    });
  }

  async close(): Promise<void> {
    this.closedDown = true;
    if (this.timer) clearTimeout(this.timer);
    for (const s of [...this.streams]) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.pcap?.close();
  }

  private detach(port: Port): void {
    if (port.closed) return;
    port.closed = true;
    port.current = undefined;
    port.queue.length = 0;
    this.ports = this.ports.filter((p) => p !== port);
    this.nodes = this.nodes.filter((p) => p !== port);
    this.totals.gone.droppedBytes += port.decoder.stats.droppedBytes;
    this.totals.gone.droppedFrames += port.decoder.stats.droppedFrames;
    this.totals.gone.ignored += port.ignored;
    this.totals.gone.asleepRequests += port.asleepRequests;
    this.emit('detach', port);
    if (this.simClock) this.schedulePump();
  }

  private send(port: Port, msg: PortMessage): void {
    if (port.closed) return;
    if (this.simClock && port.kind === NodeKind.LIN && port.hello && msg.type !== MsgType.READY && msg.type !== MsgType.ERROR) {
      port.outbox.push(msg);
      return;
    }
    this.write(port, msg);
  }

  private write(port: Port, msg: PortMessage): void {
    if (!port.closed && port.stream.writable) port.stream.write(encode(msg));
  }

  private onBytes(port: Port, chunk: Uint8Array): void {
    if (port.closed) return;
    for (const msg of port.decoder.push(chunk)) this.onMessage(port, msg);
  }

  private onMessage(port: Port, msg: PortMessage): void {
    if (msg.type === MsgType.HELLO) {
      this.onHello(port, msg);
      return;
    }
    if (!port.hello || msg.type >= MsgType.READY) {
      port.ignored++; // before HELLO, or a modem->node message sent by a node
      return;
    }
    if (this.simClock) {
      if (msg.type === MsgType.IDLE) {
        port.simBusy = false;
        const until = msg.until === TIME_NEVER ? Infinity : Number(msg.until);
        port.wakeAt = until > this.timeUs ? until : this.timeUs + 1;
        this.schedulePump();
      } else {
        port.inbox.push(msg);
        if (!port.simBusy) {
          port.asleepRequests++;
          this.schedulePump();
        }
      }
      return;
    }
    if (msg.type === MsgType.IDLE) return; // meaningless in real time
    this.syncWall();
    this.handleRequest(port, msg);
  }

  private onHello(port: Port, msg: Extract<PortMessage, { type: MsgType.HELLO }>): void {
    const refuse = (code: PortError, text: string): void => {
      this.totals.refused++;
      this.write(port, { type: MsgType.ERROR, code, text });
      port.stream.end();
      this.detach(port);
    };
    if (port.hello) {
      port.ignored++;
      return;
    }
    if (msg.version !== PORT_VERSION) return refuse(PortError.PROTOCOL_VERSION, `version ${PORT_VERSION} only`);
    if (this.simClock && msg.kind !== NodeKind.LIN) {
      return refuse(PortError.NOT_SUPPORTED, 'sim clock: lin nodes only');
    }
    if (this.nodes.some((n) => n.eui64 === msg.eui64)) return refuse(PortError.DUPLICATE_NODE, 'EUI-64 in use');
    port.hello = true;
    port.kind = msg.kind;
    port.eui64 = msg.eui64;
    const i = this.nodes.findIndex((n) => (n.eui64 ?? 0n) > msg.eui64);
    if (i < 0) this.nodes.push(port);
    else this.nodes.splice(i, 0, port);
    this.write(port, { type: MsgType.READY, version: PORT_VERSION, simClock: this.simClock, now: BigInt(this.timeUs) });
    this.emit('hello', port);
    if (this.simClock) {
      port.wakeAt = this.timeUs; // first TIME at the current time
      if (!this.started && this.nodes.length >= this.expectNodes) this.started = true;
      this.schedulePump();
    }
  }

  // ------------------------------------------------------------- requests

  private handleRequest(port: Port, msg: PortMessage): void {
    switch (msg.type) {
      case MsgType.SET_ADDRESS:
        port.panId = msg.panId;
        port.shortAddr = msg.shortAddr;
        return;
      case MsgType.RESET:
        port.queue.length = 0;
        port.current = undefined; // its pending events see a stale job and stop
        port.shortAddr = SHORT_ADDR_NONE;
        port.panId = 0xffff;
        port.outbox = [];
        this.write(port, { type: MsgType.READY, version: PORT_VERSION, simClock: this.simClock, now: BigInt(this.timeUs) });
        return;
      case MsgType.DATA_REQUEST:
        this.onDataRequest(port, msg);
        return;
      default:
        port.ignored++;
    }
  }

  private onDataRequest(port: Port, req: DataRequest): void {
    port.stats.requests++;
    this.totals.requests++;
    if (req.modulation > Modulation.D8PSK || req.frame.length === 0 || (req.toneMap & 0x3f) === 0) {
      this.confirm(port, req, MacStatus.INVALID_PARAMETER, 0);
      return;
    }
    if (frameAirtime(req.frame.length, req.modulation, req.toneMap) === undefined) {
      this.confirm(port, req, MacStatus.FRAME_TOO_LONG, 0);
      return;
    }
    if (port.queue.length + (port.current ? 1 : 0) >= this.maxPending) {
      this.confirm(port, req, MacStatus.TRANSACTION_OVERFLOW, 0);
      return;
    }
    port.queue.push(req);
    if (!port.current) this.nextJob(port);
  }

  private nextJob(port: Port): void {
    const req = port.queue.shift();
    if (!req) return;
    const air = frameAirtime(req.frame.length, req.modulation, req.toneMap)!;
    port.current = { req, nb: 0, be: this.mac.minBE, retries: 0, symbols: air.symbols, airtimeUs: air.us };
    this.backoff(port, port.current);
  }

  /**
   * Unslotted CSMA/CA with G3 priority: a high-priority frame draws its delay in
   * the high-priority contention window [0, HPW) slots; a normal one waits the
   * whole window and then draws in [0, 2^BE) slots. The CCA at the end of the
   * delay sees the channel busy while a detected frame, its expected ACK and
   * the following aCIFS are on the line (physical + virtual carrier sense).
   */
  private backoff(port: Port, job: Job): void {
    const hpw = this.mac.highPriorityWindow;
    const slots = job.req.highPriority ? this.prng.int(hpw) : hpw + this.prng.int(2 ** job.be);
    this.at(this.timeUs + slots * MAC_SLOT_US, () => {
      if (port.current !== job || port.closed) return;
      if (port.busyUntil > this.timeUs) {
        job.nb++;
        job.be = Math.min(job.be + 1, this.mac.maxBE);
        if (job.nb > this.mac.maxCsmaBackoffs) this.finish(port, job, MacStatus.CHANNEL_ACCESS_FAILURE);
        else this.backoff(port, job);
        return;
      }
      this.transmitData(port, job);
    });
  }

  private transmitData(port: Port, job: Job): void {
    const r = job.req;
    const tx = this.transmit(port, r.frame, r.modulation, job.symbols, job.airtimeUs, this.wantsAck(r));
    tx.job = job;
    job.tx = tx;
    port.stats.sent++;
    this.totals.framesSent++;
  }

  private wantsAck(r: DataRequest): boolean {
    if (!r.ackRequested) return false;
    if (r.dstMode === AddrMode.SHORT) return Number(r.dst & 0xffffn) !== SHORT_ADDR_BROADCAST;
    return r.dstMode === AddrMode.EXTENDED;
  }

  /** Broadcast, no destination, or this node's short address or EUI-64. */
  private accepts(rx: Port, r: DataRequest): boolean {
    if (r.dstMode === AddrMode.SHORT) return Number(r.dst & 0xffffn) === SHORT_ADDR_BROADCAST || rx.shortAddr === Number(r.dst & 0xffffn);
    if (r.dstMode === AddrMode.EXTENDED) return rx.eui64 === r.dst;
    return true;
  }

  private isDestination(rx: Port, r: DataRequest): boolean {
    if (r.dstMode === AddrMode.SHORT) return rx.shortAddr === Number(r.dst & 0xffffn);
    if (r.dstMode === AddrMode.EXTENDED) return rx.eui64 === r.dst;
    return false;
  }

  private transmit(
    src: Port,
    frame: Uint8Array,
    mod: Modulation,
    symbols: number,
    airtimeUs: number,
    responseExpected: boolean,
    ackOf?: Tx,
  ): Tx {
    const start = this.timeUs;
    const end = start + airtimeUs;
    this.totals.airtimeUs += airtimeUs;
    this.totals.bytesOnAir += frame.length;
    const tx: Tx = {
      src,
      startUs: start,
      endUs: end,
      mod,
      symbols,
      frame,
      det: new Map(),
      undetected: new Map(),
      randomLoss: new Map(),
      ...(ackOf ? { ackOf } : {}),
    };
    const navUntil = end + (responseExpected ? MAC_RIFS_US + MAC_ACK_US : 0) + MAC_CIFS_US;
    src.busyUntil = Math.max(src.busyUntil, navUntil);
    const { detectSnrDb } = this.channel.params;
    for (const rx of this.nodes) {
      if (rx === src) continue;
      const link = this.channel.link(src.eui64!, rx.eui64!);
      if (link.blocked) {
        tx.undetected.set(rx, 'blocked');
        continue;
      }
      const level = this.channel.txLevel(src.eui64!) - link.attenuationDb;
      const snr = level - this.channel.noiseAt(rx.eui64!, start, end);
      if (snr < detectSnrDb) {
        // Too weak even over the background noise: attenuation; else a noise burst drowned it.
        const quiet = level - this.channel.backgroundNoise(rx.eui64!) < detectSnrDb;
        tx.undetected.set(rx, quiet ? 'attenuation' : 'snr');
        continue;
      }
      tx.det.set(rx, { levelDbuv: level, snrDb: snr });
      if (link.randomLoss > 0) tx.randomLoss.set(rx, link.randomLoss);
      rx.busyUntil = Math.max(rx.busyUntil, navUntil);
    }
    this.recordPcap(tx);
    this.recent.push(tx);
    this.at(end, () => this.endOfFrame(tx));
    return tx;
  }

  private recordPcap(tx: Tx): void {
    if (!this.pcap) return;
    let mpdu = tx.frame;
    if (tx.ackOf) {
      if (!this.pcapAcks) return;
      mpdu = new Uint8Array([0x02, 0x00, tx.ackOf.frame[2] ?? 0]); // 802.15.4 Imm-Ack, same sequence number
    }
    const fcs = crc16Fcs(mpdu);
    const out = new Uint8Array(mpdu.length + FCS_BYTES);
    out.set(mpdu);
    out[mpdu.length] = fcs & 0xff;
    out[mpdu.length + 1] = fcs >> 8;
    this.pcap.write(this.pcapEpochUs + BigInt(tx.startUs), out);
  }

  /** Why `rx` lost `tx`, or undefined if it got it. Draws from the PRNG in a fixed order. */
  private receive(tx: Tx, rx: Port, r: Reception): LossReason | undefined {
    let interference = 0;
    let halfDuplex = false;
    for (const o of this.recent) {
      if (o === tx || o.endUs <= tx.startUs || o.startUs >= tx.endUs) continue;
      if (o.src === rx) halfDuplex = true;
      const d = o.det.get(rx);
      if (d) interference += dbToLin(d.levelDbuv);
    }
    const pErr = tx.ackOf ? ackErrorRate(r.snrDb) : frameErrorRate(r.snrDb, tx.mod, tx.symbols);
    const draw = this.prng.next();
    const drawRandom = this.prng.next();
    if (halfDuplex) return 'collision';
    if (interference > 0 && r.levelDbuv - linToDb(interference) < this.channel.params.captureDb) return 'collision';
    if (draw < pErr) return 'snr';
    if (drawRandom < (tx.randomLoss.get(rx) ?? 0)) return 'random';
    return undefined;
  }

  private endOfFrame(tx: Tx): void {
    this.recent = this.recent.filter((o) => o.endUs + RECENT_KEEP_US > this.timeUs);
    if (tx.ackOf) {
      this.endOfAck(tx);
      return;
    }
    const job = tx.job!;
    const wantsAck = this.wantsAck(job.req);
    for (const rx of this.nodes) {
      if (rx === tx.src) continue;
      const why = tx.undetected.get(rx);
      const r = tx.det.get(rx);
      const lost = why ?? (r ? this.receive(tx, rx, r) : 'attenuation');
      if (lost) {
        rx.stats.lost[lost]++;
        this.totals.lost[lost]++;
        continue;
      }
      if (!this.accepts(rx, job.req)) {
        // the modem's address filter (802.15.4 third-level filtering): a unicast frame for
        // another node is received but not passed to this node's host
        rx.stats.filtered++;
        this.totals.filtered++;
        continue;
      }
      rx.stats.received++;
      this.totals.delivered++;
      this.send(rx, {
        type: MsgType.DATA_INDICATION,
        lqi: lqiFromSnr(r!.snrDb),
        modulation: tx.mod,
        time: BigInt(tx.endUs),
        frame: tx.frame,
      });
      if (wantsAck && this.isDestination(rx, job.req)) {
        this.at(tx.endUs + MAC_RIFS_US, () => {
          if (rx.closed) return;
          const ack = ackAirtime();
          this.transmit(rx, tx.frame, Modulation.ROBO, 0, ack.us, false, tx);
          rx.stats.acksSent++;
          this.totals.acksSent++;
        });
      }
    }
    const src = tx.src;
    if (src.current !== job) return;
    if (!wantsAck) {
      this.finish(src, job, MacStatus.SUCCESS);
      return;
    }
    // Wait aRIFS + aAckTime, plus one slot of tolerance, for the ACK.
    this.at(tx.endUs + MAC_RIFS_US + MAC_ACK_US + MAC_SLOT_US, () => {
      if (src.current !== job || job.tx !== tx) return;
      if (job.retries >= this.mac.maxFrameRetries) {
        this.finish(src, job, MacStatus.NO_ACK);
        return;
      }
      job.retries++;
      src.stats.retries++;
      this.totals.retries++;
      job.nb = 0;
      job.be = this.mac.minBE;
      job.tx = undefined;
      this.backoff(src, job);
    });
  }

  private endOfAck(ack: Tx): void {
    const data = ack.ackOf!;
    const sender = data.src;
    const job = data.job;
    const r = ack.det.get(sender);
    const lost = ack.undetected.get(sender) ?? (r ? this.receive(ack, sender, r) : 'attenuation');
    if (lost) {
      this.totals.acksLost[lost]++;
      return;
    }
    if (job && sender.current === job && job.tx === data) this.finish(sender, job, MacStatus.SUCCESS);
  }

  private finish(port: Port, job: Job, status: MacStatus): void {
    port.current = undefined;
    this.confirm(port, job.req, status, job.retries);
    this.nextJob(port);
  }

  private confirm(port: Port, req: DataRequest, status: MacStatus, retries: number): void {
    const name = STATUS_NAME[status] ?? `0x${status.toString(16)}`;
    port.stats.confirms[name] = (port.stats.confirms[name] ?? 0) + 1;
    this.totals.confirms[name] = (this.totals.confirms[name] ?? 0) + 1;
    this.send(port, { type: MsgType.DATA_CONFIRM, handle: req.handle, status, retries, time: BigInt(this.timeUs) });
  }

  // ------------------------------------------------------------- time

  private at(t: number, fn: () => void): void {
    this.events.push(t, fn);
    if (!this.simClock) this.armTimer();
  }

  private wallUs(): number {
    return Math.floor((performance.now() - this.wallStart) * 1000);
  }

  private syncWall(): void {
    this.timeUs = Math.max(this.timeUs, this.wallUs());
  }

  private armTimer(): void {
    if (this.closedDown) return;
    const next = this.events.peek();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!next) return;
    this.timer = setTimeout(() => this.runDue(), Math.max(0, (next.t - this.wallUs()) / 1000));
  }

  private runDue(): void {
    this.timer = undefined;
    const wall = this.wallUs();
    for (let e = this.events.peek(); e && e.t <= wall; e = this.events.peek()) {
      this.events.pop();
      this.timeUs = Math.max(this.timeUs, e.t);
      e.fn();
    }
    this.syncWall();
    this.armTimer();
  }

  private schedulePump(): void {
    if (this.pumpQueued || this.closedDown) return;
    this.pumpQueued = true;
    setImmediate(() => this.pump());
  }

  /**
   * Sim clock: a barrier per instant. Requests sent by nodes while they were
   * awake are handled in EUI-64 order, due events run, nodes with something
   * at this instant get their messages then TIME(now); when none is left and
   * all are IDLE, time jumps to the next event or wake-up.
   */
  private pump(): void {
    this.pumpQueued = false;
    if (!this.started || this.closedDown || this.paused) return;
    for (;;) {
      if (this.nodes.some((n) => n.simBusy)) return;
      for (const n of this.nodes) {
        const inbox = n.inbox;
        n.inbox = [];
        for (const m of inbox) this.handleRequest(n, m);
      }
      for (let e = this.events.peek(); e && e.t <= this.timeUs; e = this.events.peek()) {
        this.events.pop();
        e.fn();
      }
      let woke = false;
      for (const n of this.nodes) {
        if (n.outbox.length === 0 && n.wakeAt > this.timeUs) continue;
        // one write per wake-up: the node's messages then TIME, so it is woken once, not once
        // per message (a system call and a context switch each)
        const batch = n.outbox.map(encode);
        batch.push(encode({ type: MsgType.TIME, now: BigInt(this.timeUs) }));
        n.outbox = [];
        if (!n.closed && n.stream.writable) n.stream.write(Buffer.concat(batch));
        n.simBusy = true;
        n.wakeAt = Infinity;
        this.woken.add(n.eui64!);
        this.totals.wakeUps++;
        woke = true;
      }
      if (woke) return;
      let next = this.events.peek()?.t ?? Infinity;
      for (const n of this.nodes) next = Math.min(next, n.wakeAt);
      if (next === Infinity) {
        this.emit('quiescent', this.timeUs);
        return;
      }
      this.totals.steps++;
      const woken = this.woken;
      this.woken = new Set();
      if (this.barrier && !this.barrier(this.timeUs, next, woken)) {
        this.paused = true;
        return;
      }
      this.timeUs = next;
    }
  }

  /**
   * Sim clock: the node with this EUI-64 gets TIME(now) at the next step, whatever deadline it
   * reported: its clock then reads the current instant, and what it did since (a console command
   * taken while time stood still) reaches the medium at that instant. Used by the bench.
   */
  wakeNode(eui64: bigint): void {
    const n = this.nodes.find((p) => p.eui64 === eui64);
    if (!n) throw new Error(`no node ${formatEui64(eui64)}`);
    n.wakeAt = Math.min(n.wakeAt, this.timeUs);
    this.schedulePump();
  }

  /**
   * Sim clock: makes `t` (microseconds) an instant the medium stops at, so that the barrier is
   * called exactly there (for something scripted at that time); nothing else happens then.
   */
  mark(t: number): void {
    if (t > this.timeUs) this.at(t, () => undefined);
  }

  /** Sim clock: time moves on again after a barrier paused it. */
  resume(): void {
    this.paused = false;
    this.schedulePump();
  }

  // ------------------------------------------------------------- stats

  stats(): MediumStats {
    const perNode: Record<string, NodeStats> = {};
    const port = {
      droppedBytes: this.totals.gone.droppedBytes,
      droppedFrames: this.totals.gone.droppedFrames,
      ignored: this.totals.gone.ignored,
      refused: this.totals.refused,
    };
    let asleepRequests = this.totals.gone.asleepRequests;
    for (const p of this.ports) {
      asleepRequests += p.asleepRequests;
      port.droppedBytes += p.decoder.stats.droppedBytes;
      port.droppedFrames += p.decoder.stats.droppedFrames;
      port.ignored += p.ignored;
      perNode[p.label] = {
        eui64: p.label,
        kind: p.kind === NodeKind.LIN ? 'lin' : 'board',
        ...structuredClone(p.stats),
        port: { ...p.decoder.stats, ignored: p.ignored },
      };
    }
    const t = this.totals;
    return {
      nodes: this.nodes.length,
      timeUs: this.timeUs,
      requests: t.requests,
      wakeUps: t.wakeUps,
      steps: t.steps,
      framesSent: t.framesSent,
      acksSent: t.acksSent,
      retries: t.retries,
      delivered: t.delivered,
      filtered: t.filtered,
      lost: { ...t.lost },
      acksLost: { ...t.acksLost },
      noAck: t.confirms.NO_ACK ?? 0,
      channelAccessFailure: t.confirms.CHANNEL_ACCESS_FAILURE ?? 0,
      queueFull: t.confirms.TRANSACTION_OVERFLOW ?? 0,
      confirms: { ...t.confirms },
      port,
      asleepRequests,
      perNode,
      airtimeUs: t.airtimeUs,
      bytesOnAir: t.bytesOnAir,
    };
  }
}
