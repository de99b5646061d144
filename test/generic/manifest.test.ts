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
