// Every firmware boots headless to its shell and answers SYS VERSION with its four parts:
// both roles on lin and mps2-an386, the meter (and the concentrator) on stm32f405, the
// stm32f405 meter on QEMU and on Renode (the chip's real memory map), the stm32f429 concentrator
// on Renode (Renode cases skipped, saying how to install it, where Renode is not found).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { FirmwareNode, firmwarePath, type Emulator, type Platform, type Role } from '../../emulator/node.js';
import { findRenode, RENODE_INSTALL } from '../../tools/renode.mjs';
import { builtImage } from './images.js';

const CASES: [Platform, Role, Emulator?][] = [
  ['lin', 'meter'],
  ['lin', 'concentrator'],
  ['mps2-an386', 'meter'],
  ['mps2-an386', 'concentrator'],
  ['stm32f405', 'meter'],
  ['stm32f405', 'meter', 'renode'],
  ['stm32f429', 'concentrator', 'renode'], // Renode only: QEMU has no F429 board
];

describe('boot: SYS VERSION lists four parts', () => {
  for (const [platform, role, emulator] of CASES) {
    it(`${role} on ${platform}${emulator ? ` (${emulator})` : ''}`, async function () {
      this.timeout(emulator === 'renode' ? 120000 : 60000);
      if (emulator === 'renode' && !findRenode()) {
        console.log(`      ${RENODE_INSTALL}`);
        this.skip();
      }
      const node = await FirmwareNode.start({ platform, role, ...(emulator ? { emulator } : {}) });
      try {
        await node.waitFor(/^PARTS started$/, emulator === 'renode' ? 30000 : 10000);
        // the answer's lines, without the traces a part may print meanwhile (TRACE ...)
        const lines = (await node.command('SYS VERSION', /^NON-LEGAL /)).filter((l) => !l.startsWith('TRACE '));
        assert.match(lines[0]!, new RegExp(`^FIRMWARE ${role} board=${platform} `));
        const parts = lines.slice(1).map((l) => l.split(' '));
        assert.deepEqual(
          parts.map((p) => p[0]),
          ['GENERIC', 'LEGAL', 'PLC', 'NON-LEGAL'],
        );
        const files = ['generic', 'legal', 'plc', 'nonlegal'] as const;
        parts.forEach((p, i) => {
          // the hash the firmware reports is the SHA-256 of the image payload the build wrote
          const payload = builtImage(platform, role, files[i]!).subarray(64);
          assert.equal(p[2], createHash('sha256').update(payload).digest('hex'), `${p[0]} hash`);
          assert.match(p[1]!, /^\d+\.\d+\.\d+$/);
          assert.equal(p[3], i === 0 ? 'ok' : 'running');
        });
        if (platform === 'stm32f405') {
          // XS slots fill the second 64 KB of data RAM: the CCM on Renode (as on the chip), on
          // QEMU's netduinoplus2 (no CCM: its probe faults, safely) the SRAM above 128 KB
          const mem = await node.command('SYS MEM', /^c\.stack/);
          const region = emulator === 'renode' ? 'ccm' : 'sram-high';
          assert.ok(mem.includes(`data.ram=${region} data.ram.used=65536 data.ram.size=65536`), mem.join('\n'));
          // the C heap (XS chunks, slots beyond the 64 KB, key table) keeps at least 8 KB spare
          // after boot (docs/renode.md "RAM"): with 2 KB the FLASH CHECK command ran it out
          const heap = /^c\.heap\.used=\d+ c\.heap\.peak=(\d+) c\.heap\.size=(\d+)$/.exec(mem.find((l) => l.startsWith('c.heap.')) ?? '');
          assert.ok(heap && Number(heap[2]) - Number(heap[1]) >= 8192, mem.join('\n'));
        }
      } finally {
        await node.stop();
      }
    });
  }
});

describe('device images', () => {
  for (const platform of ['mps2-an386', 'stm32f405'] as const) {
    it(`${platform} firmware contains no JavaScript parser`, () => {
      const symbols = execFileSync('arm-none-eabi-nm', [firmwarePath(platform, 'meter')], { encoding: 'utf8' });
      for (const parserFunction of ['fxParserTree', 'fxParserCode', 'fxInitializeParser', 'fxGetNextToken']) {
        assert.doesNotMatch(symbols, new RegExp(`\\b${parserFunction}\\b`), parserFunction);
      }
      assert.match(symbols, /\bfxRunScript\b/, 'the engine itself is linked');
    });
  }

  it('the host bytecode compiler does contain the parser (the device bytecode comes from it)', () => {
    const symbols = execFileSync('nm', ['build/host/xsc/xsc'], { encoding: 'utf8' });
    assert.match(symbols, /\bfxParserTree\b/);
  });

  it('part images sit in their own flash regions on the boards', () => {
    for (const [platform, base] of [
      ['mps2-an386', 0x280000],
      ['stm32f405', 0x080a0000],
    ] as const) {
      const out = execFileSync('arm-none-eabi-nm', [firmwarePath(platform, 'meter')], { encoding: 'utf8' });
      const addr = (part: string) => parseInt(new RegExp(`^([0-9a-f]+) \\w __part_${part}_start$`, 'm').exec(out)![1]!, 16);
      assert.equal(addr('legal'), base);
      assert.ok(addr('plc') > addr('legal') && addr('nonlegal') > addr('plc'));
      const elf = readFileSync(firmwarePath(platform, 'meter'));
      assert.ok(elf.includes(Buffer.from('MFWI')), 'image headers in the ELF');
    }
  });
});
