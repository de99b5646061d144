// `npm run dc` (tools/dc.ts) against a running lin concentrator, its shell bridged to TCP.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { firmwarePath } from '../../emulator/node.js';
import { runDc } from '../../tools/dc.js';

describe('npm run dc against a lin concentrator', function () {
  this.timeout(60000);
  let fw: ChildProcess;
  let srv: Server;
  let port = 0;
  before(async () => {
    fw = spawn(firmwarePath('lin', 'concentrator'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    srv = createServer((s) => {
      fw.stdout!.pipe(s);
      s.pipe(fw.stdin!, { end: false });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as { port: number }).port;
  });
  after(() => {
    srv.close();
    fw.kill();
  });

  it('prints DC STATS as JSON and as a table; a bad command line exits non-zero with one line', async () => {
    const out: string[] = [];
    assert.equal(await runDc(['STATS', '--json', '--connect', `127.0.0.1:${port}`], (l) => out.push(l)), 0);
    const o = JSON.parse(out[0]!) as Record<string, unknown>;
    assert.equal(o.dc, 'end');
    assert.equal(o.cmd, 'STATS');
    assert.equal(o.window, 1);
    out.length = 0;
    assert.equal(await runDc(['METERS', '--connect', `127.0.0.1:${port}`], (l) => out.push(l)), 0);
    assert.match(out[out.length - 1]!, /^cmd=METERS n=0 max=7 refused=0$/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'tools/dc.ts', 'NOPE', '--connect', `127.0.0.1:${port}`], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /unknown command 'NOPE'/);
  });
});
