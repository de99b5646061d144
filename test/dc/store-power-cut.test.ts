// The concentrator's durable uplink in the firmware (modules/nonlegal/dc/store.ts): a lin
// concentrator on a SPI NOR file with the head-end receiver (npm run headend -- serve) connected to
// its backhaul port, killed by `--spinor-cut random:SEED` (a power cut at a random program or erase:
// log batches, sector headers, erases, counters records) while it stores HE TEST records and
// uploads them, then booted again on the same file, round after round. A round's records count as
// taken once `DC SYNC` has answered (the point where the registry would save its cursors); a round
// cut before that is made again in the next boot, as the scheduler reads again past a cursor that
// was not saved. At the end, one boot without a cut sends what is left: the head-end holds every
// interval exactly once, nothing is missing, the logs read back (DC STORE: nothing unacked; the
// torn records the cuts left are counted as dropped) and each cut is listed with its outcome.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode, firmwarePath, freePort } from '../../emulator/node.js';
import { headend, type Proc } from '../headend/helpers.js';

const METERS = 8,
  INTERVALS = 12; // per round: 96 records, about 5 KB of profile log (a cut falls in 1..64 operations)
const T0 = 1_790_000_100 - (1_790_000_100 % 900);
const ROUNDS = Number(process.env.DC_STORE_CUT_ROUNDS ?? 8);
const stat = (line: string, key: string) => Number(new RegExp(`\\b${key.replace('.', '\\.')}=(\\d+)`).exec(line)?.[1]);

