// A fake concentrator for the head-end receiver's tests: a TCP server playing the backhaul
// UART's far end, and the receiver as a child process whose output lines are awaited.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FrameReader, decodeMessage, type Message } from '../../modules/nonlegal/dc/headend/wire.js';

export class FakeConcentrator {
  server: Server;
  socket: Socket | undefined;
  reader = new FrameReader();
  received: Message[] = [];
  #waiters: (() => void)[] = [];
  constructor() {
    this.server = createServer((s) => {
      this.socket = s;
      this.reader = new FrameReader();
      s.on('data', (c: Buffer) => {
        for (const b of this.reader.push(new Uint8Array(c))) this.received.push(decodeMessage(b));
        for (const w of this.#waiters.splice(0)) w();
      });
      s.on('error', () => {});
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }
  /** Resolves when pred holds, re-checked on every arrival. */
  async until(pred: () => boolean, what: string, ms = 20000): Promise<void> {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, ms).unref();
      });
    }
  }
  acks(): number[] {
    return this.received.flatMap((m) => (m.type === 'ack' ? [m.id] : []));
  }
  hellos(): number {
    return this.received.filter((m) => m.type === 'hello').length;
  }
  close(): void {
    this.socket?.destroy();
    this.server.close();
  }
}

export interface Proc {
  child: ChildProcess;
  lines: string[];
  /** The first line matching re, from line index `from` on. */
  waitLine(re: RegExp, ms?: number, from?: number): Promise<string>;
  exit: Promise<number | null>;
}

export function headend(args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/headend/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buf = '';
  const onData = (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      r(code);
      for (const w of waiters.splice(0)) w();
    }),
  );
  return {
    child,
    lines,
    exit,
    waitLine: async (re, ms = 30000, from = 0) => {
      const t0 = Date.now();
      for (;;) {
        const hit = lines.slice(from).find((l) => re.test(l));
        if (hit) return hit;
        if (child.exitCode !== null) throw new Error(`headend exited ${child.exitCode} before ${re}: ${lines.join(' | ')}`);
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re}: ${lines.join(' | ')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, ms).unref();
        });
      }
    },
  };
}
