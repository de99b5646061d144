// npm run dc -- <command...> [--json] --connect HOST:PORT
// Talks to a running concentrator's shell over TCP (a Renode socket terminal, or any TCP bridge
// to a lin or QEMU concentrator's UART), switches DC JSON ON, runs `DC <command>` and prints a
// table (or the JSON lines with --json). An EUI-64 (16 hex digits) in the command is replaced by
// the meter's short address from DC METERS (MNSH parameters are 32-bit). docs/concentrator.md.
import { connect, type Socket } from 'node:net';

export const USAGE = 'usage: npm run dc -- <METERS|READ|PROFILE|EVENTS|STATS|SCHEDULE|BALANCE|PHASE ...> [--json] --connect HOST:PORT';

export class UsageError extends Error {}

export function parseDcArgs(argv: string[]): { words: string[]; json: boolean; host: string; port: number } {
  const words: string[] = [];
  let json = false,
    at: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--connect') {
      at = argv[++i];
      if (!at) throw new UsageError('--connect needs HOST:PORT');
    } else if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
    else words.push(a);
  }
  if (words.length === 0) throw new UsageError('no command');
  if (!['METERS', 'READ', 'PROFILE', 'EVENTS', 'STATS', 'SCHEDULE', 'BALANCE', 'PHASE'].includes(words[0]!.toUpperCase()))
    throw new UsageError(`unknown command '${words[0]}'`);
  if (!at) throw new UsageError('--connect HOST:PORT is required');
  const m = /^(.+):(\d{1,5})$/.exec(at);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`--connect expects HOST:PORT, got '${at}'`);
  return { words, json, host: m[1]!, port: Number(m[2]) };
}

type Line = Record<string, unknown> & { dc?: string };

export class ShellLink {
  private buf = '';
  private waiters: ((l: string) => void)[] = [];
  private lines: string[] = [];
  constructor(private readonly s: Socket) {
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      this.buf += d;
      for (let k = this.buf.indexOf('\n'); k >= 0; k = this.buf.indexOf('\n')) {
        const l = this.buf.slice(0, k).replace(/\r$/, '');
        this.buf = this.buf.slice(k + 1);
        const w = this.waiters.shift();
        if (w) w(l);
        else this.lines.push(l);
      }
    });
  }
  next(timeoutMs: number): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }
  /** Sends `line`; returns its JSON lines up to its end line, or throws the ERROR line. */
  async run(line: string, timeoutMs = 120000): Promise<Line[]> {
    this.s.write(`${line}\r\n`);
    const out: Line[] = [];
    for (;;) {
      const l = await this.next(timeoutMs);
      if (l.startsWith('ERROR')) throw new Error(l);
      if (!l.startsWith('{')) continue; // echo, traces
      const o = JSON.parse(l) as Line;
      out.push(o);
      if (o.dc === 'end') return out;
    }
  }
}

export async function runDc(argv: string[], print: (s: string) => void): Promise<number> {
  const o = parseDcArgs(argv);
  const s = connect(o.port, o.host);
  await new Promise<void>((res, rej) => {
    s.once('connect', res);
    s.once('error', rej);
  });
  try {
    const link = new ShellLink(s);
    await link.run('DC JSON ON');
    const words = [...o.words];
    if (words.some((w) => /^(0x)?[0-9A-Fa-f]{16}$/.test(w))) {
      const meters = (await link.run('DC METERS')).filter((l) => l.dc === 'meter');
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        if (!/^(0x)?[0-9A-Fa-f]{16}$/.test(w)) continue;
        const m = meters.find((x) => x.eui === w.replace(/^0x/, '').toUpperCase());
        if (!m) throw new Error(`meter ${w} not in the registry`);
        words[i] = String(m.short);
      }
    }
    const lines = await link.run(`DC ${words.join(' ')}`);
    if (o.json) for (const l of lines) print(JSON.stringify(l));
    else {
      const rows = lines.filter((l) => l.dc !== 'end');
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => k !== 'dc')))];
      const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
      if (rows.length) {
        const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
        print(cols.map((c, i) => c.padEnd(w[i]!)).join('  '));
        for (const r of rows) print(cols.map((c, i) => cell(r[c]).padEnd(w[i]!)).join('  '));
      }
      const end = lines[lines.length - 1]!;
      print(
        Object.entries(end)
          .filter(([k]) => k !== 'dc')
          .map(([k, v]) => `${k}=${cell(v)}`)
          .join(' '),
      );
    }
    return 0;
  } finally {
    s.destroy();
  }
}

if (process.argv[1] && /tools[/\\]dc\.ts$/.test(process.argv[1])) {
  runDc(process.argv.slice(2), (l) => process.stdout.write(`${l}\n`)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(
        `dc: ${e instanceof UsageError ? `${e.message} (npm run dc -- <command> [--json] --connect HOST:PORT)` : e instanceof Error ? e.message : String(e)}\n`,
      );
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
