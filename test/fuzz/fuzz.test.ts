// Every fuzz target briefly (docs/fuzzing.md): the saved corpus (fuzz/corpus/<target>/: seeds
// and every input that ever crashed, hung or ran out of memory) replayed first, then new inputs
// (a fixed count): libFuzzer with ASan/UBSan for the C targets, fast-check for the TypeScript
// decoders. A failure names the input it saved.
import assert from 'node:assert/strict';
import { TARGETS } from '../../fuzz/targets.js';
import { runTarget, savedInputs } from '../../fuzz/run.js';

describe('fuzz targets (npm run fuzz)', () => {
  for (const t of TARGETS) {
    it(`${t.name} (${t.kind}): the saved corpus replays clean, and new inputs find nothing`, async function () {
      // a count, not a time: a loaded machine runs fewer inputs, never none; a native target's
      // first run also builds its sanitized binary
      this.timeout(t.kind === 'native' ? 600000 : 120000);
      const r = await runTarget(t, t.kind === 'native' ? { runs: 5000, seed: 1 } : { runs: 3000, seed: 1 });
      assert.deepEqual(
        r.failures.map((f) => `${f.kind}${f.file ? ` ${f.file}` : ''}: ${f.error}`),
        [],
      );
      assert.ok(r.executions >= (t.kind === 'native' ? 1000 : 3000), `${r.executions} executions`);
      assert.ok(savedInputs(t.name).length > 0, 'the target has a saved corpus');
    });
  }
});
