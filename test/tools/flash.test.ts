// tools/flash.mjs (docs/flashing.md): its argument checking and the commands it would run for
// each kit and tool. The tools themselves (openocd, st-flash) are not run: there is no kit here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../emulator/node.js';
import { FlashUsageError, flashPlan } from '../../tools/flash.mjs';

describe('tools/flash.mjs', () => {
  // a fake build tree with both kits' images, so the plan does not depend on a real build
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'flash-'));
    for (const dir of ['stm32f405/meter', 'stm32f405/concentrator', 'stm32f429/concentrator']) {
      mkdirSync(join(root, 'build', dir), { recursive: true });
      writeFileSync(join(root, 'build', dir, 'firmware.elf'), 'ELF');
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const refused = (argv: string[], why: RegExp) =>
    assert.throws(
      () => flashPlan(argv, root),
      (e: unknown) => e instanceof FlashUsageError && why.test(e.message) && /usage: node tools\/flash\.mjs/.test(e.message),
    );

  it('refuses bad arguments, naming them', () => {
    refused([], /--kit is required/);
    refused(['--kit'], /--kit wants a value/);
    refused(['--kit', '--dry-run'], /--kit wants a value/);
    refused(['--kit', 'nucleo'], /unknown kit 'nucleo' \(have: f4disco, f429disco\)/);
    refused(['--kit', 'f4disco', '--tool', 'jlink'], /unknown tool 'jlink' \(have: openocd, stlink\)/);
    refused(['--kit', 'f429disco', '--role', 'meter'], /role 'meter' is not built for f429disco \(platform stm32f429: concentrator\)/);
    refused(['--kit', 'f4disco', '--flash'], /unknown argument '--flash'/);
    refused(['--kit', 'f4disco', '--role', 'meter', '--elf', 'x.elf'], /--elf and --role exclude each other/);
    refused(
      ['--kit', 'f4disco', '--elf', join(root, 'none.elf')],
      /none\.elf missing: run node tools\/build\.mjs --platform stm32f405 --role meter/,
    );
  });

  it('programs the ELF with openocd and the kit board file', () => {
    const p = flashPlan(['--kit', 'f4disco'], root);
    const elf = join(root, 'build', 'stm32f405', 'meter', 'firmware.elf');
    assert.deepEqual(p.commands, [
      { cmd: 'openocd', args: ['-f', 'board/stm32f4discovery.cfg', '-c', `program ${elf} verify reset exit`] },
    ]);
    const q = flashPlan(['--kit', 'f429disco', '--tool', 'openocd'], root);
    assert.equal(q.role, 'concentrator');
    assert.equal(q.commands[0]!.args[1], 'board/stm32f429disc1.cfg');
    assert.match(q.commands[0]!.args[3]!, /build\/stm32f429\/concentrator\/firmware\.elf verify reset exit$/);
  });

  it('writes a 0xFF-gapped binary at 0x08000000 with st-flash', () => {
    const p = flashPlan(['--kit', 'f4disco', '--tool', 'stlink', '--role', 'concentrator'], root);
    const elf = join(root, 'build', 'stm32f405', 'concentrator', 'firmware.elf');
    const bin = join(root, 'build', 'stm32f405', 'concentrator', 'firmware-ff.bin');
    assert.deepEqual(p.commands, [
      { cmd: 'arm-none-eabi-objcopy', args: ['-O', 'binary', '--gap-fill', '0xff', elf, bin] },
      { cmd: 'st-flash', args: ['--reset', 'write', bin, '0x08000000'] },
    ]);
  });

  it('as a command: exit 2 and the usage on bad input; --dry-run prints without running', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'tools', 'flash.mjs'), ...args], { encoding: 'utf8' });
    const bad = run(['--kit', 'f4disco', '--tool', 'dfu']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown tool 'dfu'/);
    const elf = join(root, 'build', 'stm32f429', 'concentrator', 'firmware.elf');
    const dry = run(['--kit', 'f429disco', '--elf', elf, '--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.equal(dry.stdout, `openocd -f board/stm32f429disc1.cfg -c 'program ${elf} verify reset exit'\n`);
  });
});
