// The power-cut injector (--spinor-cut on lin, spinor-cut= on the boards' semihosting command
// line): the node stops dead at the N-th NOR program or erase with one POWER CUT line, exit
// status 3, nothing written after; the file holds the torn page or sector, and the next boot
// reads that state back.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode, type Platform } from '../../emulator/node.js';

const SIZE = 16 * 1024 * 1024;
const A = 0x700000; // area 7, counters-a (manifest.json config.flash.areas)
const hex = (n: number, v: number) => v.toString(16).padStart(2, '0').repeat(n);

async function cutRun(
  platform: Platform,
  spinor: string,
  cut: string,
  commands: string[],
): Promise<{ lines: string[]; code: number | null }> {
  const node = await FirmwareNode.start({ platform, role: 'meter', spinor, spinorCut: cut, readyTimeout: 60000 });
  try {
    await node.waitFor(/^PARTS started$/, 60000);
    for (const c of commands.slice(0, -1)) assert.deepEqual(await node.command(c, /^(OK|ERROR)/, 30000), ['OK']);
    node.skip();
    node.send(commands.at(-1)!);
    const code = await node.wait();
    return { lines: node.lines.slice(node.lines.lastIndexOf(node.lines.find((l) => l.startsWith('POWER CUT')) ?? '')), code };
  } finally {
    await node.stop();
  }
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`flash: power cut on ${platform}`, function () {
    this.timeout(180000);

    it('an erase cut at op 4 leaves the sector half erased, prints one line, exits 3; the next boot reads it torn', async () => {
      const spinor = join(mkdtempSync(join(tmpdir(), 'meterfw-spinor-')), 'nor.bin');
      const { lines, code } = await cutRun(platform, spinor, '4', [
        'FLASH ERASE 7 0',
        'FLASH PROG 7 0 0 64',
        'FLASH PROG 7 2048 0 64',
        'FLASH ERASE 7 0',
      ]);
      assert.equal(code, 3);
      assert.deepEqual(lines, ['POWER CUT spinor op=4 erase addr=0x700000']);
      const f = readFileSync(spinor);
      assert.equal(f.subarray(A, A + 64).toString('hex'), hex(64, 0xff), 'first half erased');
      assert.equal(f.subarray(A + 2048, A + 2112).toString('hex'), hex(64, 0), 'second half not reached');
      assert.equal(f.readUInt32LE(SIZE + (A / 4096) * 4), 2, 'the torn erase is counted');
      const node = await FirmwareNode.start({ platform, role: 'meter', spinor, readyTimeout: 60000 });
      try {
        await node.waitFor(/^PARTS started$/, 60000);
        assert.deepEqual(await node.command('FLASH READ 7 2046 4', /^(DATA|ERROR)/, 30000), ['DATA ffff0000']);
      } finally {
        await node.stop();
      }
    });

    it('a program cut at op 2 leaves the page half programmed', async () => {
      const spinor = join(mkdtempSync(join(tmpdir(), 'meterfw-spinor-')), 'nor.bin');
      const { lines, code } = await cutRun(platform, spinor, '2', ['FLASH ERASE 7 0', 'FLASH PROG 7 16 0 64']);
      assert.equal(code, 3);
      assert.deepEqual(lines, ['POWER CUT spinor op=2 program addr=0x700010']);
      const f = readFileSync(spinor);
      assert.equal(f.subarray(A + 16, A + 80).toString('hex'), hex(32, 0) + hex(32, 0xff));
    });
  });
}
