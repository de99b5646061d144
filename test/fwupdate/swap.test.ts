// The runtime swap of NON-LEGAL on a lin meter (docs/firmware-update.md): a signed image with a
// new version goes in from the SPI NOR slot without a reboot, passes its health check, is
// confirmed and survives a reboot; LEGAL's 1 Hz ring has no gap across the swap; bad images are
// refused with their reason on the shell and in the journal; an image whose part fails to start
// is reverted.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { changedNonlegal, norWith, replaceString, SLOT, sign, tmp, withVersion } from './images.js';

/** Writes the slot's bytes into the running node's NOR file (the model reads through to the file). */
function upload(nor: string, bytes: Buffer) {
  const fd = openSync(nor, 'r+');
  try {
    const b = Buffer.alloc(512 * 1024, 0xff);
    bytes.copy(b);
    writeSync(fd, b, 0, b.length, SLOT.nonlegal);
  } finally {
    closeSync(fd);
  }
}

interface Ring {
  times: number[];
  energy: number[];
  overwritten: number;
}

async function readRing(node: FirmwareNode, ring: Ring) {
  const lines = await node.command('METRO GET_DATA 32', /^records=/, 30000);
  for (const l of lines) {
    const m = /^t=(\d+) .*A\+=([\d.]+)/.exec(l);
    if (m) {
      ring.times.push(Number(m[1]));
      ring.energy.push(Number(m[2]));
    }
  }
  ring.overwritten = Number(/overwritten=(\d+)/.exec(lines.at(-1)!)![1]);
}

/** The FW line a command answers with (a trace of an earlier one may come first). */
const fwLines = async (node: FirmwareNode, command: string) =>
  (await node.command(command, /^FW /, 30000)).filter((l) => l.startsWith('FW '));
const uptime = async (node: FirmwareNode) =>
  Number(/uptime\.ms=(\d+)/.exec((await node.command('SYS CLOCK', /^clock /, 30000)).at(-1)!)![1]);
const start = (nor: string, flash: string) =>
  FirmwareNode.start({ platform: 'lin', role: 'meter', spinor: nor, args: ['--flash', flash], readyTimeout: 60000 });
const versionOf = async (node: FirmwareNode) => (await node.command('SYS VERSION', /^NON-LEGAL /, 30000)).at(-1)!;

