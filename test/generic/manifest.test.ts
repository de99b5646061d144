// tools/manifest.mjs: a role's settings override the defaults of the manifest that declares the
// role (the concentrator's PLC tables were built with the meter defaults before this rule).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: build tool in plain JavaScript
import { loadManifest } from '../../tools/manifest.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
type Plc = { maxDevices: number; maxNeighbours: number; maxRoutes: number; role: string };
const plcOf = (role: string, platform: string): Plc =>
  (loadManifest(ROOT, role, platform) as { config: { parts: { plc: Plc } } }).config.parts.plc;

describe("manifest: roles override their manifest's defaults", () => {
  const m = JSON.parse(readFileSync(join(ROOT, 'modules/plc/manifest.json'), 'utf8'));
  const all = m.platforms['...'];
  const conc = all.roles.concentrator.config.parts.plc;

  for (const platform of ['lin', 'mps2-an386']) {
    it(`the concentrator's PLC tables on ${platform} are its role's, the meter keeps the defaults`, () => {
      const c = plcOf('concentrator', platform),
        mt = plcOf('meter', platform);
      assert.deepEqual(
        [c.maxDevices, c.maxNeighbours, c.maxRoutes, c.role],
        [conc.maxDevices, conc.maxNeighbours, conc.maxRoutes, 'concentrator'],
      );
      assert.notEqual(conc.maxRoutes, all.config.parts.plc.maxRoutes, 'the role differs from the default');
      assert.deepEqual(
        [mt.maxNeighbours, mt.maxRoutes, mt.role],
        [all.config.parts.plc.maxNeighbours, all.config.parts.plc.maxRoutes, 'meter'],
      );
    });
  }
});

describe('manifest: driver fragments keep each board to its modules', () => {
  const specifiers = (role: string, platform: string): string[] =>
    (loadManifest(ROOT, role, platform) as { modules: { specifier: string }[] }).modules.map((m) => m.specifier);
  // not on the STM32F405 (its RAM): DLMS and head-end drivers, PLC bindings, flash areas, benches
  const big = [
    'drivers/uart/optical',
    'drivers/uart/backhaul',
    'generic/bench/dsp-ts',
    'drivers/crypto/crypto',
    'drivers/crypto/crypto-driver',
    'drivers/deflate/deflate-driver',
    'drivers/macframe/macframe',
    'drivers/plcmodem/plcmodem',
    'drivers/spinor/flash',
  ];

  for (const role of ['meter', 'concentrator'])
    it(`the stm32f405 ${role} has none of them, mps2-an386 has them all`, () => {
      assert.deepEqual(
        big.filter((s) => specifiers(role, 'stm32f405').includes(s)),
        [],
      );
      assert.deepEqual(
        big.filter((s) => !specifiers(role, 'mps2-an386').includes(s)),
        [],
      );
    });

  it("every driver folder's C is built on lin, from its own folder", () => {
    const c = (loadManifest(ROOT, 'meter', 'lin') as { c: string[] }).c.map((f) => f.slice(ROOT.length + 1));
    for (const f of [
      'drivers/nvram/lin/nvram.c',
      'drivers/spinor/lin/spinor.c',
      'drivers/metrology/xs_metro.c',
      'drivers/gridmodel/xs_gridmodel.c',
      'drivers/uart/xs_uart.c',
      'drivers/uart/lin/uart.c',
    ])
      assert.ok(c.includes(f), f);
    assert.ok(!c.some((f) => f.includes('cortex-m4')), 'no Cortex-M4 C on lin');
  });
});
