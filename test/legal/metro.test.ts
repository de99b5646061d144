// The metrology in the running firmware (lin and mps2-an386): METRO LOAD a known load, then
// METRO SHOW's powers, rms values and energy registers against the exact truth of the scenario
// (test/metrology/truth.ts), and METRO GET_DATA's records in order. Waits for lines, not time.
import assert from 'node:assert/strict';
import { FirmwareNode, type Platform } from '../../emulator/node.js';
import { truth, UWH_PER_J, type Scenario } from '../metrology/truth.js';

const LIMIT = { active: 0.002, reactive: 0.005, rms: 0.001 };
const relErr = (m: number, e: number) => Math.abs(m - e) / Math.abs(e);

// phase: [Vrms mV, Irms mA, angle centidegrees]
const LOADS: [number, number, number][] = [
  [230000, 5000, 6000],
  [231000, 2500, 0],
  [229000, 6000, -3687],
];
const SCN: Scenario = {
  freq: 50,
  seconds: 1,
  phases: LOADS.map(([mv, ma, cd], k) => ({ vrms: mv / 1000, irms: ma / 1000, angle: cd / 100, vAngle: [0, -120, 120][k]! })),
};

type Show = Map<string, number>;
async function show(node: FirmwareNode): Promise<Show | undefined> {
  const lines = await node.command('METRO SHOW', /^(ERROR|AP=)/);
  if (lines.some((l) => l.startsWith('ERROR'))) return undefined;
  return new Map(lines.map((l) => l.split('=') as [string, string]).map(([k, v]) => [k, Number(v)]));
}
// Polls METRO SHOW until the DSP second reaches `second`.
async function showAt(node: FirmwareNode, second: number): Promise<Show> {
  for (;;) {
    const s = await show(node);
    if (s && s.get('second')! >= second) return s;
    await node.waitFor(/^$/, 300).catch(() => undefined); // let a little time pass (no fixed sleep needed for correctness)
  }
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`legal: metrology in the firmware on ${platform}`, function () {
    this.timeout(60000);
    let node: FirmwareNode;
    before(async () => {
      node = await FirmwareNode.start({ platform, role: 'meter' });
      await node.waitFor(/^PARTS started$/);
    });
    after(async () => {
      await node.stop();
    });

    it('wrong METRO LOAD parameters give the usual ERROR line', async () => {
      for (const bad of [
        'METRO LOAD 4 230000 5000 0',
        'METRO LOAD 1 230000 5000',
        'METRO LOAD 1 -5 5000 0',
        'METRO LOAD 1 230000 5000 18001',
        'METRO LOAD 1 230000 5000 0 70000',
        'METRO LOAD 1 x 1 1',
        'METRO GET_DATA 0',
      ]) {
        const lines = await node.command(bad, /^ERROR /);
        assert.equal(lines.length, 1, bad);
      }
    });

    it('METRO SHOW matches the truth of a loaded scenario (P 0.2 %, Q 0.5 %, V/I 0.1 %)', async () => {
      let from = 0;
      for (const [k, [mv, ma, cd]] of LOADS.entries()) {
        const [line] = await node.command(`METRO LOAD ${k + 1} ${mv} ${ma} ${cd}`, /^METRO LOAD /);
        from = Math.max(from, Number(/second=(\d+)/.exec(line!)![1]));
      }
      const a = await showAt(node, from + 1);
      const b = await showAt(node, a.get('second')! + 2);
      const secs = b.get('second')! - a.get('second')!;
      let pSum = 0,
        qSum = 0;
      SCN.phases.forEach((_, p) => {
        const t = truth(SCN, p, 0, 1); // one second; every second after the load is the same
        const L = `L${p + 1}.`;
        assert.ok(relErr(b.get(L + 'P')!, t.active) <= LIMIT.active, `${L}P ${b.get(L + 'P')} vs ${t.active}`);
        assert.ok(
          relErr(b.get(L + 'Q')!, t.reactive) <= LIMIT.reactive || (Math.abs(t.reactive) < 1e-9 && Math.abs(b.get(L + 'Q')!) < 0.5),
          `${L}Q ${b.get(L + 'Q')} vs ${t.reactive}`,
        );
        assert.ok(relErr(b.get(L + 'V')!, Math.sqrt(t.v2)) <= LIMIT.rms, `${L}V`);
        assert.ok(relErr(b.get(L + 'I')!, Math.sqrt(t.i2)) <= LIMIT.rms, `${L}I`);
        assert.ok(Math.abs(b.get(L + 'F')! - 50) < 0.005, `${L}F`);
        pSum += t.active;
        qSum += t.reactive;
      });
      assert.ok(relErr(b.get('P')!, pSum) <= LIMIT.active, `P ${b.get('P')} vs ${pSum}`);
      // energy registers over whole seconds between the two snapshots (Wh, varh)
      const dA = b.get('A+')! - a.get('A+')!,
        expA = (pSum * secs * UWH_PER_J) / 1e6;
      assert.ok(relErr(dA, expA) <= LIMIT.active, `A+ ${dA} vs ${expA}`);
      // Q1 + Q4 from the inductive and capacitive phases
      const q1 = SCN.phases.reduce((acc, _, p) => acc + Math.max(0, truth(SCN, p, 0, 1).reactive), 0);
      const dQ = b.get('R.Q1')! + b.get('R.Q4')! - (a.get('R.Q1')! + a.get('R.Q4')!),
        expQ = (qSum * secs) / 3600;
      assert.ok(relErr(dQ, expQ) <= LIMIT.reactive, `R.Q1+R.Q4 ${dQ} vs ${expQ} (q1 ${q1})`);
      assert.equal(b.get('A-')! - a.get('A-')!, 0);
    });

    it('METRO GET_DATA pops records oldest first with increasing timestamps and energy', async () => {
      const s = await show(node);
      await showAt(node, s!.get('second')! + 2); // at least two fresh records
      const lines = await node.command('METRO GET_DATA 32', /^records=/);
      const recs = lines.filter((l) => l.startsWith('t=')).map((l) => new Map(l.split(' ').map((kv) => kv.split('=') as [string, string])));
      assert.ok(recs.length >= 2, lines.join('\n'));
      assert.match(lines.at(-1)!, new RegExp(`^records=${recs.length} left=0 `));
      for (let k = 1; k < recs.length; k++) {
        assert.ok(Number(recs[k]!.get('t')) > Number(recs[k - 1]!.get('t')), 'timestamps increase');
        assert.ok(Number(recs[k]!.get('A+')) >= Number(recs[k - 1]!.get('A+')), 'A+ never decreases');
      }
      const again = await node.command('METRO GET_DATA 32', /^records=/);
      // what was popped is gone: anything left is newer
      for (const l of again.filter((x) => x.startsWith('t='))) assert.ok(Number(/^t=(\d+)/.exec(l)![1]) > Number(recs.at(-1)!.get('t')));
    });
  });
}
