// The meter's shell on Renode's STM32F405 board survives bad input: an unknown command, a line
// of non-text bytes and an over-long line each get one ERROR line, are counted (SYS SHELL), and
// the shell still answers. (The robot suite meter-shell.robot keeps SYS VERSION.)
import assert from 'node:assert/strict';
import { FirmwareNode } from '../../emulator/node.js';
import { findRenode, RENODE_INSTALL } from '../../tools/renode.mjs';

describe('shell on the Renode STM32F405 meter', () => {
  it('answers bad input with one error line each, counts it, and still answers', async function () {
    this.timeout(120000);
    if (!findRenode()) {
      console.log(`      ${RENODE_INSTALL}`);
      this.skip();
    }
    const node = await FirmwareNode.start({ platform: 'stm32f405', role: 'meter', emulator: 'renode' });
    try {
      await node.waitFor(/^PARTS started$/, 30000);
      await node.command('SYS VERSION', /^NON-LEGAL /, 30000);
      assert.deepEqual(await node.command('SYS FROB 1', /^ERROR/, 30000), ['ERROR unknown command SYS FROB']);
      node.skip();
      node.write(Uint8Array.of(0x01, 0x02, 0x67, 0x61, 0x72, 0x62, 0x1b, 0x5b, 0x41, 0xfe, 0x00, 0x0d, 0x0a));
      assert.deepEqual(await node.collect(/^ERROR/, 30000), ['ERROR non-text bytes in line']);
      assert.deepEqual(await node.command('X'.repeat(200), /^ERROR/, 30000), ['ERROR line longer than 128 characters']);
      const [stats] = await node.command('SYS SHELL', /^lines=/, 30000);
      assert.match(stats!, /^lines=\d+ errors=3 overlong=1 binary=1 uart\.dropped=0$/);
      await node.command('SYS VERSION', /^NON-LEGAL /, 30000);
    } finally {
      await node.stop();
    }
  });
});
