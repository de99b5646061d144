// npm run fuzz -- <target> [--time <s>] [--runs <n>] [--seed <n>]   run one target
// npm run fuzz -- --list                                             list the targets
// npm run fuzz -- <target> --replay                                  replay its saved corpus only
// npm run fuzz -- --write-seeds                                      (re)write the committed seed inputs
// Native targets are built here with clang and libFuzzer, ASan and UBSan (build/fuzz/<target>);
// TypeScript targets run under fast-check in a worker thread with a per-input time bound and a
// heap bound. Every input that crashed, hung or ran out of memory is written to
// fuzz/corpus/<target>/ (docs/fuzzing.md); the working corpus of a native run lives in
// build/fuzz/<target>/corpus and is not committed.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TARGETS, target, type NativeTarget, type Target, type TsTarget } from './targets.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = join(ROOT, 'build', 'fuzz');
/** Per-input time bound of the TypeScript targets (a hang past it is saved as hang-*). */
export const SLOW_MS = 500;
/** The worker's heap bound (an input that exhausts it is saved as oom-*). */
export const HEAP_MB = 256;
/** Time a worker may take to load its target before its first input. */
const STARTUP_MS = 30000;
/** libFuzzer bounds: a single input's time (s) and the process's memory (MB). */
const LIBFUZZER_TIMEOUT_S = 2;
const LIBFUZZER_RSS_MB = 1024;

export function corpusDir(name: string): string {
  return join(ROOT, 'fuzz', 'corpus', name);
}

/** The saved inputs of a target: a file per input, `.hex` as hex text, anything else as binary. */
export function savedInputs(name: string): { file: string; bytes: Uint8Array }[] {
  const dir = corpusDir(name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && f !== 'README.md')
    .sort()
    .map((f) => {
      const raw = readFileSync(join(dir, f));
      const bytes = f.endsWith('.hex')
        ? Uint8Array.from(raw.toString('latin1').replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16))
        : new Uint8Array(raw);
      return { file: f, bytes };
    });
}

function save(name: string, kind: string, bytes: Uint8Array): string {
  mkdirSync(corpusDir(name), { recursive: true });
  const file = join(corpusDir(name), `${kind}-${createHash('sha1').update(bytes).digest('hex').slice(0, 16)}.hex`);
  writeFileSync(file, Buffer.from(bytes).toString('hex') + '\n');
  return file;
}

export interface RunResult {
  target: string;
  executions: number;
  seconds: number;
  execPerSec: number;
  coverage?: string;
  failures: { kind: string; file?: string; error: string }[];
  log: string;
}

// ---- native ----

export function buildNative(t: NativeTarget): string {
  mkdirSync(join(BUILD, t.name), { recursive: true });
  const out = join(BUILD, t.name, t.name);
  const sources = [join(ROOT, 'fuzz', 'native', `${t.name}.c`), ...t.sources.map((s) => join(ROOT, s))];
  const flags = [
    '-g',
    '-O1',
    '-fno-omit-frame-pointer',
    '-fsanitize=fuzzer,address,undefined',
    '-fno-sanitize-recover=all',
    ...t.includes.map((i) => `-I${join(ROOT, i)}`),
    ...(t.defines ?? []).map((d) => `-D${d}`),
  ];
  // rebuilt when the flags or a source or header it may include changed
  const h = createHash('sha1').update(flags.join(' '));
  for (const f of [
    ...sources,
    ...t.includes.flatMap((i) =>
      readdirSync(join(ROOT, i))
        .filter((n) => n.endsWith('.h'))
        .map((n) => join(ROOT, i, n)),
    ),
  ]) {
    h.update(f).update(readFileSync(f));
  }
  const stamp = join(BUILD, t.name, 'build.sha1'),
    digest = h.digest('hex');
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return out;
  const cc = ['clang', 'clang-14'].find((c) => {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!cc) throw new Error("clang not found: npm install (tools/setup.mjs) installs Debian's clang and libclang-rt-14-dev");
  execFileSync(cc, [...flags, '-o', out, ...sources, '-lm'], { stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(stamp, digest);
  return out;
}

function seedDir(t: NativeTarget): string {
  const dir = join(BUILD, t.name, 'seeds');
  mkdirSync(dir, { recursive: true });
  t.seeds().forEach((s, i) => {
    writeFileSync(join(dir, `seed-${i}`), s);
  });
  return dir;
}

function runProcess(cmd: string, args: string[]): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' },
    });
    let log = '';
    child.stdout.on('data', (d) => {
      log += d;
    });
    child.stderr.on('data', (d) => {
      log += d;
    });
    child.on('close', (code) => resolve({ code, log }));
  });
}

