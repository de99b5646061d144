// The firmware's SPI NOR on lin and on QEMU mps2-an386 (the chip model on a host file): FLASH
// INFO reads the chip id and the area table, FLASH PROG/READ/ERASE go through an area with NOR
// semantics (program ANDs bits, erase back to 0xFF), out-of-area access is refused, and the
// contents and erase counts (FLASH WEAR) are there again after a restart on the same file.
// Without a chip the boot says so and no area answers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode, type Platform } from '../../emulator/node.js';

const SIZE = 16 * 1024 * 1024;
const COUNTERS_A = 0x700000; // area 7 (manifest.json config.flash.areas)

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`flash: SPI NOR on ${platform}`, function () {
    this.timeout(180000);

    it('reads the MT25Q id, programs/erases/reads an area with NOR semantics, keeps it across a restart', async () => {
      const spinor = join(mkdtempSync(join(tmpdir(), 'meterfw-spinor-')), 'nor.bin');
      let node = await FirmwareNode.start({ platform, role: 'meter', spinor, readyTimeout: 60000 });
      try {
        await node.waitFor(/^PARTS started$/, 60000);
        const info = await node.command('FLASH INFO', /^AREA id=11 /, 60000);
        // one read at boot: the swap-state journal (docs/firmware-update.md); nothing written
        assert.match(info[0]!, /^FLASH id=20ba18 size=16777216 bus=model reads=1 programs=0 erases=0 errors=0 /);
        assert.ok(
          info.includes(
            'AREA id=7 name=counters-a device=spinor offset=7340032 size=4096 writeAlign=1 erasedValue=255 eraseSize=4096 owner=nonlegal',
          ),
        );
        assert.deepEqual(await node.command('FLASH ERASE 7 0', /^(OK|ERROR)/, 30000), ['OK']);
        assert.deepEqual(await node.command('FLASH PROG 7 0 15 300', /^(OK|ERROR)/, 30000), ['OK']); // two pages
        assert.deepEqual(await node.command('FLASH PROG 7 0 240 2', /^(OK|ERROR)/, 30000), ['OK']); // no erase: AND
        assert.deepEqual(await node.command('FLASH READ 7 0 4', /^(DATA|ERROR)/, 30000), ['DATA 00000f0f']);
        assert.deepEqual(await node.command('FLASH READ 7 298 4', /^(DATA|ERROR)/, 30000), ['DATA 0f0fffff']);
        assert.deepEqual(await node.command('FLASH READ 7 4094 4', /^(DATA|ERROR)/, 30000), [
          'ERROR FLASH READ: flash counters-a: read 4094+4 outside 4096 bytes',
        ]);
        assert.deepEqual(await node.command('FLASH ERASE 8 4096', /^(OK|ERROR)/, 30000), [
          'ERROR FLASH ERASE: flash counters-b: erase 4096+4096 outside 4096 bytes',
        ]);
        const [after] = await node.command('FLASH INFO', /^FLASH /, 30000);
        assert.match(after!, / reads=3 programs=3 erases=1 errors=0 busy=\d+ timeouts=0$/); // the journal's read at boot, two FLASH READs
      } finally {
        await node.stop();
      }
      const file = readFileSync(spinor);
      assert.equal(file.length, SIZE + 4096 * 4);
      assert.equal(file.subarray(COUNTERS_A, COUNTERS_A + 4).toString('hex'), '00000f0f');
      assert.equal(file.readUInt32LE(SIZE + (COUNTERS_A / 4096) * 4), 1);

      node = await FirmwareNode.start({ platform, role: 'meter', spinor, readyTimeout: 60000 });
      try {
        await node.waitFor(/^PARTS started$/, 60000);
        assert.deepEqual(await node.command('FLASH READ 7 0 4', /^(DATA|ERROR)/, 30000), ['DATA 00000f0f']);
        const wear = await node.command('FLASH WEAR', /^WEAR chip /, 60000);
        assert.ok(wear.includes('WEAR counters-a sectors=1 min=1 max=1 total=1 maxSector=1792'), wear.join('\n'));
        assert.ok(wear.includes('WEAR counters-b sectors=1 min=0 max=0 total=0 maxSector=1793'), wear.join('\n'));
        assert.equal(wear.at(-1), 'WEAR chip sectors=4096 min=0 max=1 total=1 maxSector=1792');
      } finally {
        await node.stop();
      }
    });

    it('without a chip: one boot trace says so, and no area answers', async () => {
      const node = await FirmwareNode.start({ platform, role: 'meter', readyTimeout: 60000 });
      try {
        await node.waitFor(
          /^TRACE WARN GENERIC: flash: SPI NOR absent bus=model id=ffffff why=no chip answers RDID; no flash areas$/,
          60000,
        );
        await node.waitFor(/^PARTS started$/, 60000);
        assert.deepEqual(await node.command('FLASH READ 7 0 4', /^(DATA|ERROR)/, 30000), ['ERROR FLASH READ: no flash area 7']);
      } finally {
        await node.stop();
      }
    });
  });
}

// QEMU's netduinoplus2 has nothing on SPI1: the STM32F405 image reads RDID 00 00 00 there and
// takes the chip model (hosts/stm32f405/spi.c); its RAM holds no area table, so FLASH CHECK only.
describe('flash: SPI NOR on stm32f405 under QEMU', function () {
  this.timeout(180000);

  it('finds no chip on SPI1 and uses the model: erase, program across a page, read back', async () => {
    const spinor = join(mkdtempSync(join(tmpdir(), 'meterfw-spinor-')), 'nor.bin');
    const node = await FirmwareNode.start({ platform: 'stm32f405', role: 'meter', spinor, readyTimeout: 60000 });
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      const out = await node.command(`FLASH CHECK ${COUNTERS_A} 90`, /^(DATA|ERROR)/, 60000);
      assert.match(out[0]!, /^FLASH id=20ba18 size=16777216 bus=model reads=1 programs=2 erases=1 errors=0 busy=\d+ timeouts=0$/);
      assert.equal(out[1], `DATA ffff${'5a'.repeat(12)}ffff`);
    } finally {
      await node.stop();
    }
    assert.equal(
      readFileSync(spinor)
        .subarray(COUNTERS_A + 250, COUNTERS_A + 262)
        .toString('hex'),
      '5a'.repeat(12),
    );
  });
});
