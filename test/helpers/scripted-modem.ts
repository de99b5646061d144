// A scripted PLC modem for firmware tests: the medium's side of a lin node's modem port
// (emulator/medium/PROTOCOL.md) on a Unix socket. It answers HELLO with READY, keeps what the
// node sent, injects messages or raw bytes, and on the simulated clock drives the node's time.
import net from 'node:net';
import { Decoder, encode, MsgType, type PortMessage } from '../../emulator/medium/port.js';

export class ScriptedModem {
  readonly received: PortMessage[] = [];
  private sock: net.Socket | undefined;
  private readonly decoder = new Decoder();
  private waiters: (() => void)[] = [];
  readonly server: net.Server;
  /** simClock: the node's time is ours (TIME / IDLE, PROTOCOL.md), so its timeouts pass at once. */
  constructor(
    readonly path: string,
    readonly simClock = false,
  ) {
    this.server = net.createServer((s) => {
      this.sock = s;
      s.on('data', (b: Buffer) => {
        for (const m of this.decoder.push(new Uint8Array(b))) {
          this.received.push(m);
          if (m.type === MsgType.HELLO) this.send({ type: MsgType.READY, version: 1, simClock, now: 0n });
        }
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      });
      s.on('error', () => undefined);
    });
  }
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.path, r));
  }
  send(m: PortMessage): void {
    this.sock?.write(encode(m));
  }
  raw(b: Uint8Array): void {
    this.sock?.write(b);
  }
  async waitFor(pred: (m: PortMessage) => boolean, timeoutMs = 10000): Promise<PortMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.received.find(pred);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`modem: no matching message within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  close(): void {
    this.sock?.destroy();
    this.server.close();
  }
  private idles(): bigint[] {
    return this.received.flatMap((m) => (m.type === MsgType.IDLE ? [m.until] : []));
  }
  now = 0n;
  /** Sim clock: TIME(t), then the node's IDLE; returns its next deadline. */
  async tick(t: bigint): Promise<bigint> {
    const n = this.idles().length;
    this.now = t;
    this.send({ type: MsgType.TIME, now: t });
    await this.waitFor(() => this.idles().length > n);
    return this.idles()[n]!;
  }
  /** Sim clock: from deadline to deadline until `to` (us). */
  async runTo(to: bigint): Promise<void> {
    let until = await this.tick(this.now);
    while (until <= to) until = await this.tick(until);
  }
}
