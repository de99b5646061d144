// npm run headend -- <command>: the head-end receiver and its database (docs/headend.md).
//   serve --db FILE | --pg URL  --connect HOST:PORT   receive uploads from a concentrator
//   summary --db FILE | --pg URL [--json] [--period S] [--from S] [--to S] [--meter EUI]
//   query <meters|intervals|gaps|alarms|balance> --db FILE | --pg URL [--meter EUI] [--json] [...]
// A bad command line prints one line to stderr and exits with 2.
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameReader, encodeFrame, encodeMessage } from '../../modules/nonlegal/dc/headend/wire.js';
import { type Db, openPg, openSqlite } from './db.js';
import { handleBody, PERIOD_S, query, type Range, summary } from './store.js';

const USAGE =
  'usage: headend serve (--db FILE | --pg URL) --connect HOST:PORT | summary (--db FILE | --pg URL) [--json] | query <meters|intervals|gaps|alarms|balance> (--db FILE | --pg URL) [--meter EUI] [--json]';

class Usage extends Error {}

interface Options {
  command: string;
  what?: string;
  db?: string;
  pg?: string;
  connect?: { host: string; port: number };
  json: boolean;
  range: Range;
  maxFrame: number;
  retryMs: number;
  /** The head-end's clock, unix seconds (default the host's; npm run sim gives the simulated one). */
  now?: () => number;
}

function int(name: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new Usage(`${name}: an integer ${min}..${max}`);
  return Number(v);
}

export type { Options as HeadendOptions };

export function parse(argv: readonly string[]): Options {
  const command = argv[0];
  if (command !== 'serve' && command !== 'summary' && command !== 'query')
    throw new Usage(`unknown command ${command ?? '(none)'}; ${USAGE}`);
  const o: Options = { command, json: false, range: { periodS: PERIOD_S }, maxFrame: 4096, retryMs: 1000 };
  let i = 1;
  if (command === 'query') {
    o.what = argv[1];
    if (!['meters', 'intervals', 'gaps', 'alarms', 'balance'].includes(o.what ?? ''))
      throw new Usage('query: what is meters, intervals, gaps, alarms or balance');
    i = 2;
  }
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    const v = argv[i + 1];
    const value = () => {
      if (v === undefined || v.startsWith('--')) throw new Usage(`${a} needs a value`);
      i++;
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--db') o.db = value();
    else if (a === '--pg') o.pg = value();
    else if (a === '--connect') {
      const m = /^(.+):([0-9]+)$/.exec(value());
      if (!m) throw new Usage('--connect HOST:PORT');
      o.connect = { host: m[1] as string, port: int('--connect port', m[2], 1, 65535) };
    } else if (a === '--meter') {
      const m = value().toUpperCase();
      if (!/^[0-9A-F]{16}$/.test(m)) throw new Usage('--meter: an EUI-64, 16 hex digits');
      o.range.meter = m;
    } else if (a === '--period') o.range.periodS = int('--period', value(), 1, 86400);
    else if (a === '--from') o.range.fromS = int('--from', value(), 0, 0xffffffff);
    else if (a === '--to') o.range.toS = int('--to', value(), 0, 0xffffffff);
    else if (a === '--max-frame') o.maxFrame = int('--max-frame', value(), 64, 65535);
    else if (a === '--retry-ms') o.retryMs = int('--retry-ms', value(), 10, 600000);
    else throw new Usage(`unknown option ${a}`);
  }
  if ((o.db === undefined) === (o.pg === undefined)) throw new Usage('give one of --db FILE or --pg URL');
  if (command === 'serve' && !o.connect) throw new Usage('serve: --connect HOST:PORT is required');
  if (command !== 'serve' && o.connect) throw new Usage('--connect is for serve');
  return o;
}

function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)\n';
  const cols = Object.keys(rows[0] as object);
  const cell = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => `${vals.map((s, k) => s.padEnd(w[k] as number)).join('  ')}\n`;
  return line(cols) + rows.map((r) => line(cols.map((c) => cell(r[c])))).join('');
}

/** Receives from the concentrator until stopped; reconnects when the link drops. */
export function serve(db: Db, o: Options, log: (s: string) => void): { stop(): Promise<void> } {
  const { host, port } = o.connect as { host: string; port: number };
  let socket: Socket | undefined;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let work: Promise<void> = Promise.resolve();
  const open = () => {
    const reader = new FrameReader(o.maxFrame);
    const s = connect({ host, port });
    socket = s;
    s.on('connect', () => {
      log(`connected ${host}:${port}`);
      s.write(encodeFrame(encodeMessage({ type: 'hello' })));
    });
    s.on('data', (chunk: Buffer) => {
      for (const body of reader.push(new Uint8Array(chunk))) {
        work = work.then(async () => {
          const r = await handleBody(db, body, o.now ? o.now() : Date.now() / 1000);
          log(r.line);
          if (r.reply && !s.destroyed) s.write(r.reply);
        });
        work = work.catch((e: unknown) => {
          log(`store failed: ${(e as Error).message}`);
          s.destroy();
        });
      }
    });
    s.on('error', (e) => log(`link: ${e.message}`));
    s.on('close', () => {
      if (stopping) return;
      log(`link down; retry in ${o.retryMs} ms`);
      timer = setTimeout(open, o.retryMs);
    });
  };
  open();
  return {
    stop: async () => {
      stopping = true;
      if (timer) clearTimeout(timer);
      socket?.destroy();
      await work;
    },
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const o = parse(argv);
  const db = o.db !== undefined ? await openSqlite(o.db) : await openPg(o.pg as string);
  const out = (s: string) => process.stdout.write(s);
  if (o.command === 'summary') {
    const s = await summary(db, o.range);
    out(
      o.json
        ? `${JSON.stringify(s)}\n`
        : table(Object.entries(s).map(([k, v]) => ({ field: k, value: typeof v === 'object' && v ? JSON.stringify(v) : v }))),
    );
    await db.close();
    return 0;
  }
  if (o.command === 'query') {
    const rows = await query(db, o.what as 'meters', o.range);
    out(o.json ? `${JSON.stringify(rows)}\n` : table(rows));
    await db.close();
    return 0;
  }
  const server = serve(db, o, (s) => out(`headend: ${s}\n`));
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.stop();
  await db.close();
  out('headend: stopped\n');
  return 0;
}

// run as a command (npm run headend), not when imported (npm run sim serves in its own process)
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`headend: ${e instanceof Usage ? e.message : e instanceof Error ? e.message : String(e)}\n`);
      process.exit(e instanceof Usage ? 2 : 1);
    },
  );
