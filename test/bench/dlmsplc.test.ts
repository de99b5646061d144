// The dlmsplc bench section (one day of load profile over UDP 4059 across the PLC network, on the
// medium's simulated clock): it runs, its figures are consistent with each other, and two runs
// with the same seed give the same figures (everything but the wall time).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../emulator/node.js';

interface Row {
  client: string;
  entries: number;
  axdr: number;
  apduTx: number;
  apduRx: number;
  datagrams: number;
  frames: number;
  bytes: number;
  airtimeS: number;
  resent: number;
  simS: number;
  concentratorMs: number;
  wallS: number;
  error?: string;
}

function dlmsplc(out: string): Row[] {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bench', 'run.mjs'), '--quiet', '--only', 'dlmsplc', '--platform', 'lin', '--out', out],
    { cwd: ROOT, encoding: 'utf8', timeout: 120000 },
  );
  assert.equal(r.status, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^MGMT\s+96\s+/m);
  return (JSON.parse(readFileSync(out, 'utf8')) as { sections: { dlmsplc: { rows: Row[] } } }).sections.dlmsplc.rows;
}

describe('bench dlmsplc (simulated clock)', function () {
  this.timeout(240000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-dlmsplc-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads 96 entries as both clients, in simulated seconds, the same for the same seed', () => {
    const a = dlmsplc(join(dir, 'a.json')),
      b = dlmsplc(join(dir, 'b.json'));
    assert.deepEqual(
      a.map((r) => r.client),
      ['PUBLIC', 'MGMT'],
    );
    for (const r of a) {
      assert.equal(r.error, undefined, r.error);
      assert.equal(r.entries, 96);
      assert.ok(r.axdr > 96 * 30, `${r.client}: ${r.axdr} A-XDR bytes`);
      assert.ok(r.apduRx > r.axdr, `${r.client}: received APDUs ${r.apduRx} smaller than the profile ${r.axdr}`);
      assert.ok(r.datagrams >= 6, `${r.client}: ${r.datagrams} datagrams`);
      assert.ok(r.frames >= 2 * r.datagrams, `${r.client}: ${r.frames} MAC frames (data and ACKs) for ${r.datagrams} datagrams`);
      assert.ok(r.bytes > r.apduRx, `${r.client}: ${r.bytes} bytes on air`);
      assert.ok(r.airtimeS > 0 && r.airtimeS < r.simS, `${r.client}: airtime ${r.airtimeS} s in ${r.simS} s`);
      // the concentrator's own clock (ms= on its line) is the medium's: they agree to the ms
      assert.ok(Math.abs(r.simS * 1000 - r.concentratorMs) <= 1, `${r.client}: ${r.simS} s vs ${r.concentratorMs} ms`);
      // the public read starts at the instant the meter joined: its TCPIP has its address by
      // then (ADP indicates the join at once), so the first request is answered, not resent
      assert.equal(r.resent, 0, `${r.client}: ${r.resent} requests resent`);
    }
    assert.ok(a[1]!.apduTx > a[0]!.apduTx, 'the management client sends ciphered APDUs (longer)');
    const strip = (rows: Row[]) => rows.map(({ wallS: _w, ...rest }) => rest);
    assert.deepEqual(strip(b), strip(a));
  });
});
