// A scripted node speaking the modem-port protocol over a socket, for tests.
import net from 'node:net';
import {
  AddrMode,
  Decoder,
  encode,
  MsgType,
  NodeKind,
  PORT_VERSION,
  TIME_NEVER,
  type DataConfirm,
  type DataIndication,
  type DataRequest,
  type PortMessage,
} from '../../emulator/medium/port.js';
import { Modulation } from '../../emulator/medium/phy-const.js';

export interface ScriptStep {
  atUs: number;
  msgs: PortMessage[];
}

export interface FakeNodeOptions {
  kind?: NodeKind;
  /** Sim clock: messages to send when time reaches atUs. */
  script?: ScriptStep[];
  /** Sim clock: what to send when an indication arrives (sent at the same instant). */
  onIndication?: (ind: DataIndication) => PortMessage[];
}

export class FakeNode {
  readonly received: PortMessage[] = [];
  readonly times: bigint[] = [];
  private readonly decoder = new Decoder();
  private sock: net.Socket | undefined;
  private readonly script: ScriptStep[];
  private pending: PortMessage[] = [];
  private waiters: Array<() => void> = [];

  constructor(
    readonly eui64: bigint,
    private readonly opts: FakeNodeOptions = {},
  ) {
    this.script = [...(opts.script ?? [])].sort((a, b) => a.atUs - b.atUs);
  }

  get indications(): DataIndication[] {
    return this.received.filter((m): m is DataIndication => m.type === MsgType.DATA_INDICATION);
  }
  get confirms(): DataConfirm[] {
    return this.received.filter((m): m is DataConfirm => m.type === MsgType.DATA_CONFIRM);
  }

  /** Connect; resolves after READY (or ERROR). */
  async connect(where: string | number, hello = true): Promise<PortMessage> {
    const sock = typeof where === 'number' ? net.connect(where, '127.0.0.1') : net.connect(where);
    this.sock = sock;
    sock.on('data', (b: Buffer) => this.onData(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    sock.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    if (!hello) return { type: MsgType.RESET };
    this.send({ type: MsgType.HELLO, version: PORT_VERSION, kind: this.opts.kind ?? NodeKind.LIN, eui64: this.eui64 });
    return this.waitFor((m) => m.type === MsgType.READY || m.type === MsgType.ERROR);
  }

  send(msg: PortMessage): void {
    this.sock?.write(encode(msg));
  }

  raw(bytes: Uint8Array): void {
    this.sock?.write(bytes);
  }

  close(): void {
    this.sock?.destroy();
  }

  /** Resolve with the first received message matching `pred` (past or future). */
  waitFor(pred: (m: PortMessage) => boolean, timeoutMs = 5000): Promise<PortMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = this.received.find(pred);
        if (m) resolve(m);
        return m !== undefined;
      };
      if (check()) return;
      const timer = setTimeout(() => reject(new Error(`node ${this.eui64}: timeout`)), timeoutMs);
      this.waiters.push(() => {
        if (check()) clearTimeout(timer);
      });
    });
  }

  private onData(bytes: Uint8Array): void {
    for (const m of this.decoder.push(bytes)) {
      this.received.push(m);
      if (m.type === MsgType.DATA_INDICATION && this.opts.onIndication) this.pending.push(...this.opts.onIndication(m));
      if (m.type === MsgType.TIME) this.onTime(m.now);
      for (const w of this.waiters) w();
    }
  }

  private onTime(now: bigint): void {
    this.times.push(now);
    const t = Number(now);
    while (this.script.length && this.script[0]!.atUs <= t) this.pending.push(...this.script.shift()!.msgs);
    for (const m of this.pending) this.send(m);
    this.pending = [];
    const next = this.script[0];
    this.send({ type: MsgType.IDLE, until: next ? BigInt(next.atUs) : TIME_NEVER });
  }
}

let handle = 0;
export function dataRequest(frame: Uint8Array, o: Partial<DataRequest> = {}): DataRequest {
  return {
    type: MsgType.DATA_REQUEST,
    handle: (handle = (handle + 1) & 0xff),
    modulation: Modulation.DQPSK,
    toneMap: 0x3f,
    ackRequested: false,
    highPriority: false,
    dstMode: AddrMode.SHORT,
    dst: 0xffffn,
    frame,
    ...o,
  };
}

/** An 802.15.4 data frame: FC (data, PAN compression, short dst/src), seq, PAN, dst, src, payload. */
export function macFrame(seq: number, dst: number, src: number, payload: Uint8Array, pan = 0x781d): Uint8Array {
  const f = new Uint8Array(9 + payload.length);
  f[0] = 0x41; // data, PAN ID compression
  f[1] = 0x88; // short dst, frame version 0, short src
  f[2] = seq & 0xff;
  f[3] = pan & 0xff;
  f[4] = pan >> 8;
  f[5] = dst & 0xff;
  f[6] = dst >> 8;
  f[7] = src & 0xff;
  f[8] = src >> 8;
  f.set(payload, 9);
  return f;
}
