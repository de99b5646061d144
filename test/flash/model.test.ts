// The NOR chip model (drivers/spinor/nor_model.c) and the driver (spinor.c) natively, through
// drivers/spinor/test/nor_check.c: NOR semantics a plain memory would not have (program ANDs
// bits, page wrap, WEL, WIP timing, erase counts), the store file across runs, the power cut.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'drivers', 'spinor');
const OUT = join(ROOT, 'build', 'test', 'spinor');
const SIZE = 16 * 1024 * 1024;
const STORE = SIZE + 4096 * 4;

let exe: string | undefined;
function harness(): string {
  if (exe) return exe;
  mkdirSync(OUT, { recursive: true });
  exe = join(OUT, 'nor_check');
  const src = ['test/nor_check.c', 'nor_model.c', 'spinor.c'].map((f) => join(SRC, f));
  execFileSync('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', `-I${join(ROOT, 'hosts', 'common')}`, '-o', exe, ...src]);
  return exe;
}

function run(file: string, lines: string[], cut?: string): { out: string[]; status: number | null } {
  const r = spawnSync(harness(), cut ? [file, cut] : [file], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  return {
    out: r.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(/\r$/, '')),
    status: r.status,
  };
}

const tmp = () => join(mkdtempSync(join(tmpdir(), 'spinor-')), 'nor.bin');
const hexOf = (n: number, v: number) => v.toString(16).padStart(2, '0').repeat(n);

