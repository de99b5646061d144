// The energy balance end to end (docs/concentrator.md, "Energy balance"): 4 lin meters (single
// phase: L1, L3, L1, L1 in seed 1's topology) and the concentrator on the simulated clock for 2
// simulated hours, with examples/scenarios/unmetered.json: the meters draw 5, 3, 4 and 2 A from
// 300 s, and an unmetered 2 A (460 W) on L3 from 300 s to 4500 s. The concentrator's own METRO
// measures the transformer (emulator/transformer.ts); DC BALANCE's difference is the unmetered
// energy on L3 and about 0 on L1 and L2, and the same rows reach the head-end's balance table.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, SIM_EPOCH_S } from '../../emulator/sim.js';
import { openSqlite } from '../../tools/headend/db.js';
import { query } from '../../tools/headend/store.js';

const UNMETERED_W = 230 * 2;
const FROM_S = 300,
  TO_S = 4500;
/** Documented in docs/concentrator.md ("Energy balance"): |difference - unmetered| per phase and interval. */
const TOLERANCE_WH = 3;

/** The unmetered energy in the interval ending at capture (unix s), Wh. */
function unmeteredWh(captureS: number): number {
  const end = captureS - SIM_EPOCH_S,
    start = end - 900;
  return (UNMETERED_W * Math.max(0, Math.min(end, TO_S) - Math.max(start, FROM_S))) / 3600;
}

describe('energy balance: an unmetered load behind the transformer (4 meters, 2 simulated hours)', function () {
  this.timeout(900000);
  let dir: string | undefined;
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the difference is the unmetered energy on its phase, ~0 on the others, in DC BALANCE and in the head-end', async () => {
    dir = mkdtempSync(join(tmpdir(), 'meterfw-balance-'));
    const file = join(dir, 'he.db');
    const s = await runSim({
      meters: 4,
      board: 0,
      seed: 1,
      until: 2 * 3600,
      scenario: 'examples/scenarios/unmetered.json',
      headend: file,
    });
    const b = s.balance;
    assert.ok(b, 'the summary has the concentrator balance');
    assert.equal(b.undeclared, 0, 'every meter was told its phase');
    const complete = b.rows.filter((r) => r.complete === true);
    assert.ok(complete.length >= 4, JSON.stringify(b.rows));
    let withLoad = 0,
      without = 0,
      errL3 = 0,
      errOther = 0;
    for (const r of complete) {
      const want = unmeteredWh(Number(r.capture));
      const at = `interval ${Number(r.capture) - SIM_EPOCH_S}: ${JSON.stringify(r)}`;
      assert.equal(r.in, 4, at);
      assert.ok(Math.abs(Number(r.l3DiffWh) - want) <= TOLERANCE_WH, `L3 ${at} want ${want}`);
      assert.ok(Math.abs(Number(r.l1DiffWh)) <= TOLERANCE_WH, `L1 ${at}`);
      assert.ok(Math.abs(Number(r.l2DiffWh)) <= TOLERANCE_WH, `L2 ${at}`);
      assert.ok(Math.abs(Number(r.diffWh) - want) <= TOLERANCE_WH, `total ${at} want ${want}`);
      // the meters' own energy is in too: about 14 A x 230 V on L1 and L3
      assert.ok(Number(r.metersWh) > 600, at);
      errL3 = Math.max(errL3, Math.abs(Number(r.l3DiffWh) - want));
      errOther = Math.max(errOther, Math.abs(Number(r.l1DiffWh)), Math.abs(Number(r.l2DiffWh)));
      if (want > 100) withLoad++;
      if (want === 0) without++;
    }
    assert.ok(withLoad >= 2 && without >= 1, `intervals with and without the unmetered load: ${withLoad}, ${without}`);
    // the figure docs/concentrator.md quotes
    process.stdout.write(
      `      balance: ${complete.length} complete intervals; max |L3 difference - unmetered| ${errL3.toFixed(1)} Wh, max |L1|, |L2| difference ${errOther.toFixed(1)} Wh\n`,
    );
    // the head-end's table holds the complete intervals the concentrator sent, with the same difference
    const db = await openSqlite(file);
    try {
      const rows = await query(db, 'balance', { periodS: 900 });
      const byCapture = new Map(rows.map((r) => [Number(r.capture_s), r]));
      let found = 0;
      for (const r of complete) {
        const h = byCapture.get(Number(r.capture));
        if (!h) continue; // completed after the last upload was acked
        found++;
        assert.equal(h.complete, true);
        assert.equal(h.meters, '4/4');
        assert.ok(Math.abs(Number(h.l3_diff_wh) - Number(r.l3DiffWh)) <= 0.1, JSON.stringify([h, r]));
      }
      assert.ok(found >= complete.length - 1, `head-end balance rows: ${found} of ${complete.length}`);
    } finally {
      await db.close();
    }
  });
});
