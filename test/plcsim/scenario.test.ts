// Scenarios for network runs (emulator/scenario.ts): the file format's checks, what each action
// sends to a meter's shell, and a simulated run in which every meter's supply is cut and restored
// at the same instants (--storm-at): the meters boot again on their NVRAM and rejoin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meterCommand, noiseBursts, parseScenario, ScenarioError } from '../../emulator/scenario.js';
import { runSim, STORM_OUTAGE_S } from '../../emulator/sim.js';

describe('scenarios: the file format', () => {
  const bad: [string, RegExp][] = [
    ['[]', /expects an object with an "events" array/],
    ['{"events":[{"at":1,"do":"explode","meters":"all"}]}', /^event 1: "do" must be one of/],
    ['{"events":[{"at":-1,"do":"off","meters":"all"}]}', /^event 1 \(off\): "at" must be a number/],
    ['{"events":[{"at":1,"do":"off","meters":[9]}]}', /meter 9 is not one of 1\.\.4/],
    ['{"events":[{"at":1,"do":"off","meters":[]}]}', /"meters" must be "all" or a list/],
    ['{"events":[{"at":1,"do":"sag","meters":"all","phase":1,"factor":1.5,"durationS":1}]}', /"factor" must be a number 0\.\.0\.99/],
    ['{"events":[{"at":1,"do":"load","meters":"all","phase":1,"vrms":230,"irms":5,"colour":1}]}', /unknown field "colour"/],
    ['{"events":[{"at":1,"do":"shell","node":"concentrator","command":"A\\u0001"}]}', /"command" must be 1\.\.120 printable/],
    ['{"events":[', /^not JSON/],
    ['{"events":[{"at":1,"do":"unmetered","phase":4,"irms":1}]}', /\(unmetered\): "phase" must be a number 1\.\.3/],
    ['{"events":[{"at":1,"do":"unmetered","phase":1,"irms":101}]}', /\(unmetered\): "irms" must be a number 0\.\.100/],
    ['{"events":[{"at":1,"do":"unmetered","meters":"all","phase":1,"irms":1}]}', /\(unmetered\): unknown field "meters"/],
  ];
  for (const [text, re] of bad)
    it(`refuses ${text.slice(0, 60)}`, () => {
      assert.throws(
        () => parseScenario(text, 4),
        (e: unknown) => e instanceof ScenarioError && re.test(e.message),
      );
    });

  it('sorts events by time, keeping the file order at one instant', () => {
    const s = parseScenario(
      JSON.stringify({
        events: [
          { at: 9, do: 'on', meters: [1] },
          { at: 3, do: 'off', meters: [1] },
          { at: 3, do: 'kick', meters: [2] },
        ],
      }),
      4,
    );
    assert.deepEqual(
      s.events.map((e) => `${e.at}${e.do}`),
      ['3off', '3kick', '9on'],
    );
  });

  it('turns grid events into the meter shell commands and noise into channel bursts', () => {
    const s = parseScenario(
      JSON.stringify({
        events: [
          { at: 1, do: 'load', meters: [1], phase: 2, vrms: 230.5, irms: 12.25, angleDeg: -30 },
          { at: 2, do: 'sag', meters: [1], phase: 0, factor: 0.7, durationS: 1.5 },
          { at: 3, do: 'tamper', meters: 'all', kind: 'magnet', durationS: 4 },
          { at: 4, do: 'noise', meters: [2, 3], levelDbuv: 80, durationS: 10 },
        ],
      }),
      3,
    );
    assert.deepEqual(
      s.events.map((e) => meterCommand(e)),
      ['METRO LOAD 2 230500 12250 -3000', 'METRO EVENT 2 0 700 1500', 'METRO EVENT 6 0 2 4000', undefined],
    );
    assert.deepEqual(
      noiseBursts(s, 3, (i) => `m${i}`),
      [{ startMs: 4000, durationMs: 10000, levelDbuv: 80, nodes: ['m2', 'm3'] }],
    );
  });

  it('npm run sim: a bad scenario file is one line and exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scn-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"events":[{"at":1,"do":"off","meters":[7]}]}');
    for (const [args, re] of [
      [['--scenario', file], /^sim: --scenario .*bad\.json: event 1 \(off\): "meters": meter 7 is not one of 1\.\.3/],
      [['--scenario', join(dir, 'missing.json')], /^sim: --scenario .*missing\.json: ENOENT/],
      [['--storm-at', 'noon'], /^sim: --storm-at expects a simulated second/],
    ] as [string[], RegExp][]) {
      const r = spawnSync('node', ['--import', 'tsx', 'emulator/sim.ts', '--meters', '3', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('scenarios: a storm on the simulated clock', function () {
  this.timeout(180000);
  it('--storm-at: every meter is cut and restored at the same instants, boots on its NVRAM and rejoins', async () => {
    const lines: string[] = [];
    const s = await runSim({ meters: 3, board: 0, seed: 5, until: 150 + STORM_OUTAGE_S + 120, stormAt: 150 }, (l) => lines.push(l));
    assert.equal(s.clock, 'simulated');
    assert.ok(s.scenario, 'the summary reports the scenario');
    assert.equal(s.scenario.powerOffs, 3);
    assert.equal(s.scenario.powerOns, 3);
    assert.equal(s.scenario.skipped, 0);
    assert.equal(s.scenario.rejoins, 3, JSON.stringify(s.scenario));
    assert.equal(s.nodeClocks.waitExpired + s.nodeClocks.holdOverflow + s.nodeClocks.asleepRequests, 0, JSON.stringify(s.nodeClocks));
  });
});

describe('scenarios: the examples', () => {
  it('examples/scenarios/*.json parse for a 4-meter network', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const files = readdirSync('examples/scenarios').filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0);
    for (const f of files) assert.ok(parseScenario(readFileSync(join('examples/scenarios', f), 'utf8'), 4).events.length > 0, f);
  });
});
