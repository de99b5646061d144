// The second device's link on the host (drivers/metrology/test/link_check.c): STPM3x CRC-8
// against frames of a real STPM32, and a faulty link against a clean twin: every accepted
// reading equals the clean one, every fault class is counted, failed seconds lose no energy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GRID, OUT, SRC } from './harness.js';

function build(): string {
  mkdirSync(OUT, { recursive: true });
  const exe = join(OUT, 'link_check');
  execFileSync('gcc', [
    '-std=c99',
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    `-I${SRC}`,
    '-o',
    exe,
    join(SRC, 'test', 'link_check.c'),
    join(SRC, 'stpm_link.c'),
    join(GRID, 'stpm_model.c'),
    join(SRC, 'dsp.c'),
    join(GRID, 'fe_model.c'),
    '-lm',
  ]);
  return exe;
}
function run(exe: string, args: number[]) {
  return execFileSync(exe, args.map(String), { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('metrology: STPM link (host harness)', function () {
  this.timeout(60000);
  let exe: string;
  before(() => {
    exe = build();
  });

  it('CRC-8 (poly 0x07) matches frames seen on a real STPM32', () => {
    const crc = run(exe, [0, 0, 0, 1, 1])[0];
    assert.deepEqual([crc.a, crc.b], [0x24, 0xe3]);
  });

  it('a clean link reads every second', () => {
    const out = run(exe, [0, 0, 0, 1, 5]);
    const secs = out.filter((o) => o.t === 'sec');
    assert.ok(secs.every((s) => s.clean === 1 && s.ok === 1 && s.same === 1));
    const l = out.at(-1);
    assert.equal(l.reads, 5);
    assert.equal(l.crc + l.timeouts + l.device + l.stale + l.failed + l.retries, 0);
    assert.ok(secs[4].p2 > 0);
  });

  for (const [inPm, outPm, lostPm] of [
    [30, 0, 0],
    [0, 30, 0],
    [0, 0, 30],
    [20, 20, 20],
  ] as const) {
    it(`faults in=${inPm} out=${outPm} lost=${lostPm} per mille: counted, never a wrong value, energy kept`, () => {
      const out = run(exe, [inPm, outPm, lostPm, 11, 60]);
      const secs = out.filter((o) => o.t === 'sec'),
        l = out.at(-1);
      for (const s of secs) if (s.ok) assert.equal(s.same, 1, `second ${s.s}: accepted a reading that differs from the clean link`);
      if (inPm) assert.ok(l.device > 0, 'discarded frames seen through US_SR');
      if (outPm) assert.ok(l.crc > 0, 'bad reply CRCs counted');
      if (lostPm) assert.ok(l.timeouts > 0, 'timeouts counted');
      assert.ok(l.retries > 0);
      assert.equal(l.reads + l.failed, 60);
      // the last second read well: the faulty link booked exactly the clean energy
      if (secs.at(-1).ok) assert.deepEqual(l.e[1], l.e[0]);
    });
  }
});
