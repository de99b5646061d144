// No import cycle among the project's source files: every static import, re-export and
// import() of a relative path counts, type-only ones too (a cycle of types is still a seam that
// does not hold). Before the split of the PLC stack's wiring, plc/g3.ts and plc/adp-service.ts
// imported each other.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
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
  const graph = new Map(files.map((f) => [f, imports(f, known)]));
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