function summary(db: string): Record<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/headend/main.ts', 'summary', '--db', db, '--json'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe('DC store on lin: power cuts at random NOR operations during storage writes and uploads', function () {
  this.timeout(1200000);
  const fw = firmwarePath('lin', 'concentrator');
  let dir: string | undefined;
  let node: FirmwareNode | undefined;
  let he: Proc | undefined;
  before(function () {
    if (!existsSync(fw)) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'dc-store-cut-'));
  });
  after(async () => {
    await node?.stop();
    he?.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${ROUNDS} boots cut at random, then one without: every interval at the head-end exactly once`, async () => {
    const port = await freePort();
    const db = join(dir!, 'he.db'),
      spinor = join(dir!, 'c.nor');
    he = headend(['serve', '--db', db, '--connect', `127.0.0.1:${port}`, '--retry-ms', '100']);
    let round = 0; // the next round of records to make
    const outcomes: string[] = [];
    for (let boot = 0; boot <= ROUNDS; boot++) {
      const last = boot === ROUNDS;
      node = await FirmwareNode.start({
        platform: 'lin',
        role: 'concentrator',
        spinor,
        backhaulPort: port,
        readyTimeout: 60000,
        ...(last ? {} : { spinorCut: `random:${0x5107 + boot}` }),
      });
      const n = node;
      let what = '';
      try {
        await n.waitFor(/^PARTS started$/, 60000);
        // the store starts with NON-LEGAL's DLMS client, just after the parts
        let b = '';
        for (let k = 0; k < 100 && !b.startsWith('DC STORE'); k++) b = (await n.command('DC STORE', /^(DC STORE |ERROR)/, 30000))[0]!;
        what = `last stop ${/lastStop=(\w+)/.exec(b)?.[1]}, unacked ${stat(b, 'profiles.unacked')}`;
        // three more rounds of records per boot (about 50 NOR operations: a cut falls in 1..64);
        // a round cut before DC SYNC answered is made again
        const target = round + 3;
        while (round < target) {
          await n.command(`HE TEST ${METERS} ${INTERVALS} ${T0 + round * INTERVALS * 900}`, /^HE TEST records=/, 120000);
          await n.command('DC SYNC', /^DC STORE /, 30000);
          round++;
        }
        // uploads and acks go on until the cut (or all acked)
        for (let k = 0; k < 600; k++) {
          const line = (await n.command('DC STORE', /^DC STORE /, 30000))[0]!;
          if (stat(line, 'profiles.unacked') === 0) break;
          if (n.exitCode !== null) throw new Error('exited');
          await he!.waitLine(/upload/, 1000, he!.lines.length).catch(() => undefined);
        }
        if (!last) {
          // not cut yet: power off (a kill, the same as a cut without a torn operation)
          await n.stop();
          outcomes.push(`boot ${boot} (${what}): no cut, killed; rounds taken ${round}`);
        }
      } catch (e) {
        const cut = n.lines.find((l) => l.startsWith('POWER CUT spinor'));
        if (!cut) throw e;
        assert.equal(await n.wait(), 3);
        outcomes.push(`boot ${boot} (${what}): ${cut.replace('POWER CUT spinor ', '')}; rounds taken ${round}`);
      }
    }
    const n = node!;
    // the last boot: everything acked, the logs read back whole
    let line = '';
    for (let k = 0; k < 1200; k++) {
      line = (await n.command('DC STORE', /^DC STORE /, 30000))[0]!;
      if (stat(line, 'profiles.unacked') === 0 && stat(line, 'profiles.inflight') === 0) break;
      await he.waitLine(/upload/, 200, he.lines.length).catch(() => undefined);
    }
    assert.equal(stat(line, 'profiles.unacked'), 0, line);
    assert.equal(stat(line, 'profiles.expired'), 0, line);
    assert.equal(stat(line, 'profiles.full'), 0, line);
    const wear = await n.command('FLASH WEAR', /^WEAR chip/);
    he.child.kill('SIGTERM');
    assert.equal(await he.exit, 0);
    const s = summary(db);
    for (const o of outcomes) console.log(`      ${o}`);
    console.log(`      ${line}`);
    console.log(`      ${wear.find((l) => l.startsWith('WEAR profiles'))}`);
    console.log(
      `      head-end: meters=${s.meters} intervals stored=${s.intervalsStored} expected=${s.intervalsExpected} missing=${s.missing} resent and stored once=${s.duplicates}`,
    );
    assert.equal(s.meters, METERS);
    assert.equal(s.intervalsExpected, METERS * INTERVALS * round);
    assert.equal(s.intervalsStored, METERS * INTERVALS * round);
    assert.equal(s.missing, 0);
    assert.ok(outcomes.filter((o) => o.includes('op=')).length >= ROUNDS / 2, outcomes.join('\n'));
  });

  it("LEGAL's supply lost: the logs flushed and the shutdown marker written; the next boot says clean, a kill says cut", async () => {
    const spinor = join(dir!, 'pf.nor');
    const start = () => FirmwareNode.start({ platform: 'lin', role: 'concentrator', spinor, readyTimeout: 60000 });
    const store = async (n: FirmwareNode): Promise<string> => {
      let b = '';
      for (let k = 0; k < 100 && !b.startsWith('DC STORE'); k++) b = (await n.command('DC STORE', /^(DC STORE |ERROR)/, 30000))[0]!;
      return b;
    };
    node = await start();
    await node.waitFor(/^PARTS started$/, 60000);
    assert.match(await store(node), /lastStop=new /);
    // records gathered in RAM (a batch not full): the power-loss signal programs them
    await node.command(`HE TEST 1 3 ${T0}`, /^HE TEST records=3 refused=0/);
    assert.equal(stat(await store(node), 'profiles.bytes'), 16); // the sector header only
    // NON-LEGAL has seen LEGAL's supply, then the interruption on every phase
    // (METRO EVENT 4: LEGAL's front-end model), for a minute
    for (let k = 0; k < 100000 && !/ supply=seen /.test(await store(node)); k++);
    await node.command('METRO EVENT 4 0 0 60000', /^METRO EVENT/);
    const lost = await node.waitFor(/^TRACE WARN NON-LEGAL: DC STORE supply lost \(\d+ V\): logs flushed, shutdown marker written$/, 30000);
    const after = await store(node);
    assert.ok(stat(after, 'profiles.bytes') >= 16 + 3 * 52, after); // the header and three 52-byte records
    await node.stop(); // the supply is gone: the process is killed
    node = await start();
    const boot = await node.waitFor(/^TRACE \w+ NON-LEGAL: DC STORE boot|^PARTS started$/, 60000);
    const b = await store(node);
    assert.match(b, /lastStop=clean boots=2 /);
    assert.equal(stat(b, 'profiles.unacked'), 3, b); // no head-end: kept for it
    await node.stop();
    node = await start();
    await node.waitFor(/^TRACE WARN NON-LEGAL: DC STORE boot 3: last stop cut; unacked profiles=3 /, 60000);
    assert.match(await store(node), /lastStop=cut boots=3 /);
    console.log(`      ${lost}\n      ${boot}\n      ${b.slice(0, 80)}...`);
  });
});
