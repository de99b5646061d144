// The metering driver (drivers/metrology: what STPM / STCOMET silicon gives) is apart from the
// grid model (drivers/gridmodel: the emulated grid and second device, with their controls): the
// metering reaches the front-end only through metro_source.h, and each driver's TypeScript binds
// only natives its own folder's C defines.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: build tool in plain JavaScript
import { loadManifest } from '../../tools/manifest.mjs';
import { GRID, ROOT, SRC } from './harness.js';

const files = (dir: string, ext: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f));
const natives = (dir: string) =>
  files(dir, '.ts').flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/native<.*?>\(\s*'(xs_\w+)'/gs)].map((m) => m[1]!));
const defined = (dir: string) =>
  new Set(
    files(dir, '.c').flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/^(?:void (xs_\w+)\(xsMachine|MX_PQ_COUNTER\((xs_\w+),)/gm)].map((m) => (m[1] ?? m[2])!),
    ),
  );

describe('metrology: the metering driver apart from the grid model', () => {
  it('no metering C includes the model or calls it; it reads the front-end through metro_source.h', () => {
    for (const f of files(SRC, '.c')) {
      const c = readFileSync(f, 'utf8');
      assert.doesNotMatch(c, /#include "(fe_model|stpm_model)\.h"/, f);
      assert.doesNotMatch(c, /\b(fe_model_\w+|stpm_dev_\w+)\s*\(/, f);
    }
    assert.match(readFileSync(join(SRC, 'xs_metro.c'), 'utf8'), /#include "metro_source\.h"/);
    assert.match(readFileSync(join(GRID, 'xs_gridmodel.c'), 'utf8'), /^int metro_source_start\(/m);
  });

  it("each binding binds natives of its own folder's C only: the model's controls are gridmodel's", () => {
    const metro = natives(SRC),
      grid = natives(GRID);
    assert.deepEqual(
      metro.filter((n) => !defined(SRC).has(n)),
      [],
    );
    assert.deepEqual(
      grid.filter((n) => !defined(GRID).has(n)),
      [],
    );
    for (const op of ['load', 'frequency', 'harmonic', 'noise', 'link', 'event', 'samples']) {
      assert.ok(grid.includes(`xs_gridmodel_${op}`), op);
      assert.ok(!metro.some((n) => n.endsWith(`_${op}`)), op);
    }
  });

  it('every platform builds the model from its own folder, granted to LEGAL', () => {
    for (const platform of ['lin', 'mps2-an386', 'stm32f405', 'stm32f429']) {
      const m = loadManifest(ROOT, 'meter', platform) as { c: string[]; config: { grants: { legal: string[] } } };
      for (const f of ['fe_model.c', 'stpm_model.c', 'xs_gridmodel.c']) assert.ok(m.c.includes(join(GRID, f)), `${platform} ${f}`);
      assert.ok(!m.c.some((f) => f.startsWith(SRC) && /(fe|stpm)_model\.c$/.test(f)), platform);
      assert.ok(m.config.grants.legal.includes('driver.gridmodel'), platform);
    }
  });
});
