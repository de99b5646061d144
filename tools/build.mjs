#!/usr/bin/env node
// Firmware build: manifest.json -> tsc -> host-compiled XS bytecode -> one image per part ->
// C (gcc / arm-none-eabi-gcc) linked with the XS engine -> build/<platform>/<role>/.
//
//   node tools/build.mjs [--platform P]... [--role R]... [--quiet] [--jobs N]
//
// Incremental: objects are rebuilt when their source, a header they include (gcc -MMD) or
// their command line changes.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { loadManifest } from './manifest.mjs';
import { recordHeader, recordValues } from './record-header.mjs';
import { packImage, sortModules, PARTS } from './image.mjs';
import { keysSource } from './fwimage-keys.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(root, 'tools', 'deps.json'), 'utf8'));
const XS = join(root, 'deps', `xsnap-${pins.xsnap.version}`, 'xs');
const MBEDTLS = join(root, 'deps', `mbedtls-${pins.mbedtls.upstream}`);
// zlib's raw deflate only (drivers/deflate/): no gzip wrapper, so no CRC-32 tables
const ZLIB = join(root, 'deps', `zlib-${pins.zlib.upstream}`);
const ZLIB_FILES = ['deflate.c', 'trees.c', 'zutil.c', 'adler32.c'];
const BUILD = join(root, 'build');

export const PLATFORMS = ['lin', 'mps2-an386', 'stm32f405', 'stm32f429'];
// Roles a platform builds (all where not listed): the STM32F429 kit is the concentrator's board.
const PLATFORM_ROLES = { stm32f429: ['concentrator'] };
// A chip variant also compiles the host files of the platform it derives from (its own files,
// and -I, come first): the STM32F429 those of the STM32F405 (board.c, clocks.c, startup.c).
const PLATFORM_BASE = { stm32f429: 'stm32f405' };
export const ROLES = ['meter', 'meter-1p', 'concentrator'];

// XS engine sources. The parser files are linked only where a manifest asks for the parser.
const XS_PARSER = ['xsLexical.c', 'xsSyntaxical.c', 'xsTree.c', 'xsScope.c', 'xsCode.c', 'xsScript.c'];
const XS_EXCLUDED = ['xsmc.c', 'xsSnapshot.c', 'xsProfile.c'];
const XS_DEFINES = [
  '-DINCLUDE_XSPLATFORM',
  '-DXSPLATFORM="xsplatform.h"',
  '-DmxRun=1',
  '-DmxNoConsole=1',
  '-DmxLockdown=1',
  '-DmxBoundsCheck=1',
  // no own length and name on function objects, as Moddable builds XS for microcontrollers
  // (patches/xs/0002-no-function-length-name.patch): two slots saved per function
  '-DmxNoFunctionLength=1',
  '-DmxNoFunctionName=1',
];

const TOOLCHAINS = {
  host: { cc: 'gcc', flags: ['-O2', '-g0', '-fno-strict-aliasing'], ldflags: ['-lm'] },
  // lin: Date.now() follows the medium's simulated clock when there is one (hosts/lin/lintime.h)
  lin: {
    cc: 'gcc',
    flags: [
      '-O2',
      '-g',
      '-fno-strict-aliasing',
      '-ffunction-sections',
      '-fdata-sections',
      '-include',
      join(root, 'hosts', 'lin', 'lintime.h'),
    ],
    ldflags: ['-Wl,--gc-sections', '-lm'],
  },
  cm4: {
    cc: 'arm-none-eabi-gcc',
    flags: [
      '-mcpu=cortex-m4',
      '-mthumb',
      '-mfloat-abi=hard',
      '-mfpu=fpv4-sp-d16',
      '-Os',
      '-g',
      '-fno-strict-aliasing',
      '-ffunction-sections',
      '-fdata-sections',
      '-fno-common',
    ],
    ldflags: ['-Wl,--gc-sections', '--specs=nano.specs', '-nostartfiles', '-lm'],
  },
};
// Platforms whose firmware boots a machine prepared at build time unless told otherwise: those
// where the firmware tests pass with it (docs/xs-preparation.md).
export const PREPARED_PLATFORMS = ['lin'];
const PLATFORM_TOOLCHAIN = { lin: 'lin', 'mps2-an386': 'cm4', stm32f405: 'cm4', stm32f429: 'cm4' };

