#!/usr/bin/env node
// Bench runner: runs every section in bench/sections/*.mjs, prints each as its own table and
// writes bench/report.json. A section module's default export is
//   { name, title, order?, topLevel?, columns: [{ header, value(row), align?, key? }],
//     run(ctx) -> Promise<row[]> }
// Rows are plain JSON objects; a row with an `error` is printed as an error and makes the run
// exit non-zero (after everything else has been measured). `topLevel` sections are written to
// report[name] (the firmware table: report.firmware), the others to report.sections[name].
//
//   node bench/run.mjs [--only firmware,...] [--platform lin,...] [--role meter,...]
//                      [--lin-runs 5] [--board-runs 2] [--jobs 2] [--ready-timeout 20000]
//                      [--out bench/report.json] [--quiet]
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import { formatTable, machine } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const PLATFORMS = ['lin', 'mps2-an386', 'stm32f405'];
const ROLES = ['meter', 'concentrator'];

function usage(message) {
  if (message) process.stderr.write(`bench: ${message}\n`);
  process.stderr.write(
    'usage: node bench/run.mjs [--only SECTION,...] [--platform P,...] [--role R,...]\n' +
      '         [--lin-runs N] [--board-runs N] [--jobs N] [--ready-timeout MS] [--out FILE] [--quiet] [--merge]\n' +
      `  platforms: ${PLATFORMS.join(', ')}; roles: ${ROLES.join(', ')}\n`,
  );
  process.exit(message ? 2 : 0);
}

