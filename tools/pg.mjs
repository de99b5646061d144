#!/usr/bin/env node
// A private PostgreSQL server for the head-end (docs/headend.md), from the Debian server
// package's binaries (/usr/lib/postgresql/<version>/bin):
//   node tools/pg.mjs start --port P --dir D   initdb in D (first time), pg_ctl start on
//                                              127.0.0.1:P with its unix socket in D; prints
//                                              one line "pg: running url=postgresql://..."
//   node tools/pg.mjs stop --dir D             pg_ctl stop (fast)
// PostgreSQL refuses to run as root: when run as root, the server runs as the user named by
// PG_USER (default "postgres", which Debian's package creates) and D is handed to that user.
// Exit status 2 with one line on a bad command line; 1 when the server cannot start.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function fail(code, msg) {
  process.stderr.write(`pg: ${msg}\n`);
  process.exit(code);
}

export function pgBin() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(`${base}/${v}/bin/pg_ctl`))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? `${base}/${versions[0]}/bin` : undefined;
}

function parse(argv) {
  const [command, ...rest] = argv;
  if (command !== 'start' && command !== 'stop')
    fail(2, `unknown command ${command ?? '(none)'}; usage: pg.mjs start --port P --dir D | stop --dir D`);
  const o = { command };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const v = rest[i + 1];
    if (v === undefined || v.startsWith('--')) fail(2, `${a} needs a value`);
    i++;
    if (a === '--port') {
      if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 65535) fail(2, '--port: 1..65535');
      o.port = Number(v);
    } else if (a === '--dir') o.dir = resolve(v);
    else fail(2, `unknown option ${a}`);
  }
  if (!o.dir) fail(2, '--dir D is required');
  if (command === 'start' && !o.port) fail(2, 'start: --port P is required');
  return o;
}

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const user = process.env.PG_USER ?? 'postgres';

function run(bin, args) {
  const cmd = root ? 'runuser' : bin;
  const argv = root ? ['-u', user, '--', bin, ...args] : args;
  return spawnSync(cmd, argv, { encoding: 'utf8' });
}

function main() {
  const o = parse(process.argv.slice(2));
  const bin = pgBin();
  if (!bin) fail(1, 'no PostgreSQL server in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)');
  if (o.command === 'stop') {
    const r = run(`${bin}/pg_ctl`, ['-D', o.dir, '-m', 'fast', '-w', 'stop']);
    if (r.status !== 0) fail(1, `pg_ctl stop: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    process.stdout.write(`pg: stopped ${o.dir}\n`);
    return;
  }
  mkdirSync(o.dir, { recursive: true });
  if (root) {
    const ids = execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim();
    chownSync(o.dir, Number(ids), Number(gid));
  }
  if (!existsSync(`${o.dir}/PG_VERSION`)) {
    const r = run(`${bin}/initdb`, ['-D', o.dir, '-U', 'meterfw', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    if (r.status !== 0) fail(1, `initdb: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  }
  const r = run(`${bin}/pg_ctl`, [
    '-D',
    o.dir,
    '-l',
    `${o.dir}/server.log`,
    '-w',
    '-o',
    `-p ${o.port} -k ${o.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  if (r.status !== 0) fail(1, `pg_ctl start: ${(r.stderr || r.stdout).trim().split('\n').pop()} (log: ${o.dir}/server.log)`);
  process.stdout.write(`pg: running url=postgresql://meterfw@127.0.0.1:${o.port}/postgres dir=${o.dir}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