const args = process.argv.slice(2);
function flagValues(name) {
  const out = [];
  args.forEach((a, i) => {
    if (a === name && args[i + 1]) out.push(args[i + 1]);
  });
  return out;
}
const quiet = args.includes('--quiet');
// --prepare / --no-prepare: the XS machine prepared at build time and linked into flash
// (docs/xs-preparation.md), or built in RAM at boot; without either, the manifest's "prepare"
// decides, then PREPARED_PLATFORMS
const prepareFlag = args.includes('--prepare') ? true : args.includes('--no-prepare') ? false : null;
const jobs = Number(flagValues('--jobs')[0] ?? cpus().length) || 2;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--quiet' || a === '--prepare' || a === '--no-prepare') continue;
  if (['--platform', '--role', '--jobs'].includes(a)) {
    i++;
    continue;
  }
  if (a === '--help' || a === '-h') {
    process.stdout.write(
      'usage: node tools/build.mjs [--platform lin|mps2-an386|stm32f405|stm32f429]... [--role meter|meter-1p|concentrator]... [--prepare|--no-prepare] [--quiet] [--jobs N]\n',
    );
    process.exit(0);
  }
  process.stderr.write(`build: unknown option '${a}' (try --help)\n`);
  process.exit(2);
}
const platforms = flagValues('--platform');
const roles = flagValues('--role');
for (const p of platforms)
  if (!PLATFORMS.includes(p)) {
    process.stderr.write(`build: unknown platform '${p}' (${PLATFORMS.join(', ')})\n`);
    process.exit(2);
  }
for (const r of roles)
  if (!ROLES.includes(r)) {
    process.stderr.write(`build: unknown role '${r}' (${ROLES.join(', ')})\n`);
    process.exit(2);
  }
for (const p of platforms)
  if (roles.length && PLATFORM_ROLES[p] && !roles.some((r) => PLATFORM_ROLES[p].includes(r))) {
    process.stderr.write(`build: platform '${p}' builds only ${PLATFORM_ROLES[p].join(', ')}\n`);
    process.exit(2);
  }

function log(msg) {
  if (!quiet) process.stdout.write(msg + '\n');
}
function mkdirp(d) {
  mkdirSync(d, { recursive: true });
  return d;
}
function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}
function writeIfChanged(file, text) {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return false;
  mkdirp(dirname(file));
  writeFileSync(file, text);
  return true;
}
function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

// ---- a small job pool for compilers ----
async function pool(tasks, width) {
  const results = [];
  let next = 0,
    failed = null;
  async function worker() {
    while (next < tasks.length && !failed) {
      const i = next++;
      try {
        results[i] = await tasks[i]();
      } catch (e) {
        failed = failed ?? e;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker));
  if (failed) throw failed;
  return results;
}
function exec(cmd, argv, opts = {}) {
  return new Promise((resolveP, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '',
      err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolveP({ out, err });
      else reject(new Error(`${cmd} ${argv.join(' ')}\n${err}${out}`));
    });
  });
}

