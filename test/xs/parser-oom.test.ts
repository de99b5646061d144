// Trap 1 of XS-ON-CORTEX-M.md: the XS parser must end in a clean error, never a crash nor a
// leak, when memory runs out anywhere in a parse, fxInitializeParser included
// (patches/xs/0001-parser-out-of-memory.patch).
//
// Builds test/xs/parser_oom.c twice with gcc, against the XS sources as shipped
// (build/test/xs/unpatched) and with every patches/xs/*.patch applied (build/test/xs/patched),
// then runs both: for each mode (eval through the machine; the parser driven as tools/xsc does)
// and each failure model (memory stays full after allocation N; only allocation N fails), every
// N from 0 to the number of allocations of one parse, each in a forked child.
// Objects are cached in build/test/xs/obj by the content of their source, of the tree's headers
// and of the flags, so the two variants share every object whose sources are identical.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pins = JSON.parse(readFileSync(join(ROOT, 'tools', 'deps.json'), 'utf8'));
const XS = join(ROOT, 'deps', `xsnap-${pins.xsnap.version}`, 'xs');
const PATCHES = join(ROOT, 'patches', 'xs');
const PLATFORM = join(ROOT, 'hosts', 'common');
const HARNESS = join(ROOT, 'test', 'xs', 'parser_oom.c');
const OUT = join(ROOT, 'build', 'test', 'xs');
const OBJ = join(OUT, 'obj');

// The project's XS defines (tools/build.mjs) with the parser, as tools/xsc is built.
const DEFINES = ['-DINCLUDE_XSPLATFORM', '-DXSPLATFORM="xsplatform.h"', '-DmxRun=1', '-DmxNoConsole=1', '-DmxLockdown=1', '-DmxParse=1'];
const FLAGS = ['-O1', '-g0', '-fno-strict-aliasing', ...DEFINES];
const XS_EXCLUDED = ['xsmc.c', 'xsSnapshot.c', 'xsProfile.c']; // as tools/build.mjs
const WRAP = '-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=fxParseScript';

const sha256 = (...parts: string[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

function run(cmd: string, argv: string[]): Promise<void> {
  return new Promise((resolveP, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveP() : reject(new Error(`${cmd} ${argv.join(' ')}\n${err}`))));
  });
}

async function pool<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker));
  return results;
}

/** A copy of the XS tree as shipped, with the given patches applied in order. */
function sourceTree(name: string, patches: string[]): string {
  const dir = join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  cpSync(XS, dir, { recursive: true });
  for (const p of patches) execFileSync('patch', ['-p1', '-s', '-d', dir, '-i', p], { stdio: ['ignore', 'pipe', 'pipe'] });
  return dir;
}

/** What every object of a tree depends on besides its own source: the headers and the flags. */
function headersKey(tree: string): string {
  const parts: string[] = [FLAGS.join(' ')];
  for (const dir of [join(tree, 'includes'), join(tree, 'sources'), join(tree, 'platforms'), PLATFORM]) {
    for (const f of readdirSync(dir)
      .filter((f) => f.endsWith('.h'))
      .sort())
      parts.push(f, readFileSync(join(dir, f), 'utf8'));
  }
  return sha256(...parts);
}

const compiling = new Map<string, Promise<string>>();

