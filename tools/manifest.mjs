// Reads manifest.json in Moddable's shape for one role and platform: "include" pulls in other
// manifests, "platforms" entries override for the platform being built, "defines" become C
// macros, "config" a frozen config object (module mc/config), "creation" the XS machine sizes.
// Every driver folder's fragment (drivers/<name>/manifest.json: its C, include paths, defines,
// TypeScript binding, per-platform C in a subfolder) is read too, as GENERIC's (docs/drivers.md).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';

const PARTS = ['generic', 'legal', 'plc', 'nonlegal'];

function isObject(v) {
  return v && typeof v === 'object' && !Array.isArray(v);
}
export function merge(into, from) {
  for (const [k, v] of Object.entries(from)) {
    if (Array.isArray(v)) into[k] = [...(Array.isArray(into[k]) ? into[k] : []), ...v];
    else if (isObject(v)) into[k] = merge(isObject(into[k]) ? into[k] : {}, v);
    else into[k] = v;
  }
  return into;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${e.message}`);
  }
}

// Overrides for this platform; "..." applies to every platform not listed.
function forPlatform(m, platform) {
  const { platforms, ...rest } = m;
  if (!platforms) return rest;
  const o = platforms[platform] ?? platforms['...'];
  return o ? merge(rest, forPlatform(o, platform)) : rest;
}

// modules: file patterns ("*.ts", "sub/*.ts", "file.ts") whose specifier is their path under
// modules/ (under the repository for a driver's binding: "drivers/nvram/nvram"), and objects mapping an explicit specifier to a file ({ "timer": "./timer.ts" }).
function expandModules(_root, dir, patterns) {
  const out = [];
  const named = new Map();
  for (const p of patterns)
    if (p && typeof p === 'object') for (const [spec, file] of Object.entries(p)) named.set(resolve(dir, file), spec);
  for (const p of patterns) {
    if (typeof p !== 'string') continue;
    if (p.endsWith('*.ts') || p === '*') {
      const sub = join(dir, dirname(p) === '.' ? '' : dirname(p));
      for (const f of readdirSync(sub).sort()) {
        if (f.endsWith('.ts') && !f.endsWith('.d.ts') && statSync(join(sub, f)).isFile()) out.push(join(sub, f));
      }
    } else out.push(join(dir, p));
  }
  return [...new Set(out)]
    .map((file) => ({ file, specifier: named.get(resolve(file)) }))
    .concat([...named].filter(([file]) => !out.some((f) => resolve(f) === file)).map(([file, specifier]) => ({ file, specifier })));
}

export function loadManifest(root, role, platform) {
  const modulesRoot = join(root, 'modules');
  const driversRoot = join(root, 'drivers');
  const seen = new Set();
  const result = { modules: [], c: [], includeDirs: [], defines: {}, config: {}, creation: {}, parts: {}, headers: {} };
  function visit(file, inherited) {
    const abs = resolve(file);
    if (seen.has(abs)) return;
    seen.add(abs);
    if (!existsSync(abs)) throw new Error(`manifest not found: ${relative(root, abs)}`);
    const dir = dirname(abs);
    const m = forPlatform(readJson(abs), platform);
    const part = m.part ?? inherited;
    if (m.part && !PARTS.includes(m.part)) throw new Error(`${relative(root, abs)}: unknown part ${m.part}`);
    for (const inc of m.include ?? []) visit(join(dir, inc), part);
    // the role's settings override the file's own (its defaults for every role)
    const own = pick(m);
    if (m.roles) {
      if (!m.roles[role]) throw new Error(`${relative(root, abs)}: no role ${role}`);
      const r = forPlatform(m.roles[role], platform);
      for (const inc of r.include ?? []) visit(join(dir, inc), part);
      const { include, ...rest } = r;
      merge(own, pick(rest));
    }
    for (const { file, specifier } of expandModules(root, dir, m.modules ?? [])) {
      const source = relative(root, file);
      const rel = relative(modulesRoot, file);
      const driver = relative(driversRoot, file);
      if (rel.startsWith('..') && driver.startsWith('..'))
        throw new Error(`${relative(root, abs)}: module ${file} outside modules/ and drivers/`);
      if (!part) throw new Error(`${relative(root, abs)}: modules need a part`);
      result.modules.push({
        part,
        specifier: specifier ?? (rel.startsWith('..') ? source : rel).replace(/\.ts$/, ''),
        path: source.replace(/\.ts$/, ''),
        source,
      });
    }
    for (const c of m.c ?? []) result.c.push(join(dir, c));
    for (const d of m.includeDirs ?? []) result.includeDirs.push(join(dir, d));
    merge(result, own);
  }
  function pick(m) {
    const out = {};
    for (const k of ['defines', 'config', 'creation', 'parts', 'version', 'main', 'parser', 'prepare', 'nativeLengths', 'roots', 'headers'])
      if (k in m) out[k] = m[k];
    return out;
  }
  visit(join(root, 'manifest.json'));
  for (const name of readdirSync(driversRoot).sort()) {
    const fragment = join(driversRoot, name, 'manifest.json');
    if (existsSync(fragment)) visit(fragment, 'generic');
  }
  const dup = result.modules.map((m) => m.specifier).find((s, i, a) => a.indexOf(s) !== i);
  if (dup) throw new Error(`module ${dup} listed twice`);
  result.includeDirs = [...new Set(result.includeDirs)];
  result.role = role;
  result.platform = platform;
  for (const k of ['chunk', 'heap', 'stack', 'keys', 'parser'])
    if (!(k in result.creation)) throw new Error(`manifest: creation.${k} missing`);
  if (!result.main) throw new Error('manifest: main missing');
  return result;
}
