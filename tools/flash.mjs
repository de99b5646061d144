#!/usr/bin/env node
// Writes a built image to a dev kit through its on-board ST-LINK (docs/flashing.md):
//   node tools/flash.mjs --kit f4disco|f429disco [--tool openocd|stlink] [--role ROLE]
//                        [--elf FILE] [--dry-run]
// openocd (Debian `openocd`) programs the ELF's loadable segments at their addresses (code, the
// three part images in their flash sectors; the stm32f429's provisioning sector is left as it
// is); stlink (Debian `stlink-tools`) writes one binary from 0x08000000 whose gaps are 0xFF
// (erased flash), made with arm-none-eabi-objcopy --gap-fill 0xff. Nothing here runs in CI:
// `--dry-run` prints the commands instead of running them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FLASH_BASE = '0x08000000';

// The kits, their chip's build platform and openocd's board file (Debian's openocd 0.12).
export const KITS = {
  // STM32F4-Discovery (MB997, STM32F407VG, ST-LINK/V2): the meter's stm32f405 image
  f4disco: { platform: 'stm32f405', roles: ['meter', 'meter-1p', 'concentrator'], role: 'meter', openocd: 'board/stm32f4discovery.cfg' },
  // 32F429I-DISCOVERY (MB1075, STM32F429ZI; DISC1: ST-LINK/V2-B): the concentrator's own build
  f429disco: { platform: 'stm32f429', roles: ['concentrator'], role: 'concentrator', openocd: 'board/stm32f429disc1.cfg' },
};
export const TOOLS = ['openocd', 'stlink'];

export const USAGE = 'usage: node tools/flash.mjs --kit f4disco|f429disco [--tool openocd|stlink] [--role ROLE] [--elf FILE] [--dry-run]';

export class FlashUsageError extends Error {}

// The plan for the arguments: { kit, tool, elf, dryRun, commands: [{ cmd, args }] }. Throws
// FlashUsageError naming the bad argument.
export function flashPlan(argv, root = ROOT) {
  const o = { kit: null, tool: 'openocd', role: null, elf: null, dryRun: false };
  const bad = (m) => {
    throw new FlashUsageError(`flash: ${m}\n${USAGE}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) bad(`${a} wants a value`);
      return argv[++i];
    };
    if (a === '--kit') o.kit = value();
    else if (a === '--tool') o.tool = value();
    else if (a === '--role') o.role = value();
    else if (a === '--elf') o.elf = value();
    else if (a === '--dry-run') o.dryRun = true;
    else bad(`unknown argument '${a}'`);
  }
  if (!o.kit) bad('--kit is required');
  const kit = KITS[o.kit];
  if (!kit) bad(`unknown kit '${o.kit}' (have: ${Object.keys(KITS).join(', ')})`);
  if (!TOOLS.includes(o.tool)) bad(`unknown tool '${o.tool}' (have: ${TOOLS.join(', ')})`);
  const role = o.role ?? kit.role;
  if (!kit.roles.includes(role)) bad(`role '${role}' is not built for ${o.kit} (platform ${kit.platform}: ${kit.roles.join(', ')})`);
  if (o.elf && o.role) bad('--elf and --role exclude each other');
  const elf = resolve(o.elf ?? join(root, 'build', kit.platform, role, 'firmware.elf'));
  if (!existsSync(elf)) bad(`${elf} missing: run node tools/build.mjs --platform ${kit.platform} --role ${role}`);
  const commands = [];
  if (o.tool === 'openocd') {
    commands.push({ cmd: 'openocd', args: ['-f', kit.openocd, '-c', `program ${elf} verify reset exit`] });
  } else {
    const bin = elf.replace(/\.elf$/, '') + '-ff.bin';
    commands.push({ cmd: 'arm-none-eabi-objcopy', args: ['-O', 'binary', '--gap-fill', '0xff', elf, bin] });
    commands.push({ cmd: 'st-flash', args: ['--reset', 'write', bin, FLASH_BASE] });
  }
  return { kit: o.kit, tool: o.tool, role, elf, dryRun: o.dryRun, commands };
}

const quote = (s) => (/^[\w./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

function main() {
  let plan;
  try {
    plan = flashPlan(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof FlashUsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  for (const c of plan.commands) {
    process.stdout.write(`${[c.cmd, ...c.args].map(quote).join(' ')}\n`);
    if (plan.dryRun) continue;
    if (c.cmd === 'arm-none-eabi-objcopy') {
      execFileSync(c.cmd, c.args, { stdio: 'inherit' });
      continue;
    }
    const r = spawnSync(c.cmd, c.args, { stdio: 'inherit' });
    if (r.error) {
      const pkg = c.cmd === 'openocd' ? 'openocd' : 'stlink-tools';
      process.stderr.write(`flash: cannot run ${c.cmd} (${r.error.message}): apt-get install ${pkg}\n`);
      process.exit(1);
    }
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
