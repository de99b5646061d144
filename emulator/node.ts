// One firmware node, booted headless: a Linux process (lin), a QEMU board, or (emulator:
// 'renode') the stm32f405 on Renode with the chip's real memory map, with its shell (UART0) on
// a pipe (lin, QEMU) or a TCP socket (Renode). Used by the tests, the bench and the launcher.
// Everything waits for lines, never for a fixed time.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { findRenode, RENODE_INSTALL } from '../tools/renode.mjs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type Platform = 'lin' | 'mps2-an386' | 'stm32f405' | 'stm32f429';
export type Role = 'meter' | 'meter-1p' | 'concentrator';
export type PartName = 'legal' | 'plc' | 'nonlegal';

// QEMU machines (QEMU 7.2 has no STM32F429 board: the stm32f429 runs on Renode only).
export const MACHINES: { readonly [p in Exclude<Platform, 'lin' | 'stm32f429'>]: string } = {
  'mps2-an386': 'mps2-an386',
  stm32f405: 'netduinoplus2',
};

export type Emulator = 'qemu' | 'renode';

// Renode platform descriptions of the boards it runs (renode/platforms).
export const RENODE_PLATFORMS: { readonly [p in Platform]?: string } = {
  stm32f405: join(ROOT, 'renode', 'platforms', 'stm32f405-meter.repl'),
  stm32f429: join(ROOT, 'renode', 'platforms', 'stm32f429-concentrator.repl'),
};

export interface NodeOptions {
  platform: Platform;
  role: Role;
  emulator?: Emulator; // boards: QEMU (default) or Renode (stm32f405; stm32f429 only there)
  images?: Partial<Record<PartName, string>>; // program a part's flash region with this file
  provision?: string; // PLC provisioning record: --provision on lin, the .provision region on boards
  icount?: boolean; // qemu -icount shift=0: 1 instruction per virtual ns
  args?: string[]; // extra arguments (lin firmware options, qemu options)
  nvram?: string; // NVRAM backing file (lin --nvram; boards: semihosting nvram=FILE)
  spinor?: string; // SPI NOR model file (lin --spinor; boards: semihosting spinor=FILE), docs/spi-nor.md
  spinorCut?: string; // power cut at the N-th NOR program/erase, or 'random:SEED' (lin --spinor-cut; boards spinor-cut=)
  readyTimeout?: number;
  waitReady?: boolean;
  uart1?: boolean; // attach UART1 (optical port) to a socket: node.uart1
  repl?: string; // Renode: this platform description instead of the board's (a variant of it)
  monitor?: string[]; // Renode: monitor commands run once the board is loaded, before it starts
  modem?: string; // Renode: the PLC modem port (USART3) piped to the medium's Unix socket at this path
  // the concentrator's backhaul UART (3) on a TCP server at 127.0.0.1:PORT, the head-end's far
  // end (npm run headend -- serve --connect): lin --backhaul-port, QEMU the fourth -serial
  backhaulPort?: number;
  // another build of the same platform and role: 'unprepared' runs firmware-unprepared, the
  // build's variant whose XS machine is built in RAM at boot (docs/xs-preparation.md)
  variant?: 'unprepared';
}

