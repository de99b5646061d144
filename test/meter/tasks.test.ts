// The meter's DLMS application is its own task, started from meter/ (index.ts); the optical
// port's folder starts only the port in front of it (optical/index.ts creates no task).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const NONLEGAL = join(import.meta.dirname, '..', '..', 'modules', 'nonlegal');
const read = (f: string) => readFileSync(join(NONLEGAL, f), 'utf8');

describe('meter: the DLMS application and the optical port start apart', () => {
  it('meter/index.ts creates the DLMS task; optical/index.ts creates none and takes the started meter', () => {
    assert.match(read('meter/index.ts'), /RunService\('task\.create', \{\s*name: 'DLMS'/);
    const optical = read('optical/index.ts');
    assert.doesNotMatch(optical, /task\.create/);
    assert.doesNotMatch(optical, /createMeter|LegalLink/);
    assert.match(optical, /export function start\(RunService: RunServiceFn, app: MeterApp, cfg: OpticalConfig\)/);
  });

  it("NON-LEGAL's main starts the meter's application, then the port with it", () => {
    assert.match(read('main.ts'), /p\.start\(RunService, a\.startMeter\(RunService, o\), o\)/);
  });
});
