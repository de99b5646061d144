// Power cuts (--spinor-cut) during the runtime swap of NON-LEGAL on a lin meter: the swap-state
// journal lets the next boot finish the cut swap and then put the previous image back (a reboot
// in test state), so every boot runs a whole image — old or new, never a mix (the runtime checks
// its SHA-256) — and LEGAL's billing registers (NVRAM) are intact. Each cut and its outcome is
// listed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { changedNonlegal, norWith, SLOT, sign, tmp } from './images.js';

interface Files {
  nor: string;
  flash: string;
  nvram: string;
}

function fresh(): Files {
  const dir = tmp();
  const nor = norWith(dir, SLOT.nonlegal, sign(changedNonlegal(), { securityCounter: 1 }));
  return { nor, flash: join(dir, 'flash.bin'), nvram: join(dir, 'nvram.bin') };
}

const start = (f: Files, cut?: number) =>
  FirmwareNode.start({
    platform: 'lin',
    role: 'meter',
    spinor: f.nor,
    nvram: f.nvram,
    args: ['--flash', f.flash],
    ...(cut ? { spinorCut: String(cut) } : {}),
    readyTimeout: 60000,
  });

async function norOps(node: FirmwareNode): Promise<number> {
  const line = (await node.command('FLASH INFO', /^FLASH /, 30000)).at(-1)!;
  return Number(/programs=(\d+)/.exec(line)![1]) + Number(/erases=(\d+)/.exec(line)![1]);
}

/** A+ of the last second measured (the first second may not be over yet). */
async function energy(node: FirmwareNode): Promise<number> {
  for (;;) {
    const lines = await node.command('METRO SHOW', /^AP=|^ERROR/, 30000);
    const line = lines.find((l) => l.startsWith('A+='));
    if (line) return Number(/^A\+=([\d.]+)$/.exec(line)![1]);
  }
}

const LOAD = 'METRO LOAD 1 230000 10000 0'; // 2300 W on L1: A+ grows 0.64 Wh a second

/** Boots without a cut: the NON-LEGAL line of SYS VERSION, A+ and the journal. */
async function settle(f: Files, cut?: number): Promise<{ version: string; aPlus: number; log: string[]; code?: number | null }> {
  const node = await start(f, cut);
  try {
    await node.waitFor(/^PARTS started$/, 120000);
    const version = (await node.command('SYS VERSION', /^NON-LEGAL /, 30000)).at(-1)!;
    return { version, aPlus: await energy(node), log: await node.command('FW LOG', /^records=/, 30000) };
  } finally {
    await node.stop();
  }
}

describe('fwupdate: power cuts during the NON-LEGAL swap (lin meter)', function () {
  this.timeout(1800000);

  it('a cut at operations across the swap boots a whole image with the billing registers intact', async () => {
    // an uncut run: where the swap's NOR operations start and how many there are
    const probe = fresh();
    let node = await start(probe);
    let ops0: number;
    let total: number;
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      ops0 = await norOps(node);
      node.skip();
      node.send('FW SWAP 3');
      await node.waitFor(/^FW NON-LEGAL confirmed/, 180000);
      total = (await norOps(node)) - ops0;
    } finally {
      await node.stop();
    }
    const sectors = Math.floor((total - 3) / 37);
    // the START record, the first scratch erase, the first slot erase, inside the copy, the last
    // sector's region write mark, the DONE record, the CONFIRM record
    const cuts = [1, 2, 20, Math.floor(total / 3), Math.floor((2 * total) / 3), total - 2, total - 1, total];
    const report: string[] = [];
    for (const k of cuts) {
      const f = fresh();
      node = await start(f, ops0 + k);
      let before: number;
      try {
        await node.waitFor(/^PARTS started$/, 60000);
        assert.equal(await norOps(node), ops0, 'the boot does as many NOR operations as the probe');
        await node.command(LOAD, /^METRO LOAD/, 30000);
        const e0 = await energy(node);
        do before = await energy(node);
        while (before === e0); // a second with the load measured
        node.skip();
        node.send('FW SWAP 3');
        assert.equal(await node.wait(), 3, `cut at ${k} of ${total}: exit status`);
      } finally {
        await node.stop();
      }
      const cutLine = node.lines.find((l) => l.startsWith('POWER CUT')) ?? '';
      const after = await settle(f);
      report.push(`cut ${k}/${total} (${cutLine}) -> ${after.version.split(' ').slice(0, 2).join(' ')} ${after.version.split(' ').at(-1)}`);
      assert.match(after.version, /^NON-LEGAL (0\.1\.0|1\.2\.3) [0-9a-f]{64} running$/, `cut at ${k}`);
      // cut before the CONFIRM record was whole: the next boot found the new image in test state
      assert.match(after.version, /^NON-LEGAL 0\.1\.0 /, `cut at ${k}: reverted`);
      // a cut in the START record: no swap began (the torn record is skipped); else it was finished and undone
      const started = after.log.some((l) => / START NON-LEGAL install /.test(l));
      assert.equal(started, k > 1, after.log.join('\n'));
      if (started)
        assert.ok(
          after.log.some((l) => / REVERT NON-LEGAL why=reboot in test state$/.test(l)),
          after.log.join('\n'),
        );
      assert.ok(after.aPlus >= before, `cut at ${k}: A+ ${after.aPlus} < ${before}`);
    }
    // a second cut, in the revert the next boot runs: the boot after that finishes it
    {
      const f = fresh();
      node = await start(f, ops0 + Math.floor(total / 2));
      try {
        await node.waitFor(/^PARTS started$/, 60000);
        node.skip();
        node.send('FW SWAP 3');
        assert.equal(await node.wait(), 3);
      } finally {
        await node.stop();
      }
      // the resumed swap and the revert come before NON-LEGAL starts: cut in the revert's middle
      node = await start(f, ops0 + Math.floor(total / 2) + sectors * 37);
      try {
        assert.equal(await node.wait(), 3, 'second cut: exit status');
      } finally {
        await node.stop();
      }
      const second = node.lines.find((l) => l.startsWith('POWER CUT')) ?? '';
      const after = await settle(f);
      report.push(
        `cut ${Math.floor(total / 2)}/${total}, then in the boot's revert (${second}) -> ${after.version.split(' ').slice(0, 2).join(' ')}`,
      );
      assert.match(after.version, /^NON-LEGAL 0\.1\.0 [0-9a-f]{64} running$/);
    }
    console.log(`      ${report.join('\n      ')}`);
  });
});