/** Compile tasks of one tree; an object is shared with the other tree when its key matches. */
function objectTasks(tree: string): (() => Promise<string>)[] {
  const includes = [`-I${PLATFORM}`, `-I${join(tree, 'includes')}`, `-I${join(tree, 'sources')}`, `-I${join(tree, 'platforms')}`];
  const headers = headersKey(tree);
  const sources = readdirSync(join(tree, 'sources'))
    .filter((f) => f.endsWith('.c') && !XS_EXCLUDED.includes(f))
    .sort()
    .map((f) => join(tree, 'sources', f));
  sources.push(HARNESS);
  return sources.map((src) => () => {
    const harness = src === HARNESS;
    const key = sha256(headers, harness ? 'harness' : '', src.replace(/.*\//, ''), readFileSync(src, 'latin1'));
    const obj = join(OBJ, `${src.replace(/.*\//, '').replace(/\.c$/, '')}-${key.slice(0, 16)}.o`);
    let p = compiling.get(obj);
    if (!p) {
      p = existsSync(obj)
        ? Promise.resolve(obj)
        : (async () => {
            const tmp = `${obj}.${process.pid}.tmp`;
            await run('gcc', [...FLAGS, ...(harness ? ['-Wall'] : ['-w']), ...includes, '-c', src, '-o', tmp]);
            renameSync(tmp, obj);
            return obj;
          })();
      compiling.set(obj, p);
    }
    return p;
  });
}

type Line = { mode: string; model: string; n: number; how: 'exit' | 'signal'; code: number; detail: string };
type Result = { totals: Map<string, number>; lines: Line[] };

function runHarness(exe: string): Result {
  const text = execFileSync(exe, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  const totals = new Map<string, number>();
  const lines: Line[] = [];
  for (const l of text.split('\n').filter(Boolean)) {
    let m = /^(eval|xsc) (after|once) total (-?\d+)$/.exec(l);
    if (m) {
      totals.set(`${m[1]} ${m[2]}`, Number(m[3]));
      continue;
    }
    m = /^(eval|xsc) (after|once) (\d+) (exit|signal) (\d+) ?(.*)$/.exec(l);
    assert.ok(m, `unexpected harness output: ${l}`);
    lines.push({ mode: m[1]!, model: m[2]!, n: Number(m[3]), how: m[4] as 'exit' | 'signal', code: Number(m[5]), detail: m[6]! });
  }
  return { totals, lines };
}

const SWEEPS = ['eval after', 'eval once', 'xsc after', 'xsc once'];

describe('XS parser: out of memory (patches/xs/0001-parser-out-of-memory.patch)', function () {
  this.timeout(180_000);
  let unpatched: Result;
  let patched: Result;

  before(async () => {
    const patches = readdirSync(PATCHES)
      .filter((f) => f.endsWith('.patch'))
      .sort()
      .map((f) => join(PATCHES, f));
    assert.ok(
      patches.some((p) => p.endsWith('0001-parser-out-of-memory.patch')),
      'the patch is missing',
    );
    mkdirSync(OBJ, { recursive: true });
    const trees = { unpatched: sourceTree('unpatched', []), patched: sourceTree('patched', patches) };
    const tasks = { unpatched: objectTasks(trees.unpatched), patched: objectTasks(trees.patched) };
    const all = await pool([...tasks.unpatched, ...tasks.patched], cpus().length);
    const objs = { unpatched: all.slice(0, tasks.unpatched.length), patched: all.slice(tasks.unpatched.length) };
    const exes: Record<string, string> = {};
    for (const v of ['unpatched', 'patched'] as const) {
      exes[v] = join(OUT, `parser_oom-${v}`);
      await run('gcc', ['-o', exes[v]!, ...objs[v], WRAP, '-lm']);
    }
    unpatched = runHarness(exes.unpatched!);
    patched = runHarness(exes.patched!);
  });

  it('sweeps every allocation of a parse, in both builds', () => {
    for (const r of [unpatched, patched]) {
      for (const s of SWEEPS) {
        const total = r.totals.get(s);
        assert.ok(total !== undefined && total > 100, `${s}: calibration gave ${total} allocations`);
        const ns = r.lines.filter((l) => `${l.mode} ${l.model}` === s).map((l) => l.n);
        assert.deepEqual(
          ns,
          Array.from({ length: total + 1 }, (_, i) => i),
          `${s}: every N from 0 to ${total}`,
        );
      }
    }
  });

  it('without the patch, XS crashes for some N (so this test sees the bug)', () => {
    const crashes = unpatched.lines.filter((l) => l.how === 'signal');
    assert.ok(crashes.length > 0, 'the unpatched parser never crashed');
    // fxInitializeParser's allocations (N = 0 is the symbol table) crash in every sweep
    for (const s of SWEEPS) {
      assert.ok(
        crashes.some((l) => `${l.mode} ${l.model}` === s && l.n === 0),
        `${s}: no crash at N = 0`,
      );
    }
  });

  it('with the patch, every N ends in a clean error, frees everything and the parser works again', () => {
    const bad = patched.lines.filter((l) => l.how !== 'exit' || l.code !== 0);
    assert.deepEqual(
      bad.map((l) => `${l.mode} ${l.model} ${l.n} ${l.how} ${l.code} ${l.detail}`),
      [],
    );
    for (const l of patched.lines) {
      assert.match(l.detail, /\| leaks 0 \| after ok$/, `${l.mode} ${l.model} ${l.n}: ${l.detail}`);
      const total = patched.totals.get(`${l.mode} ${l.model}`)!;
      if (l.n === total) assert.match(l.detail, /^ok \|/, `${l.mode} ${l.model} ${l.n}: memory enough for the whole parse`);
      else if (l.mode === 'eval') assert.match(l.detail, /^error (RangeError|SyntaxError)\b/, `eval ${l.model} ${l.n}: ${l.detail}`);
      else
        assert.match(
          l.detail,
          /^error [1-9]\d* error\(s\)|^error 0 error\(s\), 0 reported, script NULL/,
          `xsc ${l.model} ${l.n}: ${l.detail}`,
        );
    }
    // XS's own out-of-memory report still reaches the script where memory allows it
    assert.ok(patched.lines.some((l) => l.mode === 'eval' && /^error RangeError: heap overflow/.test(l.detail)));
  });
});
