#!/usr/bin/env node
// Post-install set-up: Debian toolchain and emulator, the XS engine sources from the
// @agoric/xsnap package (pinned, verified, never built by its own scripts) and the mbed TLS
// sources from Debian's source package (pinned, verified by apt). Everything lands in deps/.
// Idempotent: a second run checks and returns quickly.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, readdirSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRenode, RENODE_DEBIAN_PACKAGES, RENODE_INSTALL } from './renode.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const deps = join(root, 'deps');
const pins = JSON.parse(readFileSync(join(root, 'tools', 'deps.json'), 'utf8'));

function log(msg) {
  process.stdout.write(`setup: ${msg}\n`);
}
function fail(msg) {
  process.stderr.write(`setup: ${msg}\n`);
  process.exit(1);
}
function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
function run(cmd, args, opts = {}) {
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
}

// 1. Debian packages: the ARM toolchain, newlib, QEMU and clang (without recommends); Wireshark's
// tshark (optional: the test decoding the medium's pcap skips, saying so, without it) and
// chromium (optional: the test rendering npm start's report page skips, saying so, without it).
function debianPackages() {
  const missing = [];
  const optional = [...(have('tshark') ? [] : ['tshark']), ...(have('chromium') ? [] : ['chromium'])];
  if (!have('arm-none-eabi-gcc')) missing.push('gcc-arm-none-eabi');
  if (
    !existsSync('/usr/lib/arm-none-eabi/newlib/thumb/v7e-m+fp/hard/libc_nano.a') &&
    !existsSync('/usr/lib/arm-none-eabi/lib/thumb/v7e-m+fp/hard/libc_nano.a')
  )
    missing.push('libnewlib-arm-none-eabi');
  if (!have('qemu-system-arm')) missing.push('qemu-system-arm');
  if (!have('gcc') || !have('make')) missing.push('gcc', 'make');
  // the fuzz targets (docs/fuzzing.md): clang with libFuzzer, ASan and UBSan, whose runtimes
  // (libclang_rt.fuzzer and the sanitizers) bookworm's clang 14 keeps in libclang-rt-14-dev
  if (!have('clang')) missing.push('clang');
  if (
    !existsSync('/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a') &&
    !readdirSafe('/usr/lib/llvm-14/lib/clang').some((v) =>
      existsSync(`/usr/lib/llvm-14/lib/clang/${v}/lib/linux/libclang_rt.fuzzer-x86_64.a`),
    )
  ) {
    missing.push('libclang-rt-14-dev');
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (missing.length === 0 && (optional.length === 0 || !isRoot || !have('apt-get'))) {
    if (optional.length)
      log(
        `optional Debian package missing: ${optional.join(' ')} (${optional.map((p) => (p === 'tshark' ? 'the pcap decoding test' : 'the report rendering test')).join(' and ')} will skip)`,
      );
    return;
  }
  if (!isRoot || !have('apt-get')) {
    fail(
      `missing Debian packages: ${missing.join(' ')}. Install them with: ` +
        `sudo apt-get install --no-install-recommends ${missing.join(' ')}`,
    );
  }
  missing.push(...optional);
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

function readdirSafe(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function sha(algo, file, enc = 'hex') {
  return createHash(algo).update(readFileSync(file)).digest(enc);
}

// 2. XS engine sources from @agoric/xsnap: fetched as a tarball (its install scripts never run),
// integrity checked against the pin in tools/deps.json, only moddable/xs is kept.
function xsSources() {
  const pin = pins.xsnap;
  const dest = join(deps, `xsnap-${pin.version}`);
  if (existsSync(join(dest, 'xs', 'sources', 'xsAll.h'))) return;
  mkdirSync(deps, { recursive: true });
  log(`fetching ${pin.package}@${pin.version} (XS sources)`);
  const out = execFileSync('npm', ['pack', `${pin.package}@${pin.version}`, '--silent', '--pack-destination', deps], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .pop();
  const tgz = join(deps, out);
  const integrity = 'sha512-' + sha('sha512', tgz, 'base64');
  if (integrity !== pin.integrity) {
    rmSync(tgz);
    fail(`${pin.package}@${pin.version}: integrity mismatch (${integrity})`);
  }
  const tmp = join(deps, 'xsnap-tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  run('tar', ['xzf', tgz, '-C', tmp, 'package/moddable/xs', 'package/LICENSE']);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  renameSync(join(tmp, 'package', 'moddable', 'xs'), join(dest, 'xs'));
  renameSync(join(tmp, 'package', 'LICENSE'), join(dest, 'LICENSE'));
  rmSync(tmp, { recursive: true, force: true });
  rmSync(tgz);
}

// The machine's own Debian mirror and suite, read from its apt sources (deb822 or one-line).
function debianMirror() {
  const files = ['/etc/apt/sources.list'];
  const partsDir = '/etc/apt/sources.list.d';
  if (existsSync(partsDir)) for (const f of readdirSync(partsDir)) if (/\.(list|sources)$/.test(f)) files.push(join(partsDir, f));
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const types = /^Types:\s*(.+)$/m.exec(stanza),
        uris = /^URIs:\s*(\S+)/m.exec(stanza),
        suites = /^Suites:\s*(\S+)/m.exec(stanza);
      if (
        types &&
        uris &&
        suites &&
        types[1].split(/\s+/).includes('deb') &&
        !/security/.test(suites[1]) &&
        /^(https?|file):/.test(uris[1])
      ) {
        return { mirror: uris[1], suite: suites[1] };
      }
    }
    for (const line of text.split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+/.exec(line.trim());
      if (m && !/security/.test(m[2])) return { mirror: m[1], suite: m[2] };
    }
  }
  fail('no Debian mirror found in the apt sources; mbed TLS sources cannot be fetched');
}

// 3. mbed TLS from Debian's source package, fetched with a private apt configuration so that
// the system's apt sources are left alone; apt checks the archive signature and file hashes.
function mbedtlsSources() {
  const pin = pins.mbedtls;
  const dest = join(deps, `mbedtls-${pin.upstream}`);
  if (existsSync(join(dest, 'library', 'sha256.c'))) return;
  if (!have('apt-get')) fail(`apt-get is needed to fetch Debian's source package ${pin.source}=${pin.debian}`);
  const aptDir = join(deps, 'apt');
  for (const d of ['lists/partial', 'cache/archives/partial', 'etc', 'src']) mkdirSync(join(aptDir, d), { recursive: true });
  const { mirror, suite } = debianMirror();
  writeFileSync(
    join(aptDir, 'etc', 'sources.list'),
    `deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror} ${suite} main\n`,
  );
  const opts = [
    '-o',
    `Dir::Etc::SourceList=${join(aptDir, 'etc', 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=-',
    '-o',
    `Dir::State::Lists=${join(aptDir, 'lists')}`,
    '-o',
    `Dir::Cache=${join(aptDir, 'cache')}`,
    '-o',
    'APT::Sandbox::User=root',
    '-qq',
  ];
  log(`fetching Debian source package ${pin.source}=${pin.debian}`);
  run('apt-get', [...opts, 'update']);
  run('apt-get', [...opts, 'source', '--download-only', `${pin.source}=${pin.debian}`], { cwd: join(aptDir, 'src') });
  const orig = join(aptDir, 'src', `${pin.source}_${pin.upstream}.orig.tar.gz`);
  const got = sha('sha256', orig);
  if (got !== pin.origSha256) fail(`${pin.source} ${pin.upstream}: sha256 mismatch (${got})`);
  const tmp = join(deps, 'mbedtls-tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  run('tar', ['xzf', orig, '-C', tmp]);
  const top = readdirSync(tmp)[0];
  rmSync(dest, { recursive: true, force: true });
  renameSync(join(tmp, top), dest);
  rmSync(tmp, { recursive: true, force: true });
}

// 3b. zlib from Debian's source package (the firmware's raw deflate, drivers/deflate/), fetched
// the same way as mbed TLS: a private apt configuration, apt checks the signature, we the pin.
function zlibSources() {
  const pin = pins.zlib;
  const dest = join(deps, `zlib-${pin.upstream}`);
  if (existsSync(join(dest, 'deflate.c'))) return;
  if (!have('apt-get')) fail(`apt-get is needed to fetch Debian's source package ${pin.source}=${pin.debian}`);
  const aptDir = join(deps, 'apt');
  for (const d of ['lists/partial', 'cache/archives/partial', 'etc', 'src']) mkdirSync(join(aptDir, d), { recursive: true });
  const { mirror, suite } = debianMirror();
  writeFileSync(
    join(aptDir, 'etc', 'sources.list'),
    `deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror} ${suite} main\n`,
  );
  const opts = [
    '-o',
    `Dir::Etc::SourceList=${join(aptDir, 'etc', 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=-',
    '-o',
    `Dir::State::Lists=${join(aptDir, 'lists')}`,
    '-o',
    `Dir::Cache=${join(aptDir, 'cache')}`,
    '-o',
    'APT::Sandbox::User=root',
    '-qq',
  ];
  log(`fetching Debian source package ${pin.source}=${pin.debian}`);
  run('apt-get', [...opts, 'update']);
  run('apt-get', [...opts, 'source', '--download-only', `${pin.source}=${pin.debian}`], { cwd: join(aptDir, 'src') });
  const orig = join(aptDir, 'src', pin.orig);
  const got = sha('sha256', orig);
  if (got !== pin.origSha256) fail(`${pin.source} ${pin.upstream}: sha256 mismatch (${got})`);
  const tmp = join(deps, 'zlib-tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  run('tar', ['xjf', orig, '-C', tmp]);
  const top = readdirSync(tmp)[0];
  rmSync(dest, { recursive: true, force: true });
  renameSync(join(tmp, top), dest);
  rmSync(tmp, { recursive: true, force: true });
}

// 4. Renode (the STM32 boards' emulator, renode/): when one is found (tools/renode.mjs), the
// Debian packages its Mono build and renode-test need. Without Renode its tests skip.
function renodeRuntime() {
  const found = findRenode();
  if (!found) {
    log(RENODE_INSTALL);
    return;
  }
  const missing = RENODE_DEBIAN_PACKAGES.filter(
    (p) =>
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
      spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout !== 'install ok installed',
  );
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !have('apt-get')) {
    log(`Renode at ${found.renode} needs: sudo apt-get install --no-install-recommends ${missing.join(' ')} (its tests skip until then)`);
    return;
  }
  log(`installing Debian packages for Renode: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

if (process.env.METERFW_SKIP_SETUP === '1') process.exit(0);
debianPackages();
renodeRuntime();
xsSources();
mbedtlsSources();
zlibSources();
log('ready');
