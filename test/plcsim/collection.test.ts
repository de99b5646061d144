// The concentrator's job end to end, short: 16 lin meters and the concentrator on the simulated
// clock for 2 simulated hours, every meter's supply lost at the same instant in the middle, the
// head-end receiver storing into SQLite (npm run sim -- --meters 16 --hours 2 --storm-at 3000
// --headend FILE). Every aligned 15-minute interval of every meter arrives once, and every
// meter's power-fail and power-restore alarms arrive, with their latency.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSim, STORM_OUTAGE_S, SIM_EPOCH_S } from '../../emulator/sim.js';
import { openSqlite } from '../../tools/headend/db.js';

const METERS = 16;
const HOURS = 2;
const STORM_S = 3000; // not on a 15-minute boundary: no interval falls in the outage

describe('collection: 16 meters for 2 simulated hours with a storm, into the head-end', function () {
  this.timeout(600000);
  let dir: string | undefined;
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every interval of every meter once; every power-fail and restore alarm delivered', async () => {
    dir = mkdtempSync(join(tmpdir(), 'meterfw-collect-'));
    const file = join(dir, 'he.db');
    const lines: string[] = [];
    const s = await runSim({ meters: METERS, board: 0, seed: 1, until: HOURS * 3600, stormAt: STORM_S, headend: file }, (l) =>
      lines.push(l),
    );
    const he = s.headend;
    assert.ok(he, 'the summary has the head-end totals');
    assert.equal(s.scenario?.rejoins, METERS, JSON.stringify(s.scenario));
    assert.equal(he.meters, METERS, JSON.stringify(he));
    assert.equal(he.missing, 0, JSON.stringify(he));
    assert.equal(he.duplicates, 0, JSON.stringify(he));
    assert.equal(he.rejected + he.malformed, 0, JSON.stringify(he));
    assert.ok(he.intervalsStored >= he.intervalsExpected && he.intervalsExpected >= METERS * (HOURS * 4 - 2), JSON.stringify(he));

    const db = await openSqlite(file);
    try {
      // each meter's intervals: one per aligned capture, none missing between its first and last
      const rows = await db.all('SELECT meter, capture_s FROM intervals ORDER BY meter, capture_s');
      const byMeter = new Map<string, number[]>();
      for (const r of rows) {
        const t = Number(r.capture_s);
        if (t % 900 !== 0) continue; // a capture at power restore (irregular), kept as well
        const list = byMeter.get(String(r.meter)) ?? [];
        list.push(t);
        byMeter.set(String(r.meter), list);
      }
      assert.equal(byMeter.size, METERS);
      for (const [m, times] of byMeter) {
        for (let k = 1; k < times.length; k++) assert.equal(times[k]! - times[k - 1]!, 900, `${m}: gap after ${times[k - 1]}`);
        assert.ok(times.at(-1)! >= SIM_EPOCH_S + HOURS * 3600 - 1800, `${m}: read up to ${times.at(-1)! - SIM_EPOCH_S}`);
      }
      // the storm: a POWER_FAIL (code 1) and a POWER_RESTORE (code 2) from every meter, stamped
      // around the outage on the meters' legal clocks
      const alarms = await db.all('SELECT meter, code, event_s, latency_s FROM alarms WHERE code IN (1, 2)');
      for (const code of [1, 2]) {
        const from = new Set(alarms.filter((a) => Number(a.code) === code).map((a) => String(a.meter)));
        assert.equal(from.size, METERS, `code ${code} from ${from.size} meters`);
      }
      for (const a of alarms) {
        const t = Number(a.event_s) - SIM_EPOCH_S;
        assert.ok(t >= STORM_S - 900 && t <= STORM_S + STORM_OUTAGE_S + 60, `${String(a.meter)} code ${a.code} at ${t} s`);
        assert.ok(Number(a.latency_s) >= 0 && Number(a.latency_s) < 1800, `latency ${a.latency_s}`);
      }
    } finally {
      await db.close();
    }
    assert.ok(he.alarmLatencyS.max !== null && he.alarmLatencyS.p50 !== null && he.alarmLatencyS.p50 <= he.alarmLatencyS.max);
  });
});