describe('flash: SPI NOR chip model', function () {
  this.timeout(60000);

  it('answers RDID with an MT25Q 128 Mbit id; without a store the bus reads FF and the driver refuses the chip', () => {
    const { out } = run(tmp(), ['cs 9f000000', 'info']);
    assert.equal(out[0], 'ff20ba18');
    assert.match(out[1]!, /^present=1 size=16777216 /);
    const none = run('-', ['cs 9f000000', 'read 0 4', 'info']).out;
    assert.deepEqual(none.slice(0, 2), ['ffffffff', 'err']);
    assert.match(none[2]!, /^present=0 size=0 .*errors=1 /);
  });

  it('a new store erases to 0xFF; program without erase only clears bits (new = old & data)', () => {
    const f = tmp();
    const { out } = run(f, ['read 100 4', 'prog 100 f0f0ff0f', 'prog 100 0f3cffff', 'read 100 4', 'prog 100 ffffffff', 'read 100 4']);
    assert.deepEqual(out, ['ok ffffffff', 'ok', 'ok', 'ok 0030ff0f', 'ok', 'ok 0030ff0f']);
    assert.equal(readFileSync(f).length, STORE);
  });

  it('PAGE PROGRAM wraps inside its 256-byte page; the driver splits at page boundaries instead', () => {
    const f = tmp();
    // raw: WREN, PP at 0x0000FE with 4 bytes -> 0xFE, 0xFF, then 0x00, 0x01 of the same page
    const raw = run(f, ['cs 06', 'cs 020000fe11223344', 'tick 1000', 'read 0 4', 'read fe 4']).out;
    assert.deepEqual(raw.slice(3), ['ok 3344ffff', 'ok 1122ffff']);
    // driver: 4 bytes at 0x1FE land at 0x1FE..0x201
    const drv = run(f, ['prog 1fe 55667788', 'read 1fe 4', 'read 100 2', 'info']).out;
    assert.deepEqual(drv.slice(0, 3), ['ok', 'ok 55667788', 'ok ffff']);
    assert.match(drv[3]!, / programs=2 /);
  });

  it('program and erase need WEL, which each clears; WRDI clears it too', () => {
    const { out } = run(tmp(), [
      'cs 0200001000', // no WREN: ignored
      'cs 0500',
      'cs 06',
      'cs 0500', // WEL
      'cs 04',
      'cs 0500', // WRDI cleared it
      'cs 06',
      'cs 0200001000', // programs, WEL cleared
      'tick 1000',
      'cs 0500',
      'cs 0300001000',
      'cs 200000', // erase without WEL: ignored
      'tick 100000',
      'cs 0300001000',
      'info',
    ]);
    assert.deepEqual(out.slice(0, 6), ['ffffffffff', 'ff00', 'ff', 'ff02', 'ff', 'ff00']);
    assert.equal(out[9], 'ff00');
    assert.equal(out[10], 'ffffffff00');
    assert.equal(out[13], 'ffffffff00');
    assert.match(out[14]!, / ops=1 ignored=2$/);
  });

  it('WIP stays set for the page program (0.12 ms) and erase (50 ms) times; only RDSR answers meanwhile', () => {
    const { out } = run(tmp(), [
      'cs 06',
      'cs 02002000aa',
      'cs 0500', // busy, this poll adds 10 us
      'cs 030020000000', // READ while busy: ignored (bus floats high)
      'cs 06', // WREN while busy: ignored
      'tick 100', // 110 us of 120
      'cs 0500',
      'tick 20',
      'cs 0500',
      'cs 0500',
      'cs 030020000000',
      'cs 06',
      'cs 20000000',
      'tick 49000',
      'cs 0500',
      'tick 1000',
      'cs 0500',
      'info',
    ]);
    assert.deepEqual(
      [out[2], out[3], out[6], out[8], out[9], out[10], out[14], out[16]],
      ['ff01', 'ffffffffffff', 'ff01', 'ff00', 'ff00', 'ffffffffaaff', 'ff01', 'ff00'],
    );
    assert.match(out[17]!, / ignored=2$/);
  });

  it('erase returns a 4 KB sector to 0xFF and counts it per sector; the driver polls WIP through it', () => {
    const { out } = run(tmp(), [
      'prog 3000 00000000',
      'prog 3ffe 0000',
      'prog 4000 00',
      'erase 3000',
      'erase 3000',
      'erase 3000',
      'read 3000 4',
      'read 3ffe 2',
      'read 4000 1',
      'count 3',
      'count 4',
      'erase 3001',
      'info',
    ]);
    assert.deepEqual(out.slice(0, 11), ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok ffffffff', 'ok ffff', 'ok 00', '3', '0']);
    assert.equal(out[11], 'err'); // not aligned
    assert.match(out[12]!, /erases=3 errors=1 busy=(\d+) timeouts=0/);
    assert.ok(Number(/busy=(\d+)/.exec(out[12]!)![1]) >= 3 * 4999, 'each erase keeps WIP set for 50 ms of polls');
  });

  it('contents and erase counts persist in the store file; a file of the wrong size is refused', () => {
    const f = tmp();
    run(f, ['erase 7000', 'erase 7000', 'prog 7010 c3']);
    const again = run(f, ['read 7010 2', 'count 7']).out;
    assert.deepEqual(again, ['ok c3ff', '2']);
    const file = readFileSync(f);
    assert.equal(file[0x7010], 0xc3);
    assert.equal(file.readUInt32LE(SIZE + 7 * 4), 2);
    const bad = tmp();
    writeFileSync(bad, Buffer.alloc(1000));
    assert.deepEqual(run(bad, ['cs 9f000000']).out, ['SPINOR model: store file has the wrong size, chip absent', 'ffffffff']);
  });

  it('a power cut at op N leaves the program or erase torn, prints one line and exits at once', () => {
    const f = tmp();
    const p = run(f, ['prog 20 ' + hexOf(16, 0), 'read 20 16'], '1');
    assert.equal(p.status, 3);
    assert.deepEqual(p.out, ['POWER CUT spinor op=1 program addr=0x000020']);
    const file = readFileSync(f);
    assert.equal(file.subarray(0x20, 0x30).toString('hex'), hexOf(8, 0) + hexOf(8, 0xff));
    const e = run(f, ['prog 5000 ' + hexOf(64, 0), 'prog 5ff0 ' + hexOf(16, 0), 'erase 5000', 'read 5000 1'], '3');
    assert.equal(e.status, 3);
    assert.deepEqual(e.out, ['ok', 'ok', 'POWER CUT spinor op=3 erase addr=0x005000']);
    const after = readFileSync(f);
    assert.equal(after.subarray(0x5000, 0x5040).toString('hex'), hexOf(64, 0xff)); // erased part
    assert.equal(after.subarray(0x5ff0, 0x6000).toString('hex'), hexOf(16, 0)); // not reached
    assert.equal(after.readUInt32LE(SIZE + 5 * 4), 1);
  });

  it('random:SEED cuts at an op drawn from the seed, the same one every run', () => {
    const lines = Array.from({ length: 70 }, (_v, i) => `prog ${(i * 256).toString(16)} 00`);
    const a = run(tmp(), lines, 'random:42');
    const b = run(tmp(), lines, 'random:42');
    assert.equal(a.status, 3);
    assert.deepEqual(a.out.at(-1), b.out.at(-1));
    assert.match(a.out.at(-1)!, /^POWER CUT spinor op=(\d+) program addr=0x[0-9a-f]{6}$/);
    assert.equal(run(tmp(), ['info'], 'x1').out[0], 'SPINOR cut spec refused (N or random:SEED)');
  });
});