describe('fwupdate: runtime swap of NON-LEGAL (lin meter)', function () {
  this.timeout(300000);

  it('swaps in a signed 1.2.3, confirms it by its health check, keeps the 1 Hz ring gapless, keeps it across a reboot', async () => {
    const dir = tmp();
    const nor = norWith(dir, SLOT.nonlegal, sign(changedNonlegal(), { securityCounter: 1 }));
    const flash = join(dir, 'flash.bin');
    let node = await start(nor, flash);
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      assert.match(await versionOf(node), /^NON-LEGAL 0\.1\.0 [0-9a-f]{64} running$/);
      node.skip();
      node.send('APP PING');
      await node.waitFor(/^PONG NON-LEGAL from task/, 30000);
      const ring: Ring = { times: [], energy: [], overwritten: 0 };
      await readRing(node, ring); // drained: what comes next was measured after this
      ring.times.length = 0;
      ring.energy.length = 0;
      const overwrittenBefore = ring.overwritten;
      assert.match(
        (await node.command('FW VERIFY NONLEGAL', /^FW |^ERROR/, 30000)).at(-1)!,
        /^FW VERIFY NON-LEGAL ok version=1\.2\.3\+0 securityCounter=1 size=\d+ arena\.peak=\d+ arena\.allocs=\d+$/,
      );
      const u0 = await uptime(node);
      node.skip();
      node.send('FW SWAP NONLEGAL');
      assert.match(await node.waitFor(/^FW NON-LEGAL swap/, 30000), /^FW NON-LEGAL swap 1\.2\.3\+0 securityCounter=1 sectors=\d+$/);
      // its tasks deleted, its modules out of XS's module map (evaluated again from the new image)
      const stopped = /^FW NON-LEGAL stopped: tasks=(\d+) modules=(\d+)$/.exec(await node.waitFor(/^FW NON-LEGAL stopped/, 30000))!;
      assert.ok(Number(stopped[1]) >= 2 && Number(stopped[2]) >= 10, stopped[0]);
      await node.waitFor(/^PART NON-LEGAL 1\.2\.3 started$/, 120000);
      await node.waitFor(/^FW NON-LEGAL confirmed \(health check passed\) securityCounter=1$/, 60000);
      const u1 = await uptime(node);
      const wear = await node.command('FLASH WEAR', /^WEAR chip /, 30000);
      const erases = (name: string) => /total=(\d+)/.exec(wear.find((l) => l.startsWith(`WEAR ${name} `))!)![1];
      console.log(
        `      swap to confirmed: ${u1 - u0} ms uptime, ${stopped[0]}, erases: nonlegal-slot ${erases('nonlegal-slot')} scratch ${erases('scratch')} swap-state ${erases('swap-state')}`,
      );
      // the ring's records (t: uptime ms at the end of each second) until one past the confirmation
      while ((ring.times.at(-1) ?? 0) < u1 + 1000) await readRing(node, ring);
      // one record per second from before the swap to after it, none lost to the reader
      assert.equal(ring.overwritten, overwrittenBefore, 'ring overwrote records: read too late');
      assert.ok(ring.times[0]! <= u0 + 1000, `first record ${ring.times[0]} after the swap began (${u0})`);
      for (let i = 1; i < ring.times.length; i++) {
        // t is the uptime at the end of the second (real clock: a few ms of jitter); a lost second is 2000
        const dt = ring.times[i]! - ring.times[i - 1]!;
        assert.ok(dt > 500 && dt < 1500, `gap in the ring: t=${ring.times[i - 1]} then t=${ring.times[i]}`);
        assert.ok(ring.energy[i]! >= ring.energy[i - 1]!, 'A+ went back');
      }
      assert.match(await versionOf(node), /^NON-LEGAL 1\.2\.3 [0-9a-f]{64} running$/);
      assert.deepEqual(await node.command('FW STATUS', /^FW journal/, 30000).then((l) => l.filter((x) => x.startsWith('FW NON-LEGAL'))), [
        'FW NON-LEGAL 1.2.3 running state=confirmed securityCounter=1',
      ]);
      // the new image's code runs: its APP PING prints "pong"
      node.skip();
      node.send('APP PING');
      await node.waitFor(/^pong NON-LEGAL from task/, 30000);
      const tasks = await node.command('SYS TASKS', /^discarded=/, 30000);
      assert.ok(
        tasks.some((l) => / APP DELETED discarded=\d+$/.test(l)),
        tasks.join('\n'),
      );
      assert.ok(
        tasks.some((l) => / APP NON-LEGAL /.test(l)),
        'a new APP task',
      );
    } finally {
      await node.stop();
    }
    // the swapped image is in the internal flash now: a reboot runs it, confirmed
    node = await start(nor, flash);
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      assert.match(await versionOf(node), /^NON-LEGAL 1\.2\.3 [0-9a-f]{64} running$/);
      node.skip();
      node.send('APP PING');
      await node.waitFor(/^pong NON-LEGAL from task/, 30000);
      // the previous image is in the slot now; an image below the security counter is refused
      upload(nor, sign(withVersion('nonlegal', [1, 0, 0]), { securityCounter: 0 }));
      assert.deepEqual(await fwLines(node, 'FW VERIFY 3'), ['FW NON-LEGAL refused: rollback']);
      const log = await node.command('FW LOG', /^records=/, 30000);
      assert.ok(
        log.some((l) => /^LOG \d+ REFUSED NON-LEGAL reason=rollback securityCounter=0$/.test(l)),
        log.join('\n'),
      );
      assert.ok(
        log.some((l) => /^LOG \d+ CONFIRM NON-LEGAL securityCounter=1$/.test(l)),
        log.join('\n'),
      );
    } finally {
      await node.stop();
    }
  });

  it('refuses each bad image with its reason, on the shell and in the journal, and NON-LEGAL keeps running', async () => {
    const dir = tmp();
    const good = sign(withVersion('nonlegal', [1, 2, 3]), { securityCounter: 1 });
    const unsigned = (() => {
      // the unprotected TLV area with only its SHA256 TLV: no KEYHASH, no signature
      const hdr = good.readUInt16LE(8);
      const end = hdr + good.readUInt32LE(12) + good.readUInt16LE(10);
      const info = Buffer.alloc(4);
      info.writeUInt16LE(0x6907, 0);
      info.writeUInt16LE(4 + 36, 2);
      return Buffer.concat([good.subarray(0, end), info, good.subarray(end + 4, end + 4 + 36)]);
    })();
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const flipped = Buffer.from(good);
    flipped[4000] = flipped[4000]! ^ 1;
    const cases: [string, Buffer, string][] = [
      ['erased slot', Buffer.alloc(0), 'bad magic'],
      ['unsigned', unsigned, 'unsigned'],
      ['signed with an unknown key', sign(withVersion('nonlegal', [1, 2, 3]), { keyPem: otherKey }), 'unknown key'],
      ['signed with the legal key', sign(withVersion('nonlegal', [1, 2, 3]), { key: 'legal' }), 'wrong key class for this part'],
      ['altered after signing', flipped, 'hash mismatch'],
      ['truncated download (the rest of the slot erased)', good.subarray(0, good.length >> 1), 'bad TLV area'],
      ['for another part (PLC)', sign(withVersion('plc', [1, 2, 3])), 'wrong part'],
      ['for another role', sign(withVersion('nonlegal', [1, 2, 3]), { role: 'concentrator' }), 'wrong role'],
    ];
    const nor = norWith(dir, SLOT.nonlegal, Buffer.alloc(0));
    const node = await start(nor, join(dir, 'flash.bin'));
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      for (const [what, bytes, reason] of cases) {
        upload(nor, bytes);
        assert.deepEqual(await fwLines(node, 'FW VERIFY 3'), [`FW NON-LEGAL refused: ${reason}`], what);
      }
      // FW SWAP verifies first: nothing stops
      upload(nor, flipped);
      assert.deepEqual(await fwLines(node, 'FW SWAP 3'), ['FW NON-LEGAL refused: hash mismatch']);
      const log = await node.command('FW LOG', /^records=/, 30000);
      const refused = log.filter((l) => / REFUSED NON-LEGAL /.test(l)).map((l) => /reason=(.*) securityCounter/.exec(l)![1]);
      assert.deepEqual(refused, [...cases.map((c) => c[2]), 'hash mismatch']);
      assert.match(await versionOf(node), /^NON-LEGAL 0\.1\.0 [0-9a-f]{64} running$/);
      node.skip();
      node.send('APP PING');
      await node.waitFor(/^PONG NON-LEGAL from task/, 30000);
    } finally {
      await node.stop();
    }
  });

  it('reverts an image whose part fails to start, and the previous NON-LEGAL runs again', async () => {
    const dir = tmp();
    const broken = replaceString(withVersion('nonlegal', [1, 3, 0]), 'nonlegal/main', 'nonlegal/mai_');
    const nor = norWith(dir, SLOT.nonlegal, sign(broken, { securityCounter: 2 }));
    const node = await start(nor, join(dir, 'flash.bin'));
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      node.skip();
      node.send('FW SWAP 3');
      await node.waitFor(/^PART NON-LEGAL failed: /, 120000);
      await node.waitFor(/^FW NON-LEGAL reverting: part failed to start: /, 30000);
      await node.waitFor(/^FW NON-LEGAL reverted to 0\.1\.0$/, 120000);
      assert.match(await versionOf(node), /^NON-LEGAL 0\.1\.0 [0-9a-f]{64} running$/);
      assert.deepEqual(await node.command('FW STATUS', /^FW journal/, 30000).then((l) => l.filter((x) => x.startsWith('FW NON-LEGAL'))), [
        'FW NON-LEGAL 0.1.0 running state=confirmed securityCounter=0',
      ]);
      node.skip();
      node.send('APP PING');
      await node.waitFor(/^PONG NON-LEGAL from task/, 30000);
      const log = await node.command('FW LOG', /^records=/, 30000);
      assert.ok(
        log.some((l) => / REVERT NON-LEGAL why=part failed to start$/.test(l)),
        log.join('\n'),
      );
    } finally {
      await node.stop();
    }
  });

  it('on mps2-an386 (QEMU) too: the swapped NON-LEGAL runs its new code and is confirmed', async () => {
    const dir = tmp();
    const nor = norWith(dir, SLOT.nonlegal, sign(changedNonlegal(), { securityCounter: 1 }));
    const node = await FirmwareNode.start({ platform: 'mps2-an386', role: 'meter', spinor: nor, readyTimeout: 120000 });
    try {
      await node.waitFor(/^PARTS started$/, 120000);
      node.skip();
      node.send('FW SWAP 3');
      await node.waitFor(/^FW NON-LEGAL stopped: tasks=\d+ modules=\d+$/, 120000);
      await node.waitFor(/^PART NON-LEGAL 1\.2\.3 started$/, 300000);
      await node.waitFor(/^FW NON-LEGAL confirmed \(health check passed\) securityCounter=1$/, 120000);
      assert.match(await versionOf(node), /^NON-LEGAL 1\.2\.3 [0-9a-f]{64} running$/);
      node.skip();
      node.send('APP PING');
      await node.waitFor(/^pong NON-LEGAL from task/, 60000);
    } finally {
      await node.stop();
    }
  });
});