async function runNative(t: NativeTarget, o: { timeS?: number; runs?: number; seed: number; replayOnly?: boolean }): Promise<RunResult> {
  const bin = buildNative(t);
  const saved = savedInputs(t.name);
  const failures: RunResult['failures'] = [];
  // the saved corpus first: each input once
  const tmp = join(BUILD, t.name, 'replay');
  mkdirSync(tmp, { recursive: true });
  for (const s of saved) writeFileSync(join(tmp, s.file), s.bytes);
  let log = '';
  if (saved.length) {
    const r = await runProcess(bin, [
      `-timeout=${LIBFUZZER_TIMEOUT_S}`,
      `-rss_limit_mb=${LIBFUZZER_RSS_MB}`,
      ...saved.map((s) => join(tmp, s.file)),
    ]);
    log += r.log;
    if (r.code !== 0)
      failures.push({
        kind: 'replay',
        error:
          r.log
            .split('\n')
            .filter((l) => /ERROR|SUMMARY|runtime error/.test(l))
            .join('\n') || `exit ${r.code}`,
      });
  }
  if (o.replayOnly) return { target: t.name, executions: saved.length, seconds: 0, execPerSec: 0, failures, log };
  const work = join(BUILD, t.name, 'corpus');
  mkdirSync(work, { recursive: true });
  mkdirSync(corpusDir(t.name), { recursive: true });
  const args = [
    `-seed=${o.seed}`,
    `-timeout=${LIBFUZZER_TIMEOUT_S}`,
    `-rss_limit_mb=${LIBFUZZER_RSS_MB}`,
    `-malloc_limit_mb=${LIBFUZZER_RSS_MB}`,
    '-print_final_stats=1',
    '-max_len=2048',
    `-artifact_prefix=${corpusDir(t.name)}/`,
  ];
  if (o.runs !== undefined) args.push(`-runs=${o.runs}`);
  if (o.timeS !== undefined) args.push(`-max_total_time=${Math.max(1, Math.round(o.timeS))}`);
  const t0 = Date.now();
  const r = await runProcess(bin, [...args, work, seedDir(t)]);
  const seconds = (Date.now() - t0) / 1000;
  log += r.log;
  const execs = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(r.log)?.[1] ?? 0);
  const cov = [...r.log.matchAll(/#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/g)].pop();
  if (r.code !== 0) {
    const art = /Test unit written to (\S+)/.exec(r.log)?.[1];
    failures.push({
      kind: 'crash',
      file: art,
      error:
        r.log
          .split('\n')
          .filter((l) => /ERROR|SUMMARY|runtime error|ALARM|out-of-memory/.test(l))
          .join('\n') || `exit ${r.code}`,
    });
  }
  return {
    target: t.name,
    executions: execs,
    seconds,
    execPerSec: execs / seconds,
    coverage: cov ? `cov ${cov[2]} edges, ft ${cov[3]} features, corpus ${cov[4]} inputs` : undefined,
    failures,
    log,
  };
}

// ---- TypeScript ----

function runWorker(t: TsTarget, job: { runs: number; timeMs: number; seed: number; replay?: Uint8Array[] }): Promise<RunResult> {
  const shared = new SharedArrayBuffer(16 + 65536);
  const state = new Int32Array(shared, 0, 4);
  const replayed = (): number => job.replay?.length ?? 0;
  const current = (): Uint8Array => new Uint8Array(shared, 16, Math.min(Atomics.load(state, 1), 65536)).slice();
  const t0 = Date.now();
  return new Promise((resolve) => {
    const w = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { name: t.name, ...job, slowMs: SLOW_MS, shared },
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
    });
    let last = -1,
      lastMove = Date.now(),
      settled = false;
    const finish = (r: Omit<RunResult, 'target' | 'seconds' | 'execPerSec' | 'log'> & { log?: string }) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      const seconds = (Date.now() - t0) / 1000;
      resolve({ target: t.name, seconds, execPerSec: r.executions / seconds, log: r.log ?? '', ...r });
    };
    const watch = setInterval(() => {
      const n = Atomics.load(state, 0);
      if (n !== last) {
        last = n;
        lastMove = Date.now();
        return;
      }
      // before the first input the worker is still loading (bounded separately)
      if (n === 0 ? Date.now() - lastMove > STARTUP_MS : Date.now() - lastMove > Math.max(4 * SLOW_MS, 2000)) {
        const input = current();
        void w.terminate();
        if (n === 0) return finish({ executions: 0, failures: [{ kind: 'crash', error: `worker did not start within ${STARTUP_MS} ms` }] });
        finish({
          executions: n,
          failures: [
            {
              kind: 'hang',
              file: n <= replayed() ? undefined : save(t.name, 'hang', input),
              error: `no progress for ${Date.now() - lastMove} ms on a ${input.length}-byte input`,
            },
          ],
        });
      }
    }, 250);
    w.on('message', (m: { executions: number; heap?: number; failures: { input: Uint8Array; error: string; fresh?: boolean }[] }) => {
      const slow = (e: string) => /^Error: slow input|slow input:/.test(e);
      finish({
        executions: m.executions,
        log: m.heap ? `heap ${(m.heap / 1048576).toFixed(1)} MB at the end\n` : '',
        failures: m.failures.map((f) => ({
          kind: slow(f.error) ? 'hang' : 'crash',
          file: f.fresh ? save(t.name, slow(f.error) ? 'hang' : 'crash', f.input) : undefined,
          error: f.error.split('\n').slice(0, 6).join('\n'),
        })),
      });
      void w.terminate();
    });
    w.on('error', (e: Error & { code?: string }) => {
      const input = current();
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish({
        executions: Atomics.load(state, 0),
        failures: [
          {
            kind: oom ? 'oom' : 'crash',
            file: Atomics.load(state, 0) <= replayed() ? undefined : save(t.name, oom ? 'oom' : 'crash', input),
            error: String(e.stack ?? e),
          },
        ],
      });
    });
    w.on('exit', () =>
      finish({ executions: Atomics.load(state, 0), failures: [{ kind: 'crash', error: 'worker exited without a result' }] }),
    );
  });
}

