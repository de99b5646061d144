// METRO's record has one definition (modules/generic/shared/metro-record.ts): the C the build
// compiles sees it through the generated header (tools/record-header.mjs), with the values LEGAL
// and these tests import, and its energy registers are the DSP's.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as definition from '../../modules/generic/shared/metro-record.js';
// @ts-expect-error: build tool in plain JavaScript
import { recordHeader } from '../../tools/record-header.mjs';
import { OUT, SRC } from './harness.js';

const record: { readonly [name: string]: number } = { ...definition };
const NAMES = Object.keys(record).sort();

describe('metrology: the record layout shared by C and TypeScript', function () {
  this.timeout(60000);

  it('the generated header gives C the same offsets, and MX_ENERGY_COUNT is DSP_E_COUNT', () => {
    const dir = join(OUT, 'record');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'metro_record.h'), recordHeader('metro_record.h', 'metro-record.ts', record));
    const main = join(dir, 'record_check.c');
    writeFileSync(
      main,
      `#include <stdio.h>\n#include "dsp.h"\n#include "metro_record.h"\nint main(void) {\n${NAMES.map((n) => `\tprintf("${n}=%ld\\n", (long)(${n}));`).join('\n')}\n\tprintf("DSP_E_COUNT=%d\\n", (int)DSP_E_COUNT);\n\treturn 0;\n}\n`,
    );
    const exe = join(dir, 'record_check');
    execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', `-I${SRC}`, `-I${dir}`, '-o', exe, main]);
    const got = Object.fromEntries(
      execFileSync(exe, { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => l.split('='))
        .map(([k, v]) => [k!, Number(v)]),
    );
    assert.deepEqual(
      NAMES.map((n) => got[n]),
      NAMES.map((n) => record[n]),
    );
    assert.equal(got.DSP_E_COUNT, definition.MX_ENERGY_COUNT);
    assert.equal(definition.MX_FIELDS, definition.MX_PHASES + 1, 'the last field is the layout');
  });

  it('xs_metro.c takes its layout from the header, not from offsets of its own', () => {
    const c = readFileSync(join(SRC, 'xs_metro.c'), 'utf8');
    assert.deepEqual(c.match(/^#define MX_(PHASE_FIELDS|TOTAL|ENERGY|SECOND|NEUTRAL|PHASES|FIELDS|FLAG_LINK)\b.*$/gm), null);
    assert.match(c, /^#include "metro_record\.h"$/m);
  });
});
