// Every fuzz target briefly (docs/fuzzing.md): the saved corpus (fuzz/corpus/<target>/: seeds
// and every input that ever crashed, hung or ran out of memory) replayed first, then new inputs
// for about a second: libFuzzer with ASan/UBSan for the C targets, fast-check for the TypeScript
// decoders. A failure names the input it saved.
import assert from 'node:assert/strict';
import { TARGETS } from '../../fuzz/targets.js';
import { runTarget, savedInputs } from '../../fuzz/run.js';

describe('fuzz targets (npm run fuzz)', function () {
  this.timeout(120000);
  for (const t of TARGETS) {
    it(`${t.name} (${t.kind}): the saved corpus replays clean, and new inputs find nothing`, async () => {
      const r = await runTarget(t, t.kind === 'native' ? { timeS: 1, seed: 1 } : { runs: 3000, seed: 1 });
      assert.deepEqual(
        r.failures.map((f) => `${f.kind}${f.file ? ` ${f.file}` : ''}: ${f.error}`),
        [],
      );
      assert.ok(r.executions >= (t.kind === 'native' ? 1000 : 3000), `${r.executions} executions`);
      assert.ok(savedInputs(t.name).length > 0, 'the target has a saved corpus');
    });
  }
});
