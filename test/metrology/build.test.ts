// The metrology C must build warning-free for the Cortex-M4F target (both
// phase counts) and the host benchmark must run.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GRID, OUT, SRC } from './harness.js';

const M4 = ['-std=c99', '-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16', '-Os', '-Wall', '-Wextra', '-Werror', '-c'];
const FILES = [join(SRC, 'dsp.c'), join(GRID, 'fe_model.c'), join(SRC, 'test/dsp_bench.c')];

describe('metrology C build', function () {
  this.timeout(20000);
  const haveArm = spawnSync('arm-none-eabi-gcc', ['--version']).status === 0;

  for (const phases of [3, 1])
    it(`compiles cleanly with arm-none-eabi-gcc for Cortex-M4F, METRO_PHASES=${phases}`, function () {
      if (!haveArm) this.skip();
      mkdirSync(join(OUT, 'm4'), { recursive: true });
      for (const f of FILES) {
        const obj = join(OUT, 'm4', f.slice(f.lastIndexOf('/') + 1).replace(/\W/g, '_') + phases + '.o');
        execFileSync('arm-none-eabi-gcc', [...M4, `-DMETRO_PHASES=${phases}`, `-I${SRC}`, f, '-o', obj]);
      }
      // the DSP hot path must not pull in software double precision
      const syms = execFileSync('arm-none-eabi-nm', ['-u', join(OUT, 'm4', `dsp_c${phases}.o`)], { encoding: 'utf8' });
      assert.doesNotMatch(syms, /__aeabi_d/, syms);
    });

  it('runs the host benchmark of dsp_process_block', () => {
    const exe = join(OUT, 'dsp_bench');
    execFileSync('gcc', [
      '-std=c99',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-DMETRO_BENCH_MAIN',
      join(SRC, 'test', 'dsp_bench.c'),
      `-I${SRC}`,
      join(SRC, 'dsp.c'),
      join(GRID, 'fe_model.c'),
      '-lm',
      '-o',
      exe,
    ]);
    const r = JSON.parse(execFileSync(exe, ['20'], { encoding: 'utf8' }));
    assert.equal(r.seconds, 20);
    assert.ok(r.checksum > 0 && r.ns_per_sample > 0);
    console.log(`    host: ${r.ns_per_sample} ns per 3-phase sample`);
  });
});
