// The head-end link end to end on lin, QEMU mps2-an386 and Renode's STM32F429 kit (UART5; where built
// and where Renode is found): the concentrator's uplink (zlib's raw deflate compiled
// into the firmware, the backhaul UART on --backhaul-port) and the receiver (npm run headend --
// serve), killed and restarted while uploads are in flight and while the concentrator queues.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode, firmwarePath, freePort } from '../../emulator/node.js';
import { findRenode, RENODE_INSTALL } from '../../tools/renode.mjs';
import { headend } from './helpers.js';

function summary(db: string): Record<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/headend/main.ts', 'summary', '--db', db, '--json'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

const stat = (line: string, key: string) => Number(new RegExp(`\\b${key}=(\\d+)`).exec(line)?.[1]);
const T0 = 1_790_000_100 - (1_790_000_100 % 900);

for (const platform of ['lin', 'mps2-an386', 'stm32f429'] as const)
  describe(`head-end link on ${platform}${platform === 'stm32f429' ? ' (Renode, UART5)' : ''} (firmware uplink -> receiver)`, function () {
    this.timeout(180000);
    const fw = firmwarePath(platform, 'concentrator');
    let dir: string | undefined;
    let node: FirmwareNode | undefined;
    const renode = platform === 'stm32f429'; // Renode only: QEMU has no F429 board
    before(function () {
      if (!existsSync(fw)) this.skip();
      if (renode && !findRenode()) {
        console.log(`      ${RENODE_INSTALL}`);
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'headend-fw-'));
    });
    after(async () => {
      await node?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true }); // unset when before() skipped
    });

    it("the firmware's deflate inflates on the head-end; a receiver killed and restarted loses nothing and stores nothing twice", async () => {
      const port = await freePort();
      const db = join(dir!, 'he.db');
      node = await FirmwareNode.start({
        platform,
        role: 'concentrator',
        backhaulPort: port,
        readyTimeout: 60000,
        ...(renode ? { emulator: 'renode' as const } : {}),
      });
      if (renode) await node.waitFor(/^PARTS started$/, 60000);
      const args = ['serve', '--db', db, '--connect', `127.0.0.1:${port}`, '--retry-ms', '100'];
      let he = headend(args);
      try {
        await he.waitLine(/connected/);
        // 4 meters x 96 intervals: 384 records in batches of 56 (maxFrame 2048 bytes)
        await node.command(`HE TEST 4 96 ${T0}`, /^HE TEST records=384 refused=0/, 60000); // 7 batches deflated on the emulated M4
        await node.command(`HE ALARM 2 7 ${Math.floor(Date.now() / 1000)}`, /^HE STATS/);
        // kill the receiver as soon as one batch is stored: others may be in flight
        await he.waitLine(/upload \d+ records=\d+ stored=\d+/);
        he.child.kill('SIGKILL');
        await he.exit;
        // more while no head-end listens: queued on the concentrator, the alarm too
        await node.command(`HE TEST 4 4 ${T0 + 96 * 900}`, /^HE TEST records=16 refused=0/);
        await node.command('HE FLUSH', /^HE STATS/);
        await node.command(`HE ALARM 3 8 ${Math.floor(Date.now() / 1000)}`, /^HE STATS/);
        he = headend(args);
        await he.waitLine(/connected/);
        // until the concentrator has every upload acked: the receiver may store the last ones
        // before the concentrator has taken their acks in, so progress is watched on both sides
        const deadline = Date.now() + 60000;
        for (;;) {
          const seen = he.lines.length;
          const line = (await node.command('HE STATS', /^HE STATS/))[0] as string;
          if (stat(line, 'queued') === 0 && stat(line, 'pending') === 0) {
            assert.equal(stat(line, 'deflate'), 0);
            assert.equal(stat(line, 'bulkUploads'), 0);
            assert.equal(stat(line, 'rejected'), 0);
            assert.ok(stat(line, 'wire') < stat(line, 'raw') / 2, line);
            const z = (await node.command('HE DEFLATE', /^HE DEFLATE/))[0] as string;
            assert.equal(stat(z, 'failures'), 0);
            assert.ok(stat(z, 'heapPeak') > 0 && stat(z, 'heapPeak') < 16384, z);
            break;
          }
          if (Date.now() > deadline)
            throw new Error(`uploads not all acked within 60 s: ${line}\n${node?.tail(30)}\n${he.lines.join('\n')}`);
          // the next upload stored by the receiver, or a second for the acks to come in
          await he.waitLine(/upload|alarm/, 1000, seen).catch(() => undefined);
        }
        he.child.kill('SIGTERM');
        assert.equal(await he.exit, 0);
      } finally {
        he.child.kill('SIGKILL');
      }
      const s = summary(db);
      assert.equal(s.meters, 4);
      assert.equal(s.intervalsStored, 400);
      assert.equal(s.intervalsExpected, 400);
      assert.equal(s.missing, 0);
      assert.equal(s.rejected, 0);
      assert.equal(s.alarms, 2);
    });
  });
