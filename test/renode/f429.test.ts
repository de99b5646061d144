// The concentrator's stm32f429 build on Renode's 32F429I-DISCOVERY board
// (renode/platforms/stm32f429-concentrator.repl; QEMU has no F429 board): the clock tree at
// 180 MHz with over-drive, the FMC SDRAM set up and tested before the heap is used, the shell
// through FirmwareNode, the C heap in the SDRAM and the XS slots in the CCM. A board whose SDRAM
// does not answer stops with one FATAL line, not a fault. Skipped, saying how to install it,
// where Renode is not found.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode, RENODE_PLATFORMS } from '../../emulator/node.js';
import { findRenode, RENODE_INSTALL } from '../../tools/renode.mjs';

describe('stm32f429 concentrator on Renode', function () {
  this.timeout(180000);
  let node: FirmwareNode | undefined;
  before(function () {
    if (!findRenode()) {
      console.log(`      ${RENODE_INSTALL}`);
      this.skip();
    }
  });
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  it('boots at 180 MHz, tests its SDRAM, puts the C heap there and answers on its shell', async () => {
    node = await FirmwareNode.start({ platform: 'stm32f429', role: 'concentrator', emulator: 'renode', waitReady: false });
    const clock = await node.waitFor(/^clock source=/, 90000);
    assert.match(clock, /^clock source=hse-pll hse=8000000 sysclk=180000000 hclk=180000000 pclk1=45000000 pclk2=90000000 flash\.ws=5 /);
    const sdram = await node.waitFor(/^sdram /, 30000);
    assert.match(sdram, /^sdram chip=is42s16400j bank=2 base=0xd0000000 size=8388608 sdclk=90000000 .* test=ok words=181$/);
    await node.waitFor(/^PARTS started$/, 60000);
    const version = (await node.command('SYS VERSION', /^NON-LEGAL /, 30000)).filter((l) => !l.startsWith('TRACE '));
    assert.match(version[0]!, /^FIRMWARE concentrator board=stm32f429 /);
    assert.ok(version.some((l) => /^PLC \S+ [0-9a-f]{64} running$/.test(l)));
    const mem = await node.command('SYS MEM', /^c\.heap\.used=/, 30000);
    assert.ok(mem.includes('data.ram=ccm data.ram.used=65536 data.ram.size=65536'), mem.join('\n'));
    const heap = /^c\.heap\.used=(\d+) c\.heap\.peak=(\d+) c\.heap\.size=(\d+)$/.exec(mem.at(-1)!);
    assert.ok(heap, mem.join('\n'));
    assert.equal(Number(heap[3]), 8 * 1024 * 1024);
    assert.ok(Number(heap[2]) > 192 * 1024, `the heap outgrew the SRAM: c.heap.peak=${heap[2]}`);
  });

  it('stops with one FATAL line when the SDRAM does not answer', async () => {
    // the same board without its SDRAM: Renode reads the unmapped window as 0
    const dir = mkdtempSync(join(tmpdir(), 'f429-'));
    try {
      const repl = join(dir, 'no-sdram.repl');
      writeFileSync(repl, `using "${RENODE_PLATFORMS.stm32f429}"\n\nsdram: @ none\n`);
      node = await FirmwareNode.start({ platform: 'stm32f429', role: 'concentrator', emulator: 'renode', repl, waitReady: false });
      const line = await node.waitFor(/^sdram |^\*\*\* FAULT/, 90000);
      assert.match(line, /^sdram chip=is42s16400j .* test=fail words=\d+ at=0xd0000000$/);
      assert.equal(await node.waitFor(/^FATAL |^\*\*\* FAULT/, 30000), 'FATAL sdram: no C heap without it');
      assert.ok(!node.lines.some((l) => l === 'MNSH ready'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
