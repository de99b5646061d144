// The driver builds warning-free for Cortex-M4F, the XS bindings compile against the XS
// headers, and no crypto call touches the C heap.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { INCLUDES, MBED_FILES, OUT, ROOT, SRC, run } from './harness.js';

const M4 = ['-std=c99', '-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16', '-Os', '-c'];
const XS = join(ROOT, 'deps', 'xsnap-0.15.0', 'xs');
const XS_FLAGS = [
  '-DINCLUDE_XSPLATFORM',
  '-DXSPLATFORM="xsplatform.h"',
  `-I${join(XS, 'includes')}`,
  `-I${join(XS, 'sources')}`,
  `-I${join(XS, 'platforms')}`,
];

describe('crypto C build', function () {
  this.timeout(60000);
  const haveArm = spawnSync('arm-none-eabi-gcc', ['--version']).status === 0;

  it('compiles cleanly for Cortex-M4F and reports the code size', function () {
    if (!haveArm) this.skip();
    const dir = join(OUT, 'm4');
    mkdirSync(dir, { recursive: true });
    const drv = join(dir, 'crypto.o');
    execFileSync('arm-none-eabi-gcc', [...M4, '-Wall', '-Wextra', '-Werror', ...INCLUDES, join(SRC, 'crypto.c'), '-o', drv]);
    const objs = [drv];
    for (const src of MBED_FILES) {
      const obj = join(dir, 'mbedtls_' + src.replace(/.*\//, '').replace('.c', '.o'));
      execFileSync('arm-none-eabi-gcc', [...M4, '-w', '-ffunction-sections', ...INCLUDES, src, '-o', obj]);
      objs.push(obj);
    }
    const rows = execFileSync('arm-none-eabi-size', objs, { encoding: 'utf8' })
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    const total = rows.reduce((t, r) => [t[0]! + Number(r[0]), t[1]! + Number(r[1]), t[2]! + Number(r[2])], [0, 0, 0]);
    console.log(`    Cortex-M4 -Os objects: text ${total[0]} data ${total[1]} bss ${total[2]} (before link-time GC)`);
    for (const r of rows) console.log(`      ${r[0]!.padStart(6)} ${r[1]!.padStart(4)} ${r[2]!.padStart(5)}  ${r[5]!.replace(/.*\//, '')}`);
    // the driver must not need software floating point or the C library's malloc
    const undef = execFileSync('arm-none-eabi-nm', ['-u', drv], { encoding: 'utf8' });
    assert.doesNotMatch(undef, /__aeabi_d|\bmalloc\b/, undef);
  });

  it('xs_crypto.c compiles against the XS headers', () => {
    execFileSync('gcc', [
      '-fsyntax-only',
      '-Wall',
      '-Wextra',
      '-Wno-unused-parameter',
      '-Werror',
      ...XS_FLAGS,
      ...INCLUDES,
      join(SRC, 'xs_crypto.c'),
    ]);
  });

  it('runs every operation from the static pool: no heap, nothing left allocated', () => {
    const k = '00'.repeat(16);
    const out = run([
      `cmac ${k} 00`,
      `eaxe ${k} 00 00 0102 16`,
      `ccms ${k} ${'00'.repeat(13)} 7 01 02`,
      `gcme ${k} ${'00'.repeat(12)} 01 02 12`,
      `gcmd ${k} ${'00'.repeat(12)} 01 02 ${'00'.repeat(12)}`,
      'pool',
    ]);
    const [inUse, peak, heap, exhausted] = out[5]!.split(' ').map(Number);
    assert.deepEqual({ inUse, heap, exhausted }, { inUse: 0, heap: 0, exhausted: 0 });
    assert.equal(peak, 2); // CMAC: AES key schedule + CMAC state
  });
});