function parseArgs(argv) {
  const o = {
    only: null,
    platforms: PLATFORMS,
    roles: ROLES,
    linRuns: 5,
    boardRuns: 2,
    jobs: 2,
    readyTimeout: 20000,
    out: join(HERE, 'report.json'),
    quiet: false,
    merge: false,
  };
  const list = (v, allowed, what) => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const it of items) if (allowed && !allowed.includes(it)) usage(`unknown ${what} '${it}'`);
    if (items.length === 0) usage(`empty ${what} list`);
    return items;
  };
  const int = (v, name, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) usage(`${name} wants an integer >= ${min}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) usage(`${flag} wants a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--only':
        o.only = list(value(), null, 'section');
        break;
      case '--platform':
        o.platforms = list(value(), PLATFORMS, 'platform');
        break;
      case '--role':
        o.roles = list(value(), ROLES, 'role');
        break;
      case '--lin-runs':
        o.linRuns = int(value(), flag, 1);
        break;
      case '--board-runs':
        o.boardRuns = int(value(), flag, 1);
        break;
      case '--jobs':
        o.jobs = int(value(), flag, 1);
        break;
      case '--ready-timeout':
        o.readyTimeout = int(value(), flag, 1);
        break;
      case '--out':
        o.out = resolve(value());
        break;
      case '--quiet':
        o.quiet = true;
        break;
      case '--merge':
        o.merge = true;
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown argument '${a}'`);
    }
  }
  return o;
}

async function loadSections() {
  const dir = join(HERE, 'sections');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .sort();
  const sections = [];
  for (const f of files) {
    const s = (await import(pathToFileURL(join(dir, f)).href)).default;
    if (!s || typeof s.name !== 'string' || typeof s.run !== 'function' || !Array.isArray(s.columns)) {
      throw new Error(`bench/sections/${f}: default export must be { name, title, columns, run(ctx) }`);
    }
    sections.push(s);
  }
  return sections.sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  register();
  const harness = await import(pathToFileURL(join(ROOT, 'emulator', 'node.ts')).href);
  let sections = await loadSections();
  if (opts.only) {
    for (const name of opts.only) {
      if (!sections.some((s) => s.name === name)) usage(`unknown section '${name}' (have: ${sections.map((s) => s.name).join(', ')})`);
    }
    sections = sections.filter((s) => opts.only.includes(s.name));
  }
  // a section marked explicit runs only when named with --only (none is today)
  else sections = sections.filter((s) => !s.explicit);

  const started = Date.now();
  const ctx = {
    root: ROOT,
    harness,
    platforms: opts.platforms,
    roles: opts.roles,
    linRuns: opts.linRuns,
    boardRuns: opts.boardRuns,
    jobs: opts.jobs,
    readyTimeout: opts.readyTimeout,
    log: (msg) => {
      if (!opts.quiet) process.stderr.write(`bench: ${msg}\n`);
    },
  };
  const report = {
    generated: new Date().toISOString(),
    machine: machine(),
    options: { platforms: opts.platforms, roles: opts.roles, linRuns: opts.linRuns, boardRuns: opts.boardRuns, jobs: opts.jobs },
    firmware: [],
    sections: {},
    errors: [],
    durationMs: 0,
  };

  const printed = [];
  for (const section of sections) {
    let rows;
    try {
      rows = await section.run(ctx);
    } catch (e) {
      report.errors.push({ section: section.name, error: e.stack ?? String(e) });
      printed.push(`${section.title ?? section.name}\nERROR: section failed: ${e.stack ?? e}`);
      if (section.topLevel) report[section.name] = [];
      else report.sections[section.name] = { title: section.title ?? section.name, rows: [], error: String(e.message ?? e) };
      continue;
    }
    if (section.topLevel) report[section.name] = rows;
    else report.sections[section.name] = { title: section.title ?? section.name, rows };
    const lines = [formatTable(section.title ?? section.name, section.columns, rows)];
    const keyOf = (r) =>
      section.columns
        .filter((c) => c.key)
        .map((c) => c.value(r))
        .join('/');
    for (const r of rows) {
      for (const n of r.notes ?? []) lines.push(`  note ${keyOf(r)}: ${n}`);
    }
    for (const r of rows.filter((r) => r.error)) {
      lines.push(`  error ${keyOf(r)}:\n${String(r.error).replace(/^/gm, '    ')}`);
      report.errors.push({ section: section.name, row: keyOf(r), error: r.error });
    }
    printed.push(lines.join('\n'));
  }
  report.durationMs = Date.now() - started;

  // --merge (with --only): the sections just measured replace theirs in the existing report,
  // each stamped with when it was measured; the rest of the report stays as it was
  let written = report;
  if (opts.merge) {
    if (!opts.only || !existsSync(opts.out)) usage('--merge wants --only and an existing report to merge into');
    written = JSON.parse(readFileSync(opts.out, 'utf8'));
    for (const s of sections) {
      if (s.topLevel) usage(`--merge: section ${s.name} is the report's own table; run it in a full bench`);
      written.sections[s.name] = { ...report.sections[s.name], generated: report.generated };
      written.errors = written.errors.filter((e) => e.section !== s.name).concat(report.errors.filter((e) => e.section === s.name));
    }
  }
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(written, null, 2) + '\n');
  const m = report.machine;
  process.stdout.write(
    `bench ${report.generated}: node ${m.node}, ${m.cpus} cpus (${m.cpuModel}), ${m.qemu ?? 'no qemu'}\n` +
      `  gcc: ${m.gcc.host ?? 'none'}; arm: ${m.gcc.arm ?? 'none'}\n\n`,
  );
  process.stdout.write(printed.join('\n\n') + '\n\n');
  process.stdout.write(
    `report: ${opts.out} (${(report.durationMs / 1000).toFixed(1)} s)` +
      (report.errors.length ? `, ${report.errors.length} error(s)` : '') +
      '\n',
  );
  // a full run with the default output is the project's report: docs/figures.md follows it
  const full = (!opts.only || opts.merge) && opts.platforms === PLATFORMS && opts.roles === ROLES && opts.out === join(HERE, 'report.json');
  if (full) {
    const { render } = await import(pathToFileURL(join(ROOT, 'tools', 'figures.mjs')).href);
    writeFileSync(join(ROOT, 'docs', 'figures.md'), await render(written, 'bench/report.json'));
    process.stdout.write('figures: wrote docs/figures.md\n');
  }
  process.exitCode = report.errors.length ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exitCode = 1;
});
