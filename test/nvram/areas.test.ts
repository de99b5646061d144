// NVRAM areas (drivers/nvram/nvram.ts nvramAreas): one NVRAM split into LEGAL's, PLC's and
// NON-LEGAL's areas by its capacity, whatever its display line (info()) says; the sizes have one
// definition (modules/generic/shared/nvram-areas.ts) that the C sees through the generated header.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FramModel } from '../helpers/fram.js';
import * as definition from '../../modules/generic/shared/nvram-areas.js';
// @ts-expect-error: build tool in plain JavaScript
import { recordHeader } from '../../tools/record-header.mjs';
// @ts-expect-error: build tool in plain JavaScript
import { loadManifest } from '../../tools/manifest.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const { NV_SIZE, NV_PLC, NV_NONLEGAL, NV_SPLIT_MIN, NV_LEGAL } = definition;

// nvram.ts binds its natives at load: outside XS they are never called here
(globalThis as { native?: unknown }).native = () => () => {
  throw new Error('native called outside XS');
};
const { nvramAreas } = await import('../../drivers/nvram/nvram.js');

describe('nvram areas', () => {
  it('splits 8 KB into LEGAL, PLC (32 bytes) and NON-LEGAL (512), from the capacity', () => {
    assert.deepEqual([NV_SIZE, NV_PLC, NV_NONLEGAL, NV_LEGAL], [8192, 32, 512, 7648]);
    const fram = new FramModel(NV_SIZE);
    fram.info = () => 'kind=file'; // a display line that names no size
    const a = nvramAreas(fram);
    assert.deepEqual([a.legal.capacity(), a.plc.capacity(), a.nonlegal.capacity()], [NV_LEGAL, NV_PLC, NV_NONLEGAL]);
    a.nonlegal.write(0, new Uint8Array([1, 2]));
    assert.deepEqual([...fram.mem.subarray(NV_SIZE - NV_NONLEGAL, NV_SIZE - NV_NONLEGAL + 2)], [1, 2]);
    a.plc.write(NV_PLC - 1, new Uint8Array([7]));
    assert.equal(fram.mem[NV_SIZE - NV_NONLEGAL - 1], 7);
    assert.throws(() => a.plc.write(NV_PLC, new Uint8Array(1)), RangeError);
  });

  it('leaves an NVRAM under 2 KB, and an absent one, whole to LEGAL', () => {
    assert.equal(NV_SPLIT_MIN, 2048);
    for (const total of [NV_SPLIT_MIN - 1, 0]) {
      const a = nvramAreas(new FramModel(total));
      assert.deepEqual([a.legal.capacity(), a.plc.capacity(), a.nonlegal.capacity()], [total, 0, 0]);
    }
  });

  it('the C sees the same sizes through the generated header: nvram.h takes NVRAM_SIZE from it', function () {
    this.timeout(60000);
    const values: { readonly [name: string]: number } = { ...definition };
    const names = Object.keys(values).sort();
    const dir = join(ROOT, 'build', 'test', 'nvram');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'nvram_areas.h'), recordHeader('nvram_areas.h', 'nvram-areas.ts', values));
    const main = join(dir, 'areas_check.c');
    writeFileSync(
      main,
      `#include <stdio.h>\n#include "nvram.h"\nint main(void) {\n${names.map((n) => `\tprintf("${n}=%ld\\n", (long)(${n}));`).join('\n')}\n\tprintf("NVRAM_SIZE=%lu\\n", (unsigned long)NVRAM_SIZE);\n\treturn 0;\n}\n`,
    );
    const exe = join(dir, 'areas_check');
    execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', `-I${join(ROOT, 'drivers', 'nvram')}`, `-I${dir}`, '-o', exe, main]);
    const got = Object.fromEntries(
      execFileSync(exe, { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => l.split('='))
        .map(([k, v]) => [k!, Number(v)]),
    );
    assert.deepEqual(
      names.map((n) => got[n]),
      names.map((n) => values[n]),
    );
    assert.equal(got.NVRAM_SIZE, NV_SIZE);
    assert.doesNotMatch(readFileSync(join(ROOT, 'drivers', 'nvram', 'nvram.h'), 'utf8'), /NVRAM_SIZE\s+\d/);
  });

  it('the nvram driver folder names the header and the definition for the build', () => {
    for (const platform of ['lin', 'mps2-an386', 'stm32f405'])
      assert.equal(
        (loadManifest(ROOT, 'meter', platform) as { headers: { [h: string]: string } }).headers['nvram_areas.h'],
        'generic/shared/nvram-areas',
      );
  });
});
