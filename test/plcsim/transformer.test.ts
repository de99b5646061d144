// The simulated transformer (emulator/transformer.ts): the concentrator's METRO LOAD per grid phase
// is the phasor sum of the meters' loads and the unmetered ones; a meter off drops out; only
// changes are sent; a sum beyond the front-end model's 100 A is refused with the phase named.
import assert from 'node:assert/strict';
import { TransformerModel, TransformerRangeError } from '../../emulator/transformer.js';

describe('simulated transformer', () => {
  const phases = ['L1', 'L2', '3P', 'L1'] as const;
  const model = () => new TransformerModel((i) => phases[i - 1]!);

  it('sums the meters of each grid phase and the unmetered load, as phasors', () => {
    const t = model();
    t.load(1, 1, 230, 5, 0);
    t.load(4, 1, 230, 3, 90); // purely reactive: no active power
    t.load(2, 1, 230, 2, 0);
    t.load(2, 2, 230, 9, 0); // a single-phase meter has no phase 2: refused there, not counted
    t.load(3, 3, 230, 4, 0); // the three-phase meter's L3
    t.unmetered(3, 230, 1, 0);
    const p = t.power();
    assert.ok(Math.abs(p[0]!.p - 1150) < 1e-6 && Math.abs(p[0]!.q - 690) < 1e-6, JSON.stringify(p));
    assert.ok(Math.abs(p[1]!.p - 460) < 1e-6);
    assert.ok(Math.abs(p[2]!.p - 1150) < 1e-6);
    const cmds = t.commands();
    // L1: |S| = 230 * sqrt(5^2 + 3^2) = 230 * 5.831 A at atan(3/5) = 30.96 degrees
    assert.deepEqual(cmds, ['METRO LOAD 1 230000 5831 3096', 'METRO LOAD 2 230000 2000 0', 'METRO LOAD 3 230000 5000 0']);
    assert.deepEqual(t.commands(), [], 'nothing changed');
    t.off(1);
    assert.deepEqual(t.commands(), ['METRO LOAD 1 230000 3000 9000']);
  });

  it('a phase beyond the model is refused, naming it', () => {
    const t = model();
    t.load(1, 1, 230, 60, 0);
    t.load(4, 1, 230, 50, 0);
    assert.throws(
      () => t.commands(),
      (e: unknown) => e instanceof TransformerRangeError && /L1 carries 110\.0 A/.test(e.message),
    );
  });
});