// ---- C compilation with dependency tracking ----
function upToDate(obj, src, cmdline) {
  const cmdFile = obj + '.cmd';
  if (!existsSync(obj) || !existsSync(cmdFile) || readFileSync(cmdFile, 'utf8') !== cmdline) return false;
  const t = mtime(obj);
  if (mtime(src) > t) return false;
  const dep = obj.replace(/\.o$/, '.d');
  if (!existsSync(dep)) return false;
  // first rule of the gcc -MMD -MP file: "obj: src header..." (the -MP phony rules follow)
  const rule = readFileSync(dep, 'utf8').replace(/\\\n/g, ' ').split('\n')[0] ?? '';
  const deps = rule
    .slice(rule.indexOf(': ') + 2)
    .split(/\s+/)
    .filter(Boolean);
  return deps.every((d) => mtime(d) !== -1 && mtime(d) <= t);
}
function compileTask(tc, src, obj, flags) {
  const argv = [...tc.flags, ...flags, '-MMD', '-MP', '-c', src, '-o', obj];
  const cmdline = [tc.cc, ...argv].join(' ');
  return async () => {
    if (upToDate(obj, src, cmdline)) return obj;
    mkdirp(dirname(obj));
    await exec(tc.cc, argv);
    writeFileSync(obj + '.cmd', cmdline);
    return obj;
  };
}
function objName(dir, src) {
  const rel = relative(root, src)
    .replace(/\.\.\//g, '_/')
    .replace(/[\\/]/g, '__');
  return join(dir, rel.replace(/\.c$/, '.o'));
}

// ---- the XS engine (with a patch set applied to a private copy) ----
function xsSourceTree() {
  const patched = join(BUILD, 'xs-src');
  const patches = readdirSync(join(root, 'patches', 'xs'))
    .filter((f) => f.endsWith('.patch'))
    .sort();
  const stamp = sha256(patches.map((p) => readFileSync(join(root, 'patches', 'xs', p), 'utf8')).join('\0') + pins.xsnap.version);
  const stampFile = join(patched, '.patches');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return patched;
  rmSync(patched, { recursive: true, force: true });
  mkdirp(patched);
  execFileSync('cp', ['-r', join(XS, 'sources'), join(XS, 'includes'), join(XS, 'platforms'), patched]);
  for (const p of patches) {
    execFileSync('patch', ['-p1', '-s', '-d', patched, '-i', join(root, 'patches', 'xs', p)], { stdio: 'inherit' });
  }
  writeFileSync(stampFile, stamp);
  return patched;
}
function xsIncludes(xs) {
  return [`-I${join(root, 'hosts', 'common')}`, `-I${join(xs, 'includes')}`, `-I${join(xs, 'sources')}`, `-I${join(xs, 'platforms')}`];
}
function xsVersion() {
  const h = readFileSync(join(XS, 'sources', 'xsCommon.h'), 'utf8');
  const v = (n) => Number(new RegExp(`#define XS_${n}_VERSION (\\d+)`).exec(h)[1]);
  return { major: v('MAJOR'), minor: v('MINOR'), patch: v('PATCH') };
}
function xsEngineFiles(xs, withParser) {
  return readdirSync(join(xs, 'sources'))
    .filter((f) => f.endsWith('.c') && !XS_EXCLUDED.includes(f) && (withParser || !XS_PARSER.includes(f)))
    .sort()
    .map((f) => join(xs, 'sources', f));
}
const XS_WARNINGS = ['-w']; // third-party code: its warnings are not ours to fix here

// ---- the host bytecode compiler ----
async function buildXsc(xs) {
  const tc = TOOLCHAINS.host;
  const dir = join(BUILD, 'host', 'xsc');
  const flags = [...XS_DEFINES, '-DmxParse=1', ...xsIncludes(xs), ...XS_WARNINGS];
  const srcs = [...xsEngineFiles(xs, true), join(root, 'tools', 'xsc', 'xsc.c')];
  const objs = await pool(
    srcs.map((s) => compileTask(tc, s, objName(dir, s), flags)),
    jobs,
  );
  const exe = join(dir, 'xsc');
  const cmdline = [tc.cc, ...objs, '-o', exe, ...tc.ldflags].join(' ');
  if (!existsSync(exe) || readFileSync(exe + '.cmd', 'utf8') !== cmdline || objs.some((o) => mtime(o) > mtime(exe))) {
    await exec(tc.cc, [...objs, '-o', exe, ...tc.ldflags]);
    writeFileSync(exe + '.cmd', cmdline);
  }
  return exe;
}

// ---- the preparation writer (tools/xsprep/xsprep.c, docs/xs-preparation.md) ----
// Built for the build machine with the firmware engine's own defines (with or without the
// parser, as the role's engine), exported symbols so that it can name the engine's callbacks.
async function buildXsprep(xs, parser) {
  const tc = TOOLCHAINS.host;
  const dir = join(BUILD, 'host', parser ? 'xsprep-parser' : 'xsprep');
  const flags = [...XS_DEFINES, ...(parser ? ['-DmxParse=1'] : []), ...xsIncludes(xs), ...XS_WARNINGS];
  // without the parser, the source-map reader (which needs it) is left out, as --gc-sections
  // leaves it out of the firmware: -rdynamic would otherwise keep its references
  const engine = xsEngineFiles(xs, parser).filter((f) => parser || !f.endsWith('xsSourceMap.c'));
  const srcs = [...engine, join(root, 'tools', 'xsprep', 'xsprep.c')];
  const objs = await pool(
    srcs.map((s) => compileTask(tc, s, objName(dir, s), flags)),
    jobs,
  );
  const exe = join(dir, 'xsprep');
  const ldflags = ['-rdynamic', ...tc.ldflags, '-ldl'];
  const cmdline = [tc.cc, ...objs, '-o', exe, ...ldflags].join(' ');
  if (!existsSync(exe) || readFileSync(exe + '.cmd', 'utf8') !== cmdline || objs.some((o) => mtime(o) > mtime(exe))) {
    await exec(tc.cc, [...objs, '-o', exe, ...ldflags]);
    writeFileSync(exe + '.cmd', cmdline);
  }
  return exe;
}
// Keys the machine holds after the built-ins, before any module symbol: lockdown looks up
// "harden" (the preparation runs lockdown; the firmware without one registers it first), so the
// linker gives module symbols the ids that follow, prepared or not.
const PREPARED_KEYS = ['harden'];

// ---- record layouts shared by C and TypeScript ----
// A manifest's "headers" maps a header name to the module (specifier) holding the one definition
// of a record layout; the header goes to build/gen/, on the include path of every C file.
const GEN = join(BUILD, 'gen');
async function recordHeaders(headers) {
  mkdirp(GEN);
  for (const [name, specifier] of Object.entries(headers)) {
    const source = `modules/${specifier}.ts`;
    const values = await recordValues(source, readFileSync(join(BUILD, 'js', 'modules', specifier + '.js'), 'utf8'));
    writeIfChanged(join(GEN, name), recordHeader(name, source, values));
  }
}

// ---- TypeScript ----
// Compiles the modules the manifests name (for every role and platform being built), with the
// project's strict settings; `npm run typecheck` checks the whole tree.
function tsc(sources) {
  const bin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const config = join(BUILD, 'tsconfig.build.json');
  writeIfChanged(
    config,
    JSON.stringify(
      {
        extends: '../tsconfig.json',
        compilerOptions: { rootDir: '..', outDir: './js' },
        include: [
          '../typings/**/*.d.ts',
          '../node_modules/@moddable/typings/timer.d.ts',
          '../node_modules/@moddable/typings/embedded_io/_common.d.ts',
          '../node_modules/@moddable/typings/embedded_io/serial.d.ts',
        ],
        files: [...sources].sort().map((f) => '../' + f),
      },
      null,
      2,
    ) + '\n',
  );
  try {
    execFileSync(process.execPath, [bin, '-p', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    process.stderr.write(String(e.stdout ?? '') + String(e.stderr ?? ''));
    throw new Error('tsc failed');
  }
}

// Compiles JS modules to .xsb, reusing results keyed by the JS text.
async function compileModules(xsc, modules) {
  const cacheDir = mkdirp(join(BUILD, 'xsb'));
  const todo = [];
  for (const m of modules) {
    const js = readFileSync(m.js);
    m.xsb = join(cacheDir, sha256(js) + '.xsb');
    if (!existsSync(m.xsb)) todo.push(m);
  }
  for (let i = 0; i < todo.length; i += 32) {
    const batch = todo.slice(i, i + 32);
    await exec(
      xsc,
      batch.flatMap((m) => [m.js, m.xsb]),
    );
  }
  for (const m of modules) {
    const b = readFileSync(m.xsb);
    const symbolsSize = b.readUInt32LE(4),
      codeSize = b.readUInt32LE(8);
    m.symbols = b.subarray(16, 16 + symbolsSize);
    m.code = b.subarray(16 + symbolsSize, 16 + symbolsSize + codeSize);
  }
}

// Modules no import can reach are left out of the images: a linked image registers a key for
// every symbol of every module at boot, so dead modules would cost RAM. Roots: the manifest's
// main, mc/config, each part's <part>/main (loaded by generic/parts), and manifest "roots".
// Edges: static imports, re-exports and import() of string literals in the compiled JS.
function resolveSpecifier(referrer, name) {
  if (!name.startsWith('./') && !name.startsWith('../')) return name.replace(/\.m?js$/, '');
  const parts = referrer.split('/').slice(0, -1);
  for (const seg of name.replace(/\.m?js$/, '').split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg) parts.push(seg);
  }
  return parts.join('/');
}
function prune(manifest, modules) {
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]));
  const roots = [manifest.main, 'mc/config', ...PARTS.map((p) => `${p}/main`), ...(manifest.roots ?? [])];
  const seen = new Set();
  const todo = roots.filter((r) => bySpecifier.has(r));
  const edge =
    /\bimport\s*(?:[\w*{}\s,$]*?\bfrom\s*)?['"]([^'"]+)['"]|\bexport\s*(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s*from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  while (todo.length) {
    const spec = todo.pop();
    if (seen.has(spec)) continue;
    seen.add(spec);
    for (const match of readFileSync(bySpecifier.get(spec).js, 'utf8').matchAll(edge)) {
      const target = resolveSpecifier(spec, match[1] ?? match[2] ?? match[3]);
      if (bySpecifier.has(target) && !seen.has(target)) todo.push(target);
    }
  }
  return modules.filter((m) => !seen.has(m.specifier));
}

