// The soak, short (docs/soak.md): 8 lin meters and the concentrator for 2 simulated hours with
// the soak's scenario (an outage, a noise burst, a kick and its rejoin, a rekey per cycle), every
// node's XS heap sampled (SYS MEM), the head-end storing the collected intervals: no heap growth
// trend above the documented threshold, no reset, no lost or duplicated record
// (npm run sim -- --meters 8 --hours 2 --soak). The full run (64 meters, 7 days) is the same with
// other figures.
import assert from 'node:assert/strict';
import { runSim } from '../../emulator/sim.js';
import { type HeapSample, heapTrend, SOAK_MAX_SLOTS_PER_DAY, slopePerDay, soakScenario, trendFailures } from '../../emulator/soak.js';

const METERS = 8;
const HOURS = 2;

describe('soak: the verdict', () => {
  const series = (perDay: number, boots: number[]): HeapSample[] =>
    boots.flatMap((boot, b) =>
      Array.from({ length: 6 }, (_, k) => {
        const tS = b * 21600 + k * 3600;
        // a power cut starts the heap again at another level: not growth
        return { tS, boot, upS: 7200 + k * 3600, chunks: 30000 + 5000 * b, slots: 9000 + 700 * b + (perDay * tS) / 86400 };
      }),
    );

  it('the slope is per boot: a level that differs after a power cut is not a trend', () => {
    assert.equal(
      slopePerDay(series(0, [1, 2, 3]), (s) => s.slots),
      0,
    );
    assert.equal(
      slopePerDay(series(0, [1, 2, 3]), (s) => s.chunks),
      0,
    );
  });

  it('a steady growth is measured per simulated day; above the threshold and beyond the noise it fails', () => {
    const t = heapTrend(series(400, [1, 2]));
    assert.equal(t.slotsPerDay, 400);
    assert.ok(t.slotsPerDay! > SOAK_MAX_SLOTS_PER_DAY);
    assert.equal(t.chunksPerDay, 0);
    // 400 slots a day over 5 hours is within the sample-to-sample noise; over a week it is a leak
    assert.deepEqual(trendFailures('n', t), []);
    const week = heapTrend(
      Array.from({ length: 168 }, (_, k) => ({ tS: k * 3600, boot: 1, upS: 7200 + k * 3600, chunks: 30000, slots: 9000 + (400 * k) / 24 })),
    );
    assert.equal(week.slotsPerDay, 400);
    assert.equal(trendFailures('n', week).length, 1);
  });

  it('samples in the warm-up after a boot do not count; too few give no slope', () => {
    const s = series(400, [1]).map((x, k) => ({ ...x, upS: k * 600 }));
    assert.equal(heapTrend(s).samples, 0);
    assert.equal(heapTrend(s).slotsPerDay, null);
  });

  it('the scenario has the same shape at any length; no outage covers a 15-minute capture', () => {
    for (const [meters, hours] of [
      [METERS, HOURS],
      [64, 168],
    ] as const) {
      const ev = soakScenario(meters, hours);
      for (const what of ['outage', 'noise', 'kick', 'shell'])
        assert.ok(
          ev.some((e) => e.do === what),
          `${meters} meters, ${hours} h: no ${what}`,
        );
      for (const e of ev) {
        assert.ok(e.at < hours * 3600);
        if (e.do === 'outage') assert.equal(Math.floor(e.at / 900), Math.floor((e.at + e.durationS) / 900), `outage at ${e.at}`);
      }
    }
    // every meter loses its supply at least once in the week
    const out = new Set(
      soakScenario(64, 168)
        .filter((e) => e.do === 'outage')
        .flatMap((e) => (e.do === 'outage' && e.meters !== 'all' ? e.meters : [])),
    );
    assert.equal(out.size, 64);
  });
});

describe(`soak: ${METERS} meters for ${HOURS} simulated hours`, function () {
  this.timeout(1_800_000);

  it('no heap growth trend, no reset, every interval of every meter collected once', async () => {
    const lines: string[] = [];
    const s = await runSim({ meters: METERS, board: 0, seed: 1, until: HOURS * 3600, soak: true }, (l) => lines.push(l));
    const v = s.soak;
    assert.ok(v, 'the summary has the soak verdict');
    const info = JSON.stringify({ failures: v.failures, scenario: s.scenario, records: v.records });
    // the scenario ran: a power cut and a boot, a kick and its rejoin, a rekey
    assert.ok(s.scenario && s.scenario.powerOffs >= 1 && s.scenario.powerOns >= 1 && s.scenario.kicks >= 1, info);
    assert.ok(s.scenario.rejoins >= 2, info);
    // heap: every node sampled after its warm-up, slopes within the thresholds
    assert.equal(Object.keys(v.heap).length, METERS + 1);
    for (const [name, t] of Object.entries(v.heap)) {
      assert.ok(t.samples >= 3 && t.slotsPerDay !== null && t.chunksPerDay !== null, `${name}: ${JSON.stringify(t)}`);
      assert.deepEqual(trendFailures(name, t), []);
    }
    // no reset the scenario did not make
    assert.deepEqual(v.resets, {}, info);
    // records: every meter, none missing, none twice, read up to the end
    assert.ok(v.records, info);
    assert.equal(v.records.meters, METERS, info);
    assert.equal(v.records.missing, 0, info);
    assert.equal(v.records.duplicates, 0, info);
    assert.deepEqual(v.records.behind, [], info);
    assert.ok(v.passed, info);
  });
});
