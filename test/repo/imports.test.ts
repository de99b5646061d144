// No import cycle among the project's source files: every static import, re-export and
// import() of a relative path counts, type-only ones too (a cycle of types is still a seam that
// does not hold). Before the split of the PLC stack's wiring, plc/g3.ts and plc/adp-service.ts
// imported each other. C: no #include cycle among the headers of hosts/ and drivers/, and no
// call cycle among a host's own files (hosts/lin/board.c and simclock.c called each other).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../../emulator/node.js';

const SOURCE = /\.(ts|mts|mjs)$/;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(resolve(p));
  }
  return out;
}

/** Relative specifiers a file imports, re-exports or import()s, resolved to files of `known`. */
function imports(file: string, known: Set<string>): string[] {
  const text = readFileSync(file, 'utf8');
  const found = new Set<string>();
  const add = (spec: string) => {
    const base = resolve(dirname(file), spec);
    for (const c of [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`]) {
      if (known.has(c)) {
        found.add(c);
        return;
      }
    }
  };
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gms)) add(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) add(m[1]!);
  return [...found];
}

function importCycles(root: string, dirs: string[]): string[][] {
  const files = dirs.flatMap((d) => sources(join(root, d)));
  const known = new Set(files);
  return cycles(root, new Map(files.map((f) => [f, imports(f, known)])));
}

// ---- C: hosts/ and drivers/ ----

const C_SOURCE = /\.[ch]$/;

function cSources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) cSources(p, out);
    else if (C_SOURCE.test(name)) out.push(resolve(p));
  }
  return out;
}

/** Comments and string literals blanked (a name in them is no reference). */
const cCode = (file: string): string =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ')
    .replace(/"(?:\\.|[^"\\])*"/g, '""');

/**
 * `#include "x.h"` cycles among the headers of hosts/ and drivers/: a header resolves to the one
 * beside the includer, else to the only header of that name (the build puts every driver and host
 * folder on the include path).
 */
function includeCycles(root: string): string[][] {
  const files = ['hosts', 'drivers'].flatMap((d) => cSources(join(root, d))).filter((f) => f.endsWith('.h'));
  const byName = new Map<string, string[]>();
  for (const f of files) byName.set(basename(f), [...(byName.get(basename(f)) ?? []), f]);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const to: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      const near = resolve(dirname(f), m[1]!);
      const named = byName.get(basename(m[1]!)) ?? [];
      if (files.includes(near)) to.push(near);
      else if (named.length === 1) to.push(named[0]!);
    }
    graph.set(f, to);
  }
  return cycles(root, graph);
}

/**
 * Call cycles among one host's own C files (hosts/<platform>/*.c): file A depends on file B when
 * A calls a function B defines (non-static, defined in B only). Before the simulated clock took
 * its modem writer as a callback, hosts/lin/board.c and hosts/lin/simclock.c called each other.
 */
function hostCallCycles(root: string, dir: string): string[][] {
  const files = readdirSync(join(root, dir))
    .filter((n) => n.endsWith('.c'))
    .map((n) => resolve(root, dir, n));
  const code = new Map(files.map((f) => [f, cCode(f)]));
  const defined = new Map<string, string[]>();
  for (const [f, t] of code)
    for (const m of t.matchAll(/^(?!static\b)[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\([^;{}]*\)\s*\n\{/gm))
      defined.set(m[1]!, [...(defined.get(m[1]!) ?? []), f]);
  const graph = new Map<string, string[]>();
  for (const [f, t] of code) {
    const to = new Set<string>();
    for (const m of t.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
      const d = defined.get(m[1]!);
      if (d?.length === 1 && d[0] !== f) to.add(d[0]!);
    }
    graph.set(f, [...to]);
  }
  return cycles(root, graph);
}

function cycles(root: string, graph: Map<string, string[]>): string[][] {
  const files = [...graph.keys()];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, 1);
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((p) => relative(root, p)));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

describe('imports', () => {
  it('no cycle among modules/, emulator/, tools/, bench/ and fuzz/', () => {
    const cycles = importCycles(ROOT, ['modules', 'emulator', 'tools', 'bench', 'fuzz']);
    assert.deepEqual(
      cycles.map((c) => c.join(' -> ')),
      [],
    );
  });

  it('no #include cycle among the headers of hosts/ and drivers/', () => {
    assert.deepEqual(
      includeCycles(ROOT).map((c) => c.join(' -> ')),
      [],
    );
  });

  it("no call cycle among a host's own C files", () => {
    const hosts = readdirSync(join(ROOT, 'hosts')).filter((d) => statSync(join(ROOT, 'hosts', d)).isDirectory());
    assert.deepEqual(
      hosts.flatMap((h) => hostCallCycles(ROOT, join('hosts', h)).map((c) => c.join(' -> '))),
      [],
    );
  });

  it('the C finders see a call cycle and an include cycle', () => {
    const root = mkdtempSync(join(tmpdir(), 'imports-c-'));
    try {
      mkdirSync(join(root, 'hosts', 'lin'), { recursive: true });
      mkdirSync(join(root, 'drivers', 'x'), { recursive: true });
      writeFileSync(join(root, 'hosts', 'lin', 'board.c'), 'void uart_write(void)\n{\n}\nint main(void)\n{\n\tclock_tick();\n}\n');
      writeFileSync(join(root, 'hosts', 'lin', 'simclock.c'), '/* uart_write() */\nvoid clock_tick(void)\n{\n\tuart_write();\n}\n');
      assert.deepEqual(hostCallCycles(root, 'hosts/lin'), [['hosts/lin/board.c', 'hosts/lin/simclock.c', 'hosts/lin/board.c']]);
      writeFileSync(join(root, 'hosts', 'lin', 'simclock.c'), 'void clock_tick(void)\n{\n}\n');
      assert.deepEqual(hostCallCycles(root, 'hosts/lin'), []);
      writeFileSync(join(root, 'drivers', 'x', 'a.h'), '#include "b.h"\n');
      writeFileSync(join(root, 'hosts', 'lin', 'b.h'), '#include "a.h"\n');
      assert.deepEqual(includeCycles(root), [['hosts/lin/b.h', 'drivers/x/a.h', 'hosts/lin/b.h']]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the finder sees a cycle through a type-only import and through import()', () => {
    const root = mkdtempSync(join(tmpdir(), 'imports-'));
    try {
      mkdirSync(join(root, 'm', 'plc'), { recursive: true });
      writeFileSync(join(root, 'm', 'plc', 'adp-service.ts'), "import type { G3Stack } from './g3.js';\nexport const a = 1;\n");
      writeFileSync(join(root, 'm', 'plc', 'g3.ts'), "export async function f() { return import('./adp-service.js'); }\n");
      writeFileSync(join(root, 'm', 'plc', 'main.ts'), "import { f } from './g3.js';\nvoid f();\n");
      assert.deepEqual(importCycles(root, ['m']), [['m/plc/adp-service.ts', 'm/plc/g3.ts', 'm/plc/adp-service.ts']]);
      writeFileSync(join(root, 'm', 'plc', 'g3.ts'), 'export const g = 1;\n');
      assert.deepEqual(importCycles(root, ['m']), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