// Links a role's modules for execution in place from flash (tools/xsc/xsc.c --link): symbols
// are registered in the order the firmware registers them at boot (parts in PARTS order, each
// in image directory order), so the code can hold final key ids and *_ARCHIVE opcodes.
async function linkModules(xsc, out, modules) {
  const dir = mkdirp(join(out, 'link'));
  const ordered = PARTS.flatMap((part) => sortModules(modules.filter((m) => m.part === part)));
  const keys = ['--keys', PREPARED_KEYS.join(',')];
  const key = sha256(ordered.map((m) => m.specifier + ':' + m.xsb).join('\n') + keys.join(' ') + sha256(readFileSync(xsc)));
  const stamp = join(dir, 'stamp');
  ordered.forEach((m, i) => {
    m.xsl = join(dir, `${i}.xsl`);
  });
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== key) {
    await exec(xsc, ['--link', ...keys, ...ordered.flatMap((m) => [m.xsb, m.xsl])]);
    writeFileSync(stamp, key);
  }
  writeIfChanged(
    join(dir, 'order.json'),
    JSON.stringify(
      ordered.map((m) => ({ part: m.part, specifier: m.specifier, xsb: m.xsb, xsl: m.xsl })),
      null,
      1,
    ) + '\n',
  );
  for (const m of ordered) {
    const b = readFileSync(m.xsl);
    const symbolsSize = b.readUInt32LE(4),
      codeSize = b.readUInt32LE(8),
      idCount = b.readUInt32LE(12);
    if (b.toString('ascii', 0, 4) !== 'XSL1' || b.length !== 16 + symbolsSize + codeSize + 2 * idCount)
      throw new Error(`${m.xsl}: bad linker output`);
    if (!b.subarray(16, 16 + symbolsSize).equals(m.symbols)) throw new Error(`${m.specifier}: linker changed the symbols`);
    m.code = b.subarray(16 + symbolsSize, 16 + symbolsSize + codeSize);
    m.ids = b.subarray(16 + symbolsSize + codeSize);
  }
}

