// MNSH: the firmware shell. A command line is `<MODULE> <COMMAND> <p1> ... <pN>` with 32-bit
// integer parameters in decimal or 0x-hex. Each part registers its own commands. Input comes
// byte by byte from a UART: lines are bounded, overlong lines and non-text bytes are counted
// and refused with one error line, and nothing that arrives later is lost.

export type ShellPrint = (text: string) => void;
export type ShellHandler = (params: number[], print: ShellPrint) => void;

export interface ShellCommand {
  module: string;
  command: string;
  params: number | readonly [number, number]; // exact count or [min, max]
  help: string;
  owner: string;
  handler: ShellHandler;
  symbols?: { readonly [name: string]: number }; // named parameter values (e.g. P1 -> 1), upper case
}

export interface ShellStats {
  lines: number;
  errors: number;
  overlong: number;
  binary: number;
}

export const SHELL_MAX_LINE = 128;
export const SHELL_MAX_COMMANDS = 128;

const enum State {
  Text,
  Overlong,
  Binary,
}

// Parses one 32-bit parameter: decimal (optionally negative) or 0x-hex. Returns undefined when
// the token is not a number or does not fit in 32 bits.
export function parseParam(token: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]{1,8}$/.test(token)) return parseInt(token.slice(2), 16);
  if (/^-?[0-9]{1,10}$/.test(token)) {
    const v = parseInt(token, 10);
    if (v > 0xffffffff || v < -0x80000000) return undefined;
    return v;
  }
  return undefined;
}

export class Shell {
  private commands = new Map<string, ShellCommand>();
  private line: number[] = [];
  private state = State.Text;
  private lastCR = false;
  readonly stats: ShellStats = { lines: 0, errors: 0, overlong: 0, binary: 0 };

  constructor(
    private print: ShellPrint,
    private maxLine = SHELL_MAX_LINE,
  ) {}

  register(cmd: ShellCommand): void {
    const module = cmd.module.toUpperCase(),
      command = cmd.command.toUpperCase();
    if (!/^[A-Z][A-Z0-9_]{0,15}$/.test(module) || !/^[A-Z][A-Z0-9_]{0,23}$/.test(command)) {
      throw new RangeError(`bad command name ${module} ${command}`);
    }
    const key = `${module} ${command}`;
    if (this.commands.has(key)) throw new RangeError(`${key} already registered`);
    if (this.commands.size >= SHELL_MAX_COMMANDS) throw new RangeError('too many commands');
    const p = cmd.params;
    if (typeof p === 'number' ? !(p >= 0 && p <= 16) : !(p[0] >= 0 && p[1] >= p[0] && p[1] <= 16)) throw new RangeError('params');
    this.commands.set(key, { ...cmd, module, command });
  }

  unregisterOwner(owner: string): number {
    let n = 0;
    for (const [key, c] of this.commands)
      if (c.owner === owner) {
        this.commands.delete(key);
        n++;
      }
    return n;
  }

  list(): ShellCommand[] {
    return [...this.commands.values()].sort((a, b) => (a.module + a.command < b.module + b.command ? -1 : 1));
  }

  // Feeds received bytes; complete lines run as they arrive.
  input(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 13 || b === 10) {
        if (b === 10 && this.lastCR) {
          this.lastCR = false;
          continue;
        } // CR LF is one end of line
        this.lastCR = b === 13;
        this.endOfLine();
        continue;
      }
      this.lastCR = false;
      if (this.state !== State.Text) continue; // discard up to the end of the line
      if (b === 8 || b === 127) {
        this.line.pop();
        continue;
      }
      if (b === 9) {
        this.push(32);
        continue;
      }
      if (b < 32 || b > 126) {
        this.state = State.Binary;
        continue;
      }
      this.push(b);
    }
  }

  private push(b: number) {
    if (this.line.length >= this.maxLine) {
      this.state = State.Overlong;
      this.line.length = 0;
      return;
    }
    this.line.push(b);
  }

  private endOfLine() {
    const state = this.state;
    this.state = State.Text;
    const text = String.fromCharCode(...this.line);
    this.line.length = 0;
    if (state === State.Overlong) {
      this.stats.overlong++;
      this.error(`line longer than ${this.maxLine} characters`);
      return;
    }
    if (state === State.Binary) {
      this.stats.binary++;
      this.error('non-text bytes in line');
      return;
    }
    this.execute(text);
  }

  private error(text: string) {
    this.stats.errors++;
    this.print(`ERROR ${text}\r\n`);
  }

  // Runs one command line (also used by scripts and tests).
  execute(text: string): void {
    const tokens = text
      .trim()
      .split(/ +/)
      .filter((t) => t.length > 0);
    if (tokens.length === 0) return;
    this.stats.lines++;
    if (tokens.length === 1) {
      const module = tokens[0]!.toUpperCase();
      if (module === 'HELP') return this.help();
      return this.error(`usage: <MODULE> <COMMAND> [params]; HELP lists commands`);
    }
    const module = tokens[0]!.toUpperCase(),
      command = tokens[1]!.toUpperCase();
    const cmd = this.commands.get(`${module} ${command}`);
    if (!cmd) {
      const known = [...this.commands.values()].some((c) => c.module === module);
      return this.error(known ? `unknown command ${module} ${command}` : `unknown module ${module}`);
    }
    const raw = tokens.slice(2);
    const [min, max] = typeof cmd.params === 'number' ? [cmd.params, cmd.params] : cmd.params;
    if (raw.length < min || raw.length > max) {
      const want = min === max ? `${min}` : `${min} to ${max}`;
      return this.error(`${module} ${command} takes ${want} parameter${max === 1 ? '' : 's'}, got ${raw.length}`);
    }
    const params: number[] = [];
    for (const token of raw) {
      const named = cmd.symbols?.[token.toUpperCase()];
      const v = typeof named === 'number' ? named : parseParam(token);
      if (v === undefined)
        return this.error(
          `bad parameter '${token.slice(0, 16)}': 32-bit decimal or 0x-hex expected${cmd.symbols ? ` or ${Object.keys(cmd.symbols).join('|')}` : ''}`,
        );
      params.push(v);
    }
    try {
      cmd.handler(params, this.print);
    } catch (e) {
      this.error(`${module} ${command}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private help() {
    for (const c of this.list()) this.print(`${c.module} ${c.command} ${c.help}\r\n`);
  }
}