// The test's end of a node's UART1: a Unix socket the firmware (lin: --uart1) or QEMU (a socket
// chardev on the second -serial) connects to. Bytes in arrive as chunks; receive() waits for the
// next one with a time-out.
export class UartLink {
  private chunks: Uint8Array[] = [];
  private waiters: (() => void)[] = [];
  private socket: Socket | undefined;
  private connected: Promise<Socket>;
  readonly dir: string;
  readonly path: string;
  private readonly server: Server;
  received = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'uart1-'));
    this.path = join(this.dir, 'uart1.sock');
    this.server = createServer();
    this.connected = new Promise((resolveSocket) => {
      this.server.on('connection', (s) => {
        this.socket = s;
        s.on('data', (d: Buffer) => {
          this.received += d.length;
          this.chunks.push(new Uint8Array(d));
          const w = this.waiters;
          this.waiters = [];
          for (const f of w) f();
        });
        s.on('error', () => {});
        resolveSocket(s);
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.path, () => r()));
  }

  /** Resolves once the firmware side is connected. */
  async ready(timeoutMs = 10000): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      this.connected,
      new Promise((_, rej) => {
        t = setTimeout(() => rej(new Error('uart1: firmware did not connect')), timeoutMs);
      }),
    ]);
    clearTimeout(t);
  }

  async send(bytes: Uint8Array | string): Promise<void> {
    const s = await this.connected;
    await new Promise<void>((r) => s.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, () => r()));
  }

  /** The next chunk received (any part of the stream); rejects after timeoutMs. */
  async receive(timeoutMs = 5000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.chunks.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`uart1: nothing received within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.chunks.shift()!;
  }

  /** Bytes up to and including the first that satisfies `done(buffer)`. */
  async receiveUntil(done: (b: Uint8Array) => boolean, timeoutMs = 5000): Promise<Uint8Array> {
    let all = new Uint8Array(0);
    const deadline = Date.now() + timeoutMs;
    while (!done(all)) {
      const c = await this.receive(Math.max(1, deadline - Date.now()));
      const n = new Uint8Array(all.length + c.length);
      n.set(all);
      n.set(c, all.length);
      all = n;
    }
    return all;
  }

  /** Drops whatever was received and not read yet. */
  flush(): void {
    this.chunks = [];
  }

  close(): void {
    this.socket?.destroy();
    this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function firmwarePath(platform: Platform, role: Role): string {
  return join(ROOT, 'build', platform, role, platform === 'lin' ? 'firmware' : 'firmware.elf');
}

// Start address of a part's flash region, read from the ELF's symbols (link.ld).
export function regionAddress(elf: string, part: PartName): number {
  const out = execFileSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' });
  const m = new RegExp(`^([0-9a-f]+) \\w __region_${part}_start$`, 'm').exec(out);
  if (!m) throw new Error(`no __region_${part}_start in ${elf}`);
  return parseInt(m[1]!, 16);
}

// A copy of the ELF whose part regions hold other images, as a flash programmer would leave
// the board: objcopy replaces the content of the .part_<name> sections.
export function reflash(elf: string, images: Partial<Record<PartName | 'provision', string>>): string {
  const entries = Object.entries(images);
  if (entries.length === 0) return elf;
  const key = createHash('sha256')
    .update(elf + JSON.stringify(entries.map(([p, f]) => [p, readFileSync(f).toString('hex')])))
    .digest('hex')
    .slice(0, 16);
  const out = join(ROOT, 'build', 'test', 'elf', `${key}.elf`);
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('arm-none-eabi-objcopy', [
    ...entries.flatMap(([p, f]) => ['--update-section', `${p === 'provision' ? '.provision' : `.part_${p}`}=${f}`]),
    elf,
    out,
  ]);
  return out;
}

export function commandLine(o: NodeOptions, uart1?: string): { cmd: string; args: string[] } {
  const fw = o.variant
    ? firmwarePath(o.platform, o.role).replace(/firmware(\.elf)?$/, `firmware-${o.variant}$1`)
    : firmwarePath(o.platform, o.role);
  if (!existsSync(fw)) throw new Error(`${fw} missing: run npm run build`);
  if (o.platform === 'lin') {
    const args: string[] = [];
    for (const [part, file] of Object.entries(o.images ?? {})) args.push('--image', `${part}=${file}`);
    if (uart1) args.push('--uart1', uart1);
    if (o.nvram) args.push('--nvram', o.nvram);
    if (o.spinor) args.push('--spinor', o.spinor);
    if (o.spinorCut) args.push('--spinor-cut', o.spinorCut);
    if (o.provision) args.push('--provision', o.provision);
    if (o.backhaulPort !== undefined) args.push('--backhaul-port', String(o.backhaulPort));
    return { cmd: fw, args: [...args, ...(o.args ?? [])] };
  }
  if (o.repl) throw new Error('repl is a Renode option (emulator: renode)');
  if (o.modem) throw new Error("modem is a Renode option (emulator: renode): lin takes args ['--modem', path]");
  if (o.monitor) throw new Error('monitor is a Renode option (emulator: renode)');
  if (o.platform === 'stm32f429') throw new Error("stm32f429 runs on Renode only (emulator: 'renode'): QEMU has no F429 board");
  // Like `-nographic`, but UART0 on a plain stdio chardev without the monitor multiplexer, so
  // that arbitrary bytes (Ctrl-A, Ctrl-C) reach the firmware instead of QEMU.
  const args = [
    '-M',
    MACHINES[o.platform],
    '-display',
    'none',
    '-monitor',
    'none',
    '-semihosting',
    '-chardev',
    'stdio,id=uart0,signal=off',
    '-serial',
    'chardev:uart0',
    '-kernel',
    reflash(fw, { ...(o.images ?? {}), ...(o.provision ? { provision: o.provision } : {}) }),
  ];
  if (uart1) args.push('-chardev', `socket,id=uart1,path=${uart1}`, '-serial', 'chardev:uart1');
  if (o.icount) args.push('-icount', 'shift=0');
  // the semihosting command line carries the NVRAM file's name (QEMU options double commas)
  // and the SPI NOR model's file and power-cut spec
  const shArgs = [
    ...(o.nvram ? [`nvram=${resolve(o.nvram)}`] : []),
    ...(o.spinor ? [`spinor=${resolve(o.spinor)}`] : []),
    ...(o.spinorCut ? [`spinor-cut=${o.spinorCut}`] : []),
  ];
  if (shArgs.length)
    args.push('-semihosting-config', `enable=on,arg=firmware,${shArgs.map((a) => `arg=${a.replace(/,/g, ',,')}`).join(',')}`);
  const all = [...args, ...(o.args ?? [])];
  if (o.backhaulPort !== undefined) {
    // UART3 is the fourth -serial: the ones before it that nobody attached are null
    for (let n = all.filter((a) => a === '-serial').length; n < 3; n++) all.push('-serial', 'null');
    all.push('-serial', `tcp:127.0.0.1:${o.backhaulPort},server=on,wait=off`);
  }
  return { cmd: 'qemu-system-arm', args: all };
}

// Renode's command line: the board and the image loaded, USART1 on a TCP server socket (no
// telnet negotiation: `false`), the emulation not started yet (FirmwareNode starts it through
// the monitor on stdin once the socket is connected, so no byte of the boot is lost).
export function renodeCommandLine(o: NodeOptions, port: number, modemPort?: number): { cmd: string; args: string[] } {
  const found = findRenode();
  if (!found) throw new Error(RENODE_INSTALL);
  const repl = o.repl ?? RENODE_PLATFORMS[o.platform];
  if (!repl) throw new Error(`no Renode platform for ${o.platform} (renode/platforms)`);
  if (o.uart1 || o.nvram || o.spinor || o.spinorCut || o.icount || o.args?.length)
    throw new Error('uart1, nvram, spinor, spinorCut, icount and args are QEMU and lin options, not Renode ones');
  if (o.modem !== undefined && modemPort === undefined) throw new Error('modem: no port for USART3');
  if (o.backhaulPort !== undefined && o.platform !== 'stm32f429')
    throw new Error('backhaulPort on Renode: the stm32f429 concentrator only (its UART5)');
  const fw = firmwarePath(o.platform, o.role);
  if (!existsSync(fw)) throw new Error(`${fw} missing: run npm run build`);
  const elf = reflash(fw, { ...(o.images ?? {}), ...(o.provision ? { provision: o.provision } : {}) });
  const script = [
    `mach create "${o.role}"`,
    `machine LoadPlatformDescription @${repl}`,
    `sysbus LoadELF @${elf}`,
    // a machine reset (the watchdog, SYSRESETREQ) loads the image again and restarts from it
    `macro reset "sysbus LoadELF @${elf}"`,
    `emulation CreateServerSocketTerminal ${port} "shell" false`,
    'connector Connect sysbus.usart1 shell',
    // the PLC modem port on a TCP server socket, piped to the medium by the harness
    ...(modemPort !== undefined
      ? [`emulation CreateServerSocketTerminal ${modemPort} "modem" false`, 'connector Connect sysbus.usart3 modem']
      : []),
    // the backhaul UART on a TCP server socket, as lin's --backhaul-port: the head-end connects
    ...(o.backhaulPort !== undefined
      ? [`emulation CreateServerSocketTerminal ${o.backhaulPort} "backhaul" false`, 'connector Connect sysbus.uart5 backhaul']
      : []),
    ...(o.monitor ?? []),
  ].join('; ');
  return { cmd: found.renode, args: ['--disable-xwt', '--console', '--plain', '-e', script] };
}

// A TCP port of 127.0.0.1 that was free a moment ago (the kernel picks it).
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolvePort(a.port) : reject(new Error('no port'))));
    });
  });
}

// Connects to Renode's socket terminal; it listens once the monitor has run the script, so
// refused attempts are retried until the deadline or Renode's exit.
export async function connectTerminal(port: number, child: ChildProcess, timeoutMs: number, log: () => string): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Renode exited before its shell socket opened\n${log()}`);
    try {
      return await new Promise<Socket>((resolveSocket, reject) => {
        const sock = createConnection({ port, host: '127.0.0.1' });
        sock.once('connect', () => {
          sock.removeAllListeners('error');
          resolveSocket(sock);
        });
        sock.once('error', reject);
      });
    } catch {
      if (Date.now() > deadline) throw new Error(`Renode's shell socket (port ${port}) did not open within ${timeoutMs} ms\n${log()}`);
      await new Promise<void>((r) => setTimeout(r, 200)); // retry interval
    }
  }
}