export async function runTarget(
  t: Target,
  o: { timeS?: number; runs?: number; seed?: number; replayOnly?: boolean } = {},
): Promise<RunResult> {
  const seed = o.seed ?? Date.now() & 0x7fffffff;
  if (t.kind === 'native') return runNative(t, { ...o, seed });
  const replay = savedInputs(t.name).map((s) => s.bytes);
  const runs = o.replayOnly ? 0 : (o.runs ?? Number.MAX_SAFE_INTEGER);
  const timeMs = o.timeS !== undefined ? o.timeS * 1000 : o.runs !== undefined ? 0 : 10000;
  const r = await runWorker(t, { runs, timeMs, seed, replay });
  return { ...r, log: `seed ${seed}\n${r.log}` };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--write-seeds')) {
    // the small committed seed set: the first few seeds of every target
    for (const t of TARGETS)
      t.seeds()
        .slice(0, 4)
        .forEach((b, i) => {
          mkdirSync(corpusDir(t.name), { recursive: true });
          writeFileSync(join(corpusDir(t.name), `seed-${i}.hex`), Buffer.from(b).toString('hex') + '\n');
        });
    return 0;
  }
  if (argv.includes('--list')) {
    for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(14)} ${t.kind.padEnd(7)} ${t.what}\n`);
    return 0;
  }
  const name = argv.find((a, i) => !a.startsWith('--') && !/^--(time|runs|seed)$/.test(argv[i - 1] ?? ''));
  if (!name) {
    process.stderr.write('usage: npm run fuzz -- <target> [--time <s>] [--runs <n>] [--seed <n>] [--replay] | --list\n');
    return 2;
  }
  const opt = (k: string): number | undefined => {
    const i = argv.indexOf(k);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const t = target(name);
  const r = await runTarget(t, { timeS: opt('--time'), runs: opt('--runs'), seed: opt('--seed'), replayOnly: argv.includes('--replay') });
  if (argv.includes('--verbose')) process.stdout.write(r.log);
  process.stdout.write(
    `fuzz ${r.target}: ${r.executions} executions in ${r.seconds.toFixed(1)} s, ${Math.round(r.execPerSec)} exec/s` +
      `${r.coverage ? `, ${r.coverage}` : t.kind === 'ts' ? ', coverage: not reported by fast-check' : ''}, saved corpus ${savedInputs(t.name).length} inputs\n`,
  );
  for (const f of r.failures) process.stdout.write(`FAIL ${f.kind}${f.file ? ` (saved ${f.file})` : ''}\n${f.error}\n`);
  return r.failures.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (c) => {
      process.exitCode = c;
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}