// native("xs_...") names used by the JS of one role: the generated table holds exactly these.
function nativeNames(modules) {
  const names = new Set();
  for (const m of modules) {
    for (const match of readFileSync(m.js, 'utf8').matchAll(/\bnative\(\s*["'](xs_[A-Za-z0-9_]+)["']/g)) names.add(match[1]);
  }
  return [...names].sort();
}

function cArray(name, bytes, section) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16)
    lines.push('\t' + Array.from(bytes.subarray(i, i + 16), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ') + ',');
  const attr = section ? ` __attribute__((section("${section}"), used, aligned(8)))` : ' __attribute__((aligned(8)))';
  return `const uint8_t ${name}[${Math.max(bytes.length, 1)}]${attr} = {\n${lines.join('\n') || '\t0'}\n};\nconst uint32_t ${name}_size = ${bytes.length};\n`;
}

function cString(s) {
  return JSON.stringify(String(s));
}

function generate(dir, ctx) {
  const { manifest, role, platform, images, natives } = ctx;
  const c = manifest.creation;
  const buildId = sha256(images.map((i) => i.sha256).join('')).slice(0, 12);
  const natDecl = natives.map((n) => `extern void ${n}(xsMachine *the);`).join('\n');
  const natTable = natives.map((n) => `\t{ ${cString(n)}, ${n}, ${manifest.nativeLengths?.[n] ?? 0} },`).join('\n');
  writeIfChanged(
    join(dir, 'natives.c'),
    `/* generated by tools/build.mjs: native() bindings used by this role */
#include "xsruntime.h"
${natDecl}
const native_entry_t native_table[] = {
${natTable || '\t{ 0, 0, 0 }'}
};
const unsigned native_count = ${natives.length};
`,
  );
  const generic = images.find((i) => i.part === 'generic');
  let parts = '';
  for (const img of images) {
    if (img.part === 'generic') continue;
    const section = platform === 'lin' ? null : `.part_${img.part}`;
    parts += cArray(`part_image_${img.part}`, img.bytes, section);
  }
  writeIfChanged(
    join(dir, 'config.c'),
    `/* generated by tools/build.mjs for ${role} on ${platform} */
#include "xsruntime.h"
const char *const build_role = ${cString(role)};
const char *const build_platform = ${cString(platform)};
const char *const build_id = ${cString(buildId)};
const char *const build_main_module = ${cString(manifest.main)};
const xsCreation build_creation = {
	${c.chunk.initial}, ${c.chunk.incremental},   /* chunks: initial, incremental (bytes) */
	${c.heap.initial}, ${c.heap.incremental},     /* slots: initial, incremental */
	${c.stack},                                   /* stack slots */
	${c.keys.initial}, ${c.keys.incremental},     /* keys */
	${c.keys.name}, ${c.keys.symbol},             /* name and symbol table moduli */
	${c.parser.buffer}, ${c.parser.table},        /* parser (only where linked) */
	0                                             /* static */
};
${cArray('generic_image', generic.bytes, null)}
${parts}`,
  );
  return buildId;
}

async function buildRole(xs, xsc, platform, role, _tsModules, version) {
  const manifest = loadManifest(root, role, platform);
  const tcName = PLATFORM_TOOLCHAIN[platform];
  const tc = TOOLCHAINS[tcName];
  const out = mkdirp(join(BUILD, platform, role));
  const gen = mkdirp(join(out, 'gen'));

  // modules of this role, with the generated frozen config module (Moddable's mc/config)
  const modules = manifest.modules.map((m) => ({ ...m, js: join(BUILD, 'js', m.path + '.js') }));
  for (const m of modules) if (!existsSync(m.js)) throw new Error(`${m.specifier}: no compiled JavaScript (is ${m.source} in tsconfig?)`);
  const configJs = join(gen, 'mc-config.js');
  writeIfChanged(
    configJs,
    `// generated by tools/build.mjs\nfunction freeze(o) { if (o && typeof o === 'object') { Object.values(o).forEach(freeze); Object.freeze(o); } return o; }\nexport default freeze(${JSON.stringify(manifest.config)});\n`,
  );
  modules.push({ part: 'generic', specifier: 'mc/config', js: configJs, source: 'manifest.json' });
  const pruned = prune(manifest, modules);
  modules.splice(0, modules.length, ...modules.filter((m) => !pruned.includes(m)));
  await compileModules(xsc, modules);
  // the XS machine prepared at build time (docs/xs-preparation.md)
  const prepared = prepareFlag ?? manifest.prepare ?? PREPARED_PLATFORMS.includes(platform);
  await linkModules(xsc, out, modules);

  const images = PARTS.map((part) => {
    const mods = modules.filter((m) => m.part === part);
    const info = manifest.parts[part] ?? {};
    const bytes = packImage({ part, version: info.version ?? manifest.version, xs: version, modules: mods });
    writeFileSync(join(out, `${part}.img`), bytes);
    return { part, bytes, sha256: sha256(bytes), modules: mods.length };
  });
  const natives = nativeNames(modules);
  const buildId = generate(gen, { manifest, role, platform, images, natives, version });
  // drivers/fwimage: the public signing keys compiled in (docs/image-format.md); development
  // keys are generated into keys/ when it holds none, and the build says so even when quiet
  writeIfChanged(
    join(gen, 'fwimage_keys.c'),
    keysSource(join(root, 'keys'), (m) => process.stdout.write(`build: ${m}\n`)),
  );

  const defines = Object.entries(manifest.defines).map(([k, v]) => `-D${k}=${v === true ? 1 : v === false ? 0 : v}`);
  const versionDefs = [
    `-DXS_ENGINE_MAJOR=${version.major}`,
    `-DXS_ENGINE_MINOR=${version.minor}`,
    `-DXS_ENGINE_PATCH=${version.patch}`,
    `-DXS_ENGINE_VERSION="${version.major}.${version.minor}.${version.patch}"`,
  ];
  const includes = [
    ...xsIncludes(xs),
    `-I${join(root, 'hosts', platform)}`,
    ...(PLATFORM_BASE[platform] ? [`-I${join(root, 'hosts', PLATFORM_BASE[platform])}`] : []),
    `-I${join(root, 'hosts', 'common', 'cortex-m4')}`,
    ...manifest.includeDirs.map((d) => `-I${d}`),
    `-I${GEN}`,
    `-I${join(MBEDTLS, 'include')}`,
    `-DMBEDTLS_CONFIG_FILE="mbedtls-config.h"`,
    '-DMETERFW_MBEDTLS_ECDSA', // drivers/fwimage (hosts/common/mbedtls-config.h)
    `-I${ZLIB}`,
  ];
  const parser = manifest.parser === true;
  if (prepared) {
    const xsprep = await buildXsprep(xs, parser);
    const c = manifest.creation;
    const prepC = join(gen, 'xs_prepared.c');
    const argv = [prepC + '.tmp', 262144, 16384, 4096, 2048, c.keys.name, c.keys.symbol].map(String);
    const { err } = await exec(xsprep, argv);
    const text = readFileSync(prepC + '.tmp', 'utf8');
    rmSync(prepC + '.tmp');
    writeIfChanged(prepC, text);
    log(err.trim());
  } else rmSync(join(gen, 'xs_prepared.c'), { force: true });
  const engineFlags = [...XS_DEFINES, ...(parser ? ['-DmxParse=1'] : []), ...xsIncludes(xs), ...XS_WARNINGS];
  const engineDir = join(BUILD, 'obj', tcName, parser ? 'xs-parser' : 'xs');
  const appFlags = [
    ...XS_DEFINES,
    ...(parser ? ['-DmxParse=1'] : []),
    ...includes,
    ...versionDefs,
    ...defines,
    '-Wall',
    '-Wextra',
    '-Wno-unused-parameter',
  ];
  const thirdFlags = [...includes, ...defines, '-w'];
  const cFiles = [...new Set(manifest.c)];
  const hostFiles = [platform, PLATFORM_BASE[platform]].filter(Boolean).flatMap((dir) =>
    readdirSync(join(root, 'hosts', dir))
      .filter((f) => f.endsWith('.c') && !f.startsWith('selftest'))
      .map((f) => join(root, 'hosts', dir, f)),
  );
  if (tcName === 'cm4')
    hostFiles.push(
      ...['cm4.c', 'syscalls.c', 'systick.c', 'regions.c', 'dataram.c', 'main.c'].map((f) => join(root, 'hosts', 'common', 'cortex-m4', f)),
    );
  const commonFiles = ['image.c'].map((f) => join(root, 'hosts', 'common', f));
  // the runtime twice where the machine is prepared: with the preparation (the firmware) and
  // without it (firmware-unprepared, the same image otherwise: test/xs/prepared.test.ts compares them)
  const runtime = join(root, 'hosts', 'common', 'xsruntime.c');
  const runtimeObj = (variant) => objName(appDir, runtime).replace(/\.o$/, `.${variant}.o`);
  const mbedFiles = [
    'sha256.c',
    'platform_util.c',
    'aes.c',
    'ccm.c',
    'gcm.c',
    'cmac.c',
    'cipher.c',
    'cipher_wrap.c',
    'constant_time.c',
    'platform.c',
    'ctr_drbg.c',
    ...['bignum.c', 'ecp.c', 'ecp_curves.c', 'ecdsa.c', 'asn1parse.c', 'asn1write.c'], // drivers/fwimage
  ].map((f) => join(MBEDTLS, 'library', f));
  const appDir = join(
    BUILD,
    'obj',
    tcName,
    'app',
    createHash('sha1')
      .update(appFlags.join(' ') + platform)
      .digest('hex')
      .slice(0, 10),
  );
  const tasks = [
    ...xsEngineFiles(xs, parser).map((s) => compileTask(tc, s, objName(engineDir, s), engineFlags)),
    ...mbedFiles.map((s) => compileTask(tc, s, objName(join(BUILD, 'obj', tcName, 'mbedtls'), s), thirdFlags)),
    ...(cFiles.some((f) => f.endsWith('xs_deflate.c')) ? ZLIB_FILES : []).map((f) =>
      compileTask(tc, join(ZLIB, f), objName(join(BUILD, 'obj', tcName, 'zlib'), join(ZLIB, f)), [...thirdFlags, '-DNO_GZIP']),
    ),
    ...[...commonFiles, ...hostFiles, ...cFiles].map((s) => compileTask(tc, s, objName(appDir, s), appFlags)),
    ...['natives.c', 'config.c'].map((f) => compileTask(tc, join(gen, f), join(gen, f.replace('.c', '.o')), appFlags)),
    compileTask(tc, join(gen, 'fwimage_keys.c'), join(gen, 'fwimage_keys.o'), appFlags), // drivers/fwimage's keys
  ];
  const variantTasks = [compileTask(tc, runtime, runtimeObj('plain'), appFlags)];
  if (prepared)
    variantTasks.push(
      compileTask(tc, runtime, runtimeObj('prepared'), [...appFlags, '-DMETERFW_PREPARED=1']),
      compileTask(tc, join(gen, 'xs_prepared.c'), join(gen, 'xs_prepared.o'), engineFlags),
    );
  const [objs, variantObjs] = await Promise.all([pool(tasks, jobs), pool(variantTasks, jobs)]);
  const exe = join(out, platform === 'lin' ? 'firmware' : 'firmware.elf');
  const unprepared = join(out, platform === 'lin' ? 'firmware-unprepared' : 'firmware-unprepared.elf');
  const ld = (map) => (platform === 'lin' ? [] : [`-T${join(root, 'hosts', platform, 'link.ld')}`, `-Wl,-Map=${join(out, map)}`]);
  if (prepared) {
    await exec(tc.cc, [...tc.flags, ...objs, ...variantObjs.slice(1), ...ld('firmware.map'), '-o', exe, ...tc.ldflags]);
    await exec(tc.cc, [...tc.flags, ...objs, variantObjs[0], ...ld('firmware-unprepared.map'), '-o', unprepared, ...tc.ldflags]);
  } else {
    await exec(tc.cc, [...tc.flags, ...objs, variantObjs[0], ...ld('firmware.map'), '-o', exe, ...tc.ldflags]);
    rmSync(unprepared, { force: true });
  }
  if (platform !== 'lin') {
    execFileSync('arm-none-eabi-objcopy', ['-O', 'binary', exe, join(out, 'firmware.bin')]);
  }
  const size = execFileSync(platform === 'lin' ? 'size' : 'arm-none-eabi-size', ['-B', exe], { encoding: 'utf8' })
    .split('\n')[1]
    .trim()
    .split(/\s+/)
    .map(Number);
  const report = {
    platform,
    role,
    file: relative(root, exe),
    build: buildId,
    text: size[0],
    data: size[1],
    bss: size[2],
    creation: manifest.creation,
    parser,
    prepared,
    images: Object.fromEntries(images.map((i) => [i.part, { bytes: i.bytes.length, modules: i.modules }])),
    natives: natives.length,
    pruned: pruned.map((m) => m.specifier).sort(),
  };
  writeFileSync(join(out, 'size.json'), JSON.stringify(report, null, 2) + '\n');
  return report;
}

export async function build({ platforms: ps = PLATFORMS, roles: rs = ROLES } = {}) {
  if (!existsSync(join(XS, 'sources', 'xsAll.h')) || !existsSync(join(MBEDTLS, 'library', 'sha256.c'))) {
    throw new Error('dependencies missing: run npm install (tools/setup.mjs)');
  }
  const xs = xsSourceTree();
  const version = xsVersion();
  const t0 = Date.now();
  const xsc = await buildXsc(xs);
  const sources = new Set();
  const pairs = ps.flatMap((platform) =>
    rs.filter((role) => PLATFORM_ROLES[platform]?.includes(role) ?? true).map((role) => [platform, role]),
  );
  if (!pairs.length)
    throw new Error(`nothing to build: ${ps.join(', ')} builds only ${ps.map((p) => PLATFORM_ROLES[p] ?? ROLES).join(', ')}`);
  const headers = {};
  for (const [platform, role] of pairs) {
    const m = loadManifest(root, role, platform);
    for (const mod of m.modules) sources.add(mod.source);
    Object.assign(headers, m.headers);
  }
  tsc(sources);
  await recordHeaders(headers);
  const reports = [];
  for (const [platform, role] of pairs) reports.push(await buildRole(xs, xsc, platform, role, null, version));
  writeFileSync(join(BUILD, 'size-report.json'), JSON.stringify(reports, null, 2) + '\n');
  return { reports, seconds: (Date.now() - t0) / 1000 };
}

function printReport(reports) {
  const rows = reports.map((r) => [
    r.platform,
    r.role,
    r.text,
    r.data,
    r.bss,
    `${r.creation.chunk.initial}+${r.creation.chunk.incremental}`,
    `${r.creation.heap.initial}+${r.creation.heap.incremental}`,
    r.creation.stack,
    r.parser ? 'yes' : 'no',
    PARTS.map((p) => r.images[p].bytes).join('/'),
  ]);
  const head = ['platform', 'role', 'text', 'data', 'bss', 'chunks B', 'slots', 'stack', 'parser', 'images G/L/P/N B'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padStart(widths[i])).join('  ');
  process.stdout.write(line(head) + '\n' + rows.map(line).join('\n') + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  build({ platforms: platforms.length ? platforms : PLATFORMS, roles: roles.length ? roles : ROLES })
    .then(({ reports, seconds }) => {
      if (!quiet) printReport(reports);
      log(`build: ${reports.length} firmware(s) in ${seconds.toFixed(1)} s`);
    })
    .catch((e) => {
      process.stderr.write(`build: ${e.message}\n`);
      process.exit(1);
    });
}