/**
 * Pipes a board's modem UART (its socket terminal) to the power-line medium's Unix socket, byte
 * for byte both ways, as QEMU's socket chardev does; either end closing closes the other.
 */
export async function pipeToMedium(modem: Socket, path: string): Promise<Socket> {
  const medium = await new Promise<Socket>((resolveSocket, reject) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolveSocket(s);
    });
    s.once('error', reject);
  });
  modem.pipe(medium);
  medium.pipe(modem);
  for (const s of [modem, medium]) {
    s.on('error', () => undefined);
    s.on('close', () => {
      modem.destroy();
      medium.destroy();
    });
  }
  return medium;
}

export class FirmwareNode {
  readonly lines: string[] = [];
  private partial = '';
  private cursor = 0;
  private waiters: (() => void)[] = [];
  exitCode: number | null = null;
  private exited: Promise<number | null>;
  stderr = '';
  uart1: UartLink | undefined;
  private input: Writable;

  // The shell's bytes come from `shell` and go to `input`: the process's stdout and stdin, or
  // Renode's socket terminal (Renode's own output then goes to `stderr`, kept for tail()).
  private constructor(
    readonly options: NodeOptions,
    readonly child: ChildProcess,
    terminal?: Socket,
  ) {
    const shell: Readable = terminal ?? child.stdout!;
    this.input = terminal ?? child.stdin!;
    if (terminal) {
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d: string) => {
        this.stderr = (this.stderr + d).slice(-4000);
      });
      terminal.on('error', () => {});
    }
    shell.setEncoding('latin1');
    shell.on('data', (chunk: string) => {
      const text = this.partial + chunk;
      const parts = text.split('\n');
      this.partial = parts.pop()!;
      for (const p of parts) {
        const line = p.replace(/\r$/, '');
        this.lines.push(line);
        // Renode does not stop on the firmware's semihosting exit: a fatal stop or a fault
        // report ends it here, so a waiting test fails at once, as it does when QEMU exits.
        if (terminal && /^(FATAL |\*\*\* FAULT: )/.test(line)) FirmwareNode.killGroup(child);
      }
      this.wake();
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.stderr += d;
    });
    child.stdin!.on('error', () => {});
    this.exited = new Promise((resolveExit) => {
      child.on('exit', (code, signal) => {
        if (this.partial) {
          this.lines.push(this.partial);
          this.partial = '';
        }
        this.exitCode = code ?? (signal ? 128 : null);
        this.wake();
        resolveExit(this.exitCode);
      });
    });
  }

  static async start(options: NodeOptions): Promise<FirmwareNode> {
    if (options.emulator === 'renode') return FirmwareNode.startRenode(options);
    let uart1: UartLink | undefined;
    if (options.uart1) {
      uart1 = new UartLink();
      await uart1.listen();
    }
    const { cmd, args } = commandLine(options, uart1?.path);
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const node = new FirmwareNode(options, child);
    node.uart1 = uart1;
    if (uart1) child.on('exit', () => uart1.close());
    if (options.waitReady !== false) await node.waitFor(/^MNSH ready$/, options.readyTimeout ?? 20000);
    return node;
  }

  // Renode in its own process group (its launcher is a shell script that runs Mono as a child),
  // so stop() ends the launcher and Mono together by the group's id.
  private static async startRenode(options: NodeOptions): Promise<FirmwareNode> {
    const port = await freePort();
    const modemPort = options.modem !== undefined ? await freePort() : undefined;
    const { cmd, args } = renodeCommandLine(options, port, modemPort);
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let log = '';
    const onLog = (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    };
    child.stdout!.on('data', onLog);
    child.stderr!.on('data', onLog);
    let terminal: Socket;
    try {
      terminal = await connectTerminal(port, child, options.readyTimeout ?? 60000, () => log);
      if (modemPort !== undefined) {
        const modem = await connectTerminal(modemPort, child, options.readyTimeout ?? 60000, () => log);
        const medium = await pipeToMedium(modem, options.modem!);
        child.once('exit', () => medium.destroy());
      }
    } catch (e) {
      FirmwareNode.killGroup(child);
      throw e;
    }
    child.stdout!.off('data', onLog);
    const node = new FirmwareNode(options, child, terminal);
    node.stderr = log;
    child.stdin!.on('error', () => {});
    child.stdin!.write('start\n');
    if (options.waitReady !== false) {
      try {
        await node.waitFor(/^MNSH ready$/, options.readyTimeout ?? 60000);
      } catch (e) {
        await node.stop();
        throw e;
      }
    }
    return node;
  }

  private static killGroup(child: ChildProcess): void {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  // Resolves with the first line at or after the cursor that matches; moves the cursor past it.
  async waitFor(pattern: RegExp, timeoutMs = 10000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.lines.length; i++) {
        if (pattern.test(this.lines[i]!)) {
          this.cursor = i + 1;
          return this.lines[i]!;
        }
      }
      if (this.exitCode !== null) throw new Error(`${this.describe()} exited (${this.exitCode}) before ${pattern}\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.describe()}: no line matching ${pattern} within ${timeoutMs} ms\n${this.tail()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  // Lines after the cursor up to and including the first that matches `end`.
  async collect(end: RegExp, timeoutMs = 10000): Promise<string[]> {
    const from = this.cursor;
    await this.waitFor(end, timeoutMs);
    return this.lines.slice(from, this.cursor);
  }

  send(line: string): void {
    this.input.write(line + '\r\n');
  }

  write(bytes: Uint8Array | string): void {
    this.input.write(bytes);
  }

  // Renode: a command for its monitor (stdin), e.g. `machine Reset`; its answer goes to stderr.
  monitor(line: string): void {
    if (this.options.emulator !== 'renode') throw new Error('monitor: Renode nodes only');
    this.child.stdin!.write(`${line}\n`);
  }

  // Sends a command and returns its output lines, up to the line matching `end`.
  async command(line: string, end: RegExp, timeoutMs = 10000): Promise<string[]> {
    this.skip();
    this.send(line);
    return this.collect(end, timeoutMs);
  }

  // Moves the cursor to the end: later waits only see new lines.
  skip(): void {
    this.cursor = this.lines.length;
  }

  describe(): string {
    return `${this.options.role} on ${this.options.platform}${this.options.emulator === 'renode' ? ' (Renode)' : ''}`;
  }

  tail(n = 15): string {
    return this.lines.slice(-n).join('\n') + (this.stderr ? `\nstderr: ${this.stderr.slice(-500)}` : '');
  }

  async stop(): Promise<number | null> {
    if (this.exitCode === null) {
      if (this.options.emulator === 'renode') {
        this.input.end();
        FirmwareNode.killGroup(this.child); // a Renode left behind spins at 100 % CPU
      } else {
        this.child.stdin!.end();
        this.child.kill('SIGTERM');
      }
    }
    return this.exited;
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}
