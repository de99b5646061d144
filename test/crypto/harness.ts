// Builds drivers/crypto/test/crypto_check.c with the mbed TLS sources from deps/ and runs it.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SRC = join(ROOT, 'drivers', 'crypto');
export const OUT = join(ROOT, 'build', 'test', 'crypto');
export const MBEDTLS = join(ROOT, 'deps', 'mbedtls-2.28.3');

// The mbed TLS modules the driver links (CCM, GCM and CMAC sit on the cipher layer, which
// compares tags with constant_time.c; platform.c because the config routes calloc to the pool).
export const MBED_FILES = [
  'aes',
  'ccm',
  'gcm',
  'cmac',
  'cipher',
  'cipher_wrap',
  'constant_time',
  'sha256',
  'platform_util',
  'platform',
].map((f) => join(MBEDTLS, 'library', f + '.c'));
export const INCLUDES = [`-I${join(ROOT, 'hosts', 'common')}`, `-I${join(MBEDTLS, 'include')}`, '-DMBEDTLS_CONFIG_FILE="mbedtls-config.h"'];

let exe: string | undefined;

export function buildHarness(): string {
  if (exe) return exe;
  mkdirSync(join(OUT, 'host'), { recursive: true });
  const objs: string[] = [];
  for (const src of MBED_FILES) {
    // third-party: its warnings are not ours
    const obj = join(OUT, 'host', 'mbedtls_' + src.replace(/.*\//, '').replace('.c', '.o'));
    execFileSync('gcc', ['-std=c99', '-O2', '-w', ...INCLUDES, '-c', src, '-o', obj]);
    objs.push(obj);
  }
  exe = join(OUT, 'crypto_check');
  execFileSync('gcc', [
    '-std=c99',
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    ...INCLUDES,
    '-o',
    exe,
    join(SRC, 'test', 'crypto_check.c'),
    join(SRC, 'crypto.c'),
    ...objs,
  ]);
  return exe;
}

// One command per line in, one result per line out.
export function run(lines: string[]): string[] {
  const text = execFileSync(buildHarness(), { input: lines.join('\n') + '\n', encoding: 'utf8' });
  const out = text.trim().split('\n');
  if (out.length !== lines.length) throw new Error(`harness answered ${out.length} lines for ${lines.length}`);
  return out;
}
export const run1 = (line: string): string => run([line])[0]!;

export const hex = (b: Uint8Array | Buffer): string => (b.length ? Buffer.from(b).toString('hex') : '-');
export const flip = (h: string, byte = 0): string => {
  const b = Buffer.from(h, 'hex');
  b[byte] = b[byte]! ^ 0x01;
  return b.toString('hex');
};
