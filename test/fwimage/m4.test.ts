// The verifier on Cortex-M4 (mps2-an386 under QEMU, bare metal, no XS): it accepts a signed
// 26 KB part image and counts the guest instructions it takes (qemu -icount shift=0).
// Figure: `npx mocha test/fwimage/m4.test.ts` prints the lines of drivers/fwimage/test/fwimage_bench.c.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: plain JavaScript build tool without declarations
import { keysSource } from '../../tools/fwimage-keys.mjs';
// @ts-expect-error: plain JavaScript build tool without declarations
import { packImage } from '../../tools/image.mjs';
import { OUT, ROOT, tempDir, tool } from './harness.js';
import { readLayout } from './layout.js';

const MBEDTLS = join(ROOT, 'deps', 'mbedtls-2.28.3');
const BOARD = join(ROOT, 'hosts', 'mps2-an386');
const CM4 = join(ROOT, 'hosts', 'common', 'cortex-m4');
const UART = join(ROOT, 'drivers', 'uart'); // the board's UARTs (drivers/uart/manifest.json)

/** Runs QEMU until the program exits; its console lines, or an error on a time-out. */
function runQemu(elf: string, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const q = spawn('qemu-system-arm', ['-M', 'mps2-an386', '-nographic', '-semihosting', '-icount', 'shift=0', '-kernel', elf], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    q.stdout.on('data', (d) => {
      out += d;
    });
    q.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      q.kill('SIGKILL');
      reject(new Error(`QEMU did not finish in ${timeoutMs} ms: ${out.slice(-500)}`));
    }, timeoutMs);
    q.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`QEMU exited ${code}: ${out.slice(-500)}`));
      else resolve(out.split(/\r?\n/));
    });
  });
}

describe('fwimage verifier on Cortex-M4 (mps2-an386, qemu -icount)', function () {
  this.timeout(300000);
  const have = spawnSync('arm-none-eabi-gcc', ['--version']).status === 0 && spawnSync('qemu-system-arm', ['--version']).status === 0;

  it('accepts a signed legal image and reports its cost in guest instructions', async function () {
    if (!have) this.skip();
    const dir = tempDir();
    const keys = join(dir, 'keys');
    assert.equal(tool('keys', ['--out', keys]).status, 0);
    // a legal part image the size of the meter's (26 KB)
    const img = packImage({
      part: 'legal',
      version: '1.0.0',
      xs: { major: 15, minor: 0, patch: 0 },
      modules: [{ specifier: 'legal/m', symbols: Buffer.alloc(64, 1), code: Buffer.alloc(26000, 7) }],
    });
    mkdirSync(join(dir, 'meter'));
    writeFileSync(join(dir, 'meter', 'legal.img'), img);
    const signed = join(dir, 'legal.signed');
    assert.equal(
      tool('sign', [join(dir, 'meter', 'legal.img'), '--key', join(keys, 'legal.pem'), '--out', signed, '--security-counter', '2']).status,
      0,
    );
    const bytes = readFileSync(signed);
    const l = readLayout(bytes);

    const out = join(OUT, 'm4');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'keys.c'), keysSource(keys));
    writeFileSync(
      join(out, 'bench_image.c'),
      [
        '#include "fwimage.h"',
        `const uint8_t bench_image[${bytes.length}] = { ${Array.from(bytes).join(',')} };`,
        `const uint32_t bench_image_size = ${bytes.length};`,
        `const uint32_t bench_flip_at = ${l.unprot[0]!.at};`,
        'const fwimage_expect_t bench_expect = { 1, 0, 2 };',
        '',
      ].join('\n'),
    );
    const flags = [
      '-mcpu=cortex-m4',
      '-mthumb',
      '-mfloat-abi=hard',
      '-mfpu=fpv4-sp-d16',
      '-Os',
      '-ffunction-sections',
      '-fdata-sections',
      '-std=gnu11',
    ];
    const inc = [
      `-I${BOARD}`,
      `-I${join(ROOT, 'hosts', 'common')}`,
      `-I${CM4}`,
      `-I${UART}`,
      `-I${join(ROOT, 'drivers', 'fwimage')}`,
      `-I${join(ROOT, 'drivers', 'crc')}`,
      `-I${join(MBEDTLS, 'include')}`,
      '-DMBEDTLS_CONFIG_FILE="mbedtls-config.h"',
      '-DMETERFW_MBEDTLS_ECDSA',
      '-DBOARD_STACK_SIZE=8192',
      '-DBOARD_UART_RX_SIZE=512',
    ];
    const board = ['startup.c', 'board.c'].map((f) => join(BOARD, f));
    const common = [
      ...['cm4.c', 'syscalls.c', 'systick.c', 'regions.c'].map((f) => join(CM4, f)),
      join(UART, 'cortex-m4', 'uart_rx.c'),
      join(UART, 'mps2-an386', 'uart.c'),
    ];
    const mbed = ['sha256', 'platform_util', 'bignum', 'ecp', 'ecp_curves', 'ecdsa', 'asn1parse', 'asn1write', 'constant_time'].map((f) =>
      join(MBEDTLS, 'library', `${f}.c`),
    );
    const elf = join(out, 'fwimage_bench.elf');
    execFileSync('arm-none-eabi-gcc', [
      ...flags,
      ...inc,
      '-w',
      ...board,
      ...common,
      ...mbed,
      join(ROOT, 'drivers', 'fwimage', 'fwimage.c'),
      join(ROOT, 'drivers', 'fwimage', 'fwimage_parse.c'),
      join(ROOT, 'drivers', 'fwimage', 'test', 'fwimage_bench.c'),
      join(ROOT, 'drivers', 'crc', 'crc.c'),
      join(out, 'keys.c'),
      join(out, 'bench_image.c'),
      '-Wl,--gc-sections',
      '--specs=nano.specs',
      '-nostartfiles',
      `-T${join(BOARD, 'link.ld')}`,
      '-lm',
      '-o',
      elf,
    ]);
    const lines = await runQemu(elf, 240000);
    const bench = lines.filter((x) => x.startsWith('bench '));
    for (const b of bench) console.log(`      ${b}`);
    assert.ok(lines.includes('bench done'), lines.join('\n'));
    assert.match(bench.find((b) => b.startsWith('bench fwimage-verify '))!, /reason=0 /, 'verified on the M4');
    assert.match(bench.find((b) => b.startsWith('bench fwimage-hash '))!, /reason=6 /, 'hash mismatch after a flipped SHA256 TLV');
  });
});
