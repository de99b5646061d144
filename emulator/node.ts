// One firmware node, booted headless: a Linux process (lin) or a QEMU board, with its shell
// (UART0) on a pipe. Used by the tests, the bench and the launcher. Everything waits for lines,
// never for a fixed time.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type Platform = 'lin' | 'mps2-an386' | 'stm32f405';
export type Role = 'meter' | 'concentrator';
export type PartName = 'legal' | 'plc' | 'nonlegal';

export const MACHINES: { readonly [p in Exclude<Platform, 'lin'>]: string } = {
  'mps2-an386': 'mps2-an386',
  stm32f405: 'netduinoplus2',
};

export interface NodeOptions {
  platform: Platform;
  role: Role;
  images?: Partial<Record<PartName, string>>;  // program a part's flash region with this file
  provision?: string;                          // PLC provisioning record: --provision on lin, the .provision region on boards
  icount?: boolean;                            // qemu -icount shift=0: 1 instruction per virtual ns
  args?: string[];                             // extra arguments (lin firmware options, qemu options)
  readyTimeout?: number;
  waitReady?: boolean;
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
  const key = createHash('sha256').update(elf + JSON.stringify(entries.map(([p, f]) => [p, readFileSync(f).toString('hex')]))).digest('hex').slice(0, 16);
  const out = join(ROOT, 'build', 'test', 'elf', `${key}.elf`);
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('arm-none-eabi-objcopy', [...entries.flatMap(([p, f]) => ['--update-section', `${p === 'provision' ? '.provision' : `.part_${p}`}=${f}`]), elf, out]);
  return out;
}

export function commandLine(o: NodeOptions): { cmd: string; args: string[] } {
  const fw = firmwarePath(o.platform, o.role);
  if (!existsSync(fw)) throw new Error(`${fw} missing: run npm run build`);
  if (o.platform === 'lin') {
    const args: string[] = [];
    for (const [part, file] of Object.entries(o.images ?? {})) args.push('--image', `${part}=${file}`);
    if (o.provision) args.push('--provision', o.provision);
    return { cmd: fw, args: [...args, ...(o.args ?? [])] };
  }
  // Like `-nographic`, but UART0 on a plain stdio chardev without the monitor multiplexer, so
  // that arbitrary bytes (Ctrl-A, Ctrl-C) reach the firmware instead of QEMU.
  const args = ['-M', MACHINES[o.platform], '-display', 'none', '-monitor', 'none', '-semihosting',
    '-chardev', 'stdio,id=uart0,signal=off', '-serial', 'chardev:uart0',
    '-kernel', reflash(fw, { ...(o.images ?? {}), ...(o.provision ? { provision: o.provision } : {}) })];
  if (o.icount) args.push('-icount', 'shift=0');
  return { cmd: 'qemu-system-arm', args: [...args, ...(o.args ?? [])] };
}

export class FirmwareNode {
  readonly lines: string[] = [];
  private partial = '';
  private cursor = 0;
  private waiters: (() => void)[] = [];
  exitCode: number | null = null;
  private exited: Promise<number | null>;
  stderr = '';

  private constructor(readonly options: NodeOptions, readonly child: ChildProcess) {
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (chunk: string) => {
      const text = this.partial + chunk;
      const parts = text.split('\n');
      this.partial = parts.pop()!;
      for (const p of parts) this.lines.push(p.replace(/\r$/, ''));
      this.wake();
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => { this.stderr += d; });
    child.stdin!.on('error', () => {});
    this.exited = new Promise((resolveExit) => {
      child.on('exit', (code, signal) => {
        if (this.partial) { this.lines.push(this.partial); this.partial = ''; }
        this.exitCode = code ?? (signal ? 128 : null);
        this.wake();
        resolveExit(this.exitCode);
      });
    });
  }

  static async start(options: NodeOptions): Promise<FirmwareNode> {
    const { cmd, args } = commandLine(options);
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const node = new FirmwareNode(options, child);
    if (options.waitReady !== false) await node.waitFor(/^MNSH ready$/, options.readyTimeout ?? 20000);
    return node;
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
        this.waiters.push(() => { clearTimeout(t); r(); });
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
    this.child.stdin!.write(line + '\r\n');
  }

  write(bytes: Uint8Array | string): void {
    this.child.stdin!.write(bytes);
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
    return `${this.options.role} on ${this.options.platform}`;
  }

  tail(n = 15): string {
    return this.lines.slice(-n).join('\n') + (this.stderr ? `\nstderr: ${this.stderr.slice(-500)}` : '');
  }

  async stop(): Promise<number | null> {
    if (this.exitCode === null) {
      this.child.stdin!.end();
      this.child.kill('SIGTERM');
    }
    return this.exited;
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}
