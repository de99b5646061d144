// The STM32F405 image on Renode drives the board's real SPI1 (CS on PA4) to Renode's Micron
// MT25Q: it reads the chip's id and reads back what it programmed across a page boundary, after
// an erase. (Renode's MT25Q stores program bytes as given and keeps no erase counts: the NOR
// semantics are the model's tests, test/flash/model.test.ts.)
import assert from 'node:assert/strict';
import { FirmwareNode } from '../../emulator/node.js';
import { findRenode, RENODE_INSTALL } from '../../tools/renode.mjs';

describe('flash: SPI NOR on the Renode STM32F405 meter', () => {
  it('reads the MT25Q id over SPI1 and reads back what it programmed', async function () {
    this.timeout(180000);
    if (!findRenode()) {
      console.log(`      ${RENODE_INSTALL}`);
      this.skip();
    }
    const node = await FirmwareNode.start({ platform: 'stm32f405', role: 'meter', emulator: 'renode' });
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      // the STM32F405 has no RAM for the area table (manifest: config.flash false): its bring-up check
      const out = await node.command(`FLASH CHECK ${0x701000} 90`, /^(DATA|ERROR)/, 60000);
      // Renode's MT25Q answers memory type 0xBB (MT25QU, 1.8 V); the model is the 3 V MT25QL (0xBA)
      assert.match(out[0]!, /^FLASH id=20bb18 size=16777216 bus=spi1 reads=1 programs=2 erases=1 errors=0 busy=\d+ timeouts=0$/);
      assert.equal(out[1], `DATA ffff${'5a'.repeat(12)}ffff`);
      const again = await node.command(`FLASH CHECK ${0x701000} 165`, /^(DATA|ERROR)/, 60000);
      assert.equal(again[1], `DATA ffff${'a5'.repeat(12)}ffff`, 'erased, then programmed again');
    } finally {
      await node.stop();
    }
  });
});
