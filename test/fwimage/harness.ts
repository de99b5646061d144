// Signed-image test helpers: the keys and sign tools run as their npm scripts would, a small
// MFWI part image made by tools/image.mjs, and drivers/fwimage built for the host with the
// public keys of a test key directory compiled in (as the firmware build does with keys/).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain JavaScript build tool without declarations
import { packImage } from '../../tools/image.mjs';
// @ts-expect-error: plain JavaScript build tool without declarations
import { keysSource } from '../../tools/fwimage-keys.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = join(ROOT, 'build', 'test', 'fwimage');
const MBEDTLS = join(ROOT, 'deps', 'mbedtls-2.28.3');
export const PARTS = ['generic', 'legal', 'plc', 'nonlegal'] as const;
export const ROLES = ['meter', 'meter-1p', 'concentrator'] as const;

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function tool(name: 'keys' | 'sign', args: string[]): Run {
  const r = spawnSync(process.execPath, [join(ROOT, 'tools', `${name}.mjs`), ...args], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'fwimage-'));

/** A part image as the build writes it: build/<platform>/<role>/<part>.img. */
export function partImage(dir: string, part: (typeof PARTS)[number], role: string, version = '1.2.3'): string {
  const modules = [
    { specifier: `${part}/a`, symbols: Buffer.alloc(12, 1), code: Buffer.alloc(700, 2) },
    { specifier: `${part}/b`, symbols: Buffer.alloc(5, 3), code: Buffer.alloc(333, 4) },
  ];
  const bytes: Buffer = packImage({ part, version, xs: { major: 15, minor: 0, patch: 0 }, modules });
  mkdirSync(join(dir, role), { recursive: true });
  const path = join(dir, role, `${part}.img`);
  writeFileSync(path, bytes);
  return path;
}

const MBED_FILES = ['sha256', 'platform_util', 'bignum', 'ecp', 'ecp_curves', 'ecdsa', 'asn1parse', 'asn1write', 'constant_time'];
const INCLUDES = [
  `-I${join(ROOT, 'hosts', 'common')}`,
  `-I${join(ROOT, 'drivers', 'fwimage')}`,
  `-I${join(ROOT, 'drivers', 'crc')}`,
  `-I${join(MBEDTLS, 'include')}`,
  '-DMBEDTLS_CONFIG_FILE="mbedtls-config.h"',
  '-DMETERFW_MBEDTLS_ECDSA',
];
let mbedObjs: string[] | undefined;

/** drivers/fwimage/test/fwimage_check.c with the public keys of keyDir compiled in. */
export function buildVerifier(keyDir: string, name: string): string {
  const dir = join(OUT, 'host');
  mkdirSync(dir, { recursive: true });
  mbedObjs ??= MBED_FILES.map((f) => {
    // third-party: its warnings are not ours
    const obj = join(dir, `mbedtls_${f}.o`);
    execFileSync('gcc', ['-std=c99', '-O2', '-w', ...INCLUDES, '-c', join(MBEDTLS, 'library', `${f}.c`), '-o', obj]);
    return obj;
  });
  const keysC = join(dir, `keys-${name}.c`);
  writeFileSync(keysC, keysSource(keyDir));
  const exe = join(dir, `fwimage_check-${name}`);
  const src = (f: string): string => join(ROOT, 'drivers', f);
  execFileSync('gcc', [
    '-std=c99',
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    ...INCLUDES,
    '-o',
    exe,
    src('fwimage/test/fwimage_check.c'),
    src('fwimage/fwimage.c'),
    src('fwimage/fwimage_parse.c'),
    src('crc/crc.c'),
    keysC,
    ...mbedObjs,
  ]);
  return exe;
}

/** Runs the verifier on a file: 'OK ...' or 'REFUSED <code> <text>'. */
export function verify(exe: string, file: string, part: number, role: number, counter: number, area?: number): string {
  const args = [file, String(part), String(role), String(counter), ...(area === undefined ? [] : [String(area)])];
  const r = spawnSync(exe, args, { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`fwimage_check exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}
