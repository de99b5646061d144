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

// The registry is one flat array, FIELDS values per command, kept sorted by module + command.
// An object per command (its copy, a Map entry, a key string, upper-cased copies of the names, a
// [min, max] array) cost the STM32F405 meter about 10 slots more per command (docs/renode.md,
// "RAM of the meter"). Names already in upper case (the literals every part passes) are stored
// as given, so they stay in the flash-resident bytecode; params and owner share one integer.
// Field offsets are literals: a module-level constant costs slots of its own.
const FIELDS = 5; // 0 module, 1 command, 2 code (min | max << 5 | owner << 10), 3 help, 4 handler

export class Shell {
  private readonly entries: unknown[] = [];
  private readonly owners: string[] = []; // owner names, indexed by the code's owner field
  private readonly symbols = new Map<string, { readonly [name: string]: number }>(); // "MODULE COMMAND" -> named values (few commands have them)
  private line: number[] = [];
  private state = State.Text;
  private lastCR = false;
  readonly stats: ShellStats = { lines: 0, errors: 0, overlong: 0, binary: 0 };

  constructor(
    private print: ShellPrint,
    private maxLine = SHELL_MAX_LINE,
  ) {}

  register(cmd: ShellCommand): void {
    const upperModule = cmd.module.toUpperCase(),
      upperCommand = cmd.command.toUpperCase();
    const module = upperModule === cmd.module ? cmd.module : upperModule,
      command = upperCommand === cmd.command ? cmd.command : upperCommand;
    if (!/^[A-Z][A-Z0-9_]{0,15}$/.test(module) || !/^[A-Z][A-Z0-9_]{0,23}$/.test(command)) {
      throw new RangeError(`bad command name ${module} ${command}`);
    }
    if (this.find(module, command) >= 0) throw new RangeError(`${module} ${command} already registered`);
    if (this.entries.length >= SHELL_MAX_COMMANDS * FIELDS) throw new RangeError('too many commands');
    const p = cmd.params;
    if (typeof p === 'number' ? !(p >= 0 && p <= 16) : !(p[0] >= 0 && p[1] >= p[0] && p[1] <= 16)) throw new RangeError('params');
    let owner = this.owners.indexOf(cmd.owner);
    if (owner < 0) owner = this.owners.push(cmd.owner) - 1;
    const code = (typeof p === 'number' ? p | (p << 5) : p[0] | (p[1] << 5)) | (owner << 10);
    const name = module + command;
    let at = 0;
    while (at < this.entries.length && (this.entries[at] as string) + (this.entries[at + 1] as string) < name) at += FIELDS;
    this.entries.splice(at, 0, module, command, code, String(cmd.help), cmd.handler);
    if (cmd.symbols) this.symbols.set(`${module} ${command}`, cmd.symbols);
  }

  unregisterOwner(owner: string): number {
    const index = this.owners.indexOf(owner);
    let n = 0;
    if (index < 0) return n;
    for (let at = this.entries.length - FIELDS; at >= 0; at -= FIELDS)
      if ((this.entries[at + 2] as number) >> 10 === index) {
        this.symbols.delete(`${this.entries[at] as string} ${this.entries[at + 1] as string}`);
        this.entries.splice(at, FIELDS);
        n++;
      }
    return n;
  }

  // The commands, sorted by module and command (copies: made on demand, for tests and tools).
  list(): ShellCommand[] {
    const out: ShellCommand[] = [];
    for (let at = 0; at < this.entries.length; at += FIELDS) {
      const module = this.entries[at] as string,
        command = this.entries[at + 1] as string,
        code = this.entries[at + 2] as number,
        min = code & 31,
        max = (code >> 5) & 31,
        symbols = this.symbols.get(`${module} ${command}`);
      out.push({
        module,
        command,
        params: min === max ? min : [min, max],
        help: this.entries[at + 3] as string,
        owner: this.owners[code >> 10]!,
        handler: this.entries[at + 4] as ShellHandler,
        ...(symbols ? { symbols } : {}),
      });
    }
    return out;
  }

  // Index of a command's first field, or -1.
  private find(module: string, command: string): number {
    for (let at = 0; at < this.entries.length; at += FIELDS) if (this.entries[at] === module && this.entries[at + 1] === command) return at;
    return -1;
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
    const at = this.find(module, command);
    if (at < 0) {
      let known = false;
      for (let k = 0; k < this.entries.length && !known; k += FIELDS) known = this.entries[k] === module;
      return this.error(known ? `unknown command ${module} ${command}` : `unknown module ${module}`);
    }
    const raw = tokens.slice(2);
    const code = this.entries[at + 2] as number,
      handler = this.entries[at + 4] as ShellHandler,
      symbols = this.symbols.size ? this.symbols.get(`${module} ${command}`) : undefined;
    const min = code & 31,
      max = (code >> 5) & 31;
    if (raw.length < min || raw.length > max) {
      const want = min === max ? `${min}` : `${min} to ${max}`;
      return this.error(`${module} ${command} takes ${want} parameter${max === 1 ? '' : 's'}, got ${raw.length}`);
    }
    const params: number[] = [];
    for (const token of raw) {
      const named = symbols?.[token.toUpperCase()];
      const v = typeof named === 'number' ? named : parseParam(token);
      if (v === undefined)
        return this.error(
          `bad parameter '${token.slice(0, 16)}': 32-bit decimal or 0x-hex expected${symbols ? ` or ${Object.keys(symbols).join('|')}` : ''}`,
        );
      params.push(v);
    }
    try {
      handler(params, this.print);
    } catch (e) {
      this.error(`${module} ${command}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private help() {
    for (let at = 0; at < this.entries.length; at += FIELDS)
      this.print(`${this.entries[at] as string} ${this.entries[at + 1] as string} ${this.entries[at + 3] as string}\r\n`);
  }
}
