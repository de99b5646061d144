#!/usr/bin/env node
// npm start: boots the concentrator firmware on the emulated mps2-an386 board (QEMU) with its
// shell (MNSH) on this terminal. Builds it first when needed.
//   npm start [-- --platform lin|mps2-an386|stm32f405] [--role meter|concentrator]
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MACHINES = { 'mps2-an386': 'mps2-an386', stm32f405: 'netduinoplus2' };
const args = process.argv.slice(2);
let platform = 'mps2-an386',
  role = 'concentrator';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--platform' && args[i + 1]) platform = args[++i];
  else if (args[i] === '--role' && args[i + 1]) role = args[++i];
  else if (args[i] === '--help' || args[i] === '-h') {
    process.stdout.write('usage: npm start [-- --platform lin|mps2-an386|stm32f405] [--role meter|concentrator]\n');
    process.exit(0);
  } else {
    process.stderr.write(`start: unknown option '${args[i]}' (try --help)\n`);
    process.exit(2);
  }
}
if (platform === 'stm32f429') {
  process.stderr.write(
    "start: stm32f429 runs on Renode only (QEMU has no F429 board): renode --disable-xwt --console -e 'include @renode/scripts/concentrator-f429.resc; start'\n",
  );
  process.exit(2);
}
if (platform !== 'lin' && !MACHINES[platform]) {
  process.stderr.write(`start: unknown platform '${platform}'\n`);
  process.exit(2);
}
if (role !== 'meter' && role !== 'concentrator') {
  process.stderr.write(`start: unknown role '${role}'\n`);
  process.exit(2);
}

const fw = join(root, 'build', platform, role, platform === 'lin' ? 'firmware' : 'firmware.elf');
const built = spawnSync(process.execPath, [join(root, 'tools', 'build.mjs'), '--quiet', '--platform', platform, '--role', role], {
  stdio: 'inherit',
});
if (built.status !== 0 || !existsSync(fw)) process.exit(built.status || 1);

let child;
if (platform === 'lin') {
  process.stdout.write(`${role} on lin: type shell commands (HELP lists them); Ctrl-D quits.\n`);
  child = spawn(fw, [], { stdio: 'inherit' });
} else {
  process.stdout.write(`${role} on ${platform} (QEMU ${MACHINES[platform]}): type shell commands (HELP lists them); Ctrl-A X quits.\n`);
  child = spawn('qemu-system-arm', ['-M', MACHINES[platform], '-nographic', '-semihosting', '-kernel', fw], { stdio: 'inherit' });
}
child.on('exit', (code) => process.exit(code ?? 0));
