// Billing registers and the event log across restarts and power cuts: the lin process and the
// QEMU board are killed (SIGKILL) at random instants several times on the same NVRAM file;
// after each restart energy never went backwards nor jumped by more than the load could
// produce in the interval not seen, every event seen before the cut is still logged, and the
// cut is logged as POWER_FAIL then POWER_RESTORE. Corrupt NVRAM recovers with a counted drop.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { FirmwareNode, type Platform } from '../../emulator/node.js';
import { logOf, showAt, nvramFile } from './helpers.js';
import { legalLayout } from '../../modules/legal/layout.js';
import { NV_LEGAL, NV_SIZE } from '../../modules/generic/shared/nvram-areas.js';

const LEGAL = legalLayout(NV_LEGAL); // LEGAL's area of the 8 KB FRAM (7,648 bytes): 214 journal records

const LOAD_W = 230 * 10; // METRO LOAD 1 230000 10000 0: 2300 W, all active
let bound = 0; // Wh the load could add between the last reading and the cut

async function boot(platform: Platform, nvram: string): Promise<{ node: FirmwareNode; banner: string }> {
  const node = await FirmwareNode.start({ platform, role: 'meter', nvram });
  const banner = await node.waitFor(/^NVRAM /);
  await node.waitFor(/^PARTS started$/);
  return { node, banner };
}

for (const [platform, cuts] of [
  ['lin', 4],
  ['mps2-an386', 2],
] as [Platform, number][]) {
  describe(`legal: power cuts on ${platform}`, function () {
    this.timeout(120000);

    it(`${cuts} SIGKILLs at random instants: energy monotone, no jump, events kept, power fail/restore logged`, async () => {
      const file = nvramFile('cuts.bin');
      let seenWh = 0;
      let seenSeqs: number[] = [];
      for (let cut = 0; cut <= cuts; cut++) {
        const { node, banner } = await boot(platform, file);
        try {
          if (cut > 0) assert.match(banner, new RegExp(`^NVRAM file size=${NV_LEGAL} registers=restored seq=\\d+ `));
          const first = await showAt(node, 0);
          // before this boot's first second the registers hold what was saved; that second
          // adds nothing (the scenario starts at 0 A after a restart)
          const wh = first.get('A+')!;
          const seen = seenWh;
          assert.ok(wh >= seen - 1e-6, `cut ${cut}: energy went backwards: ${wh} < ${seen}`);
          assert.ok(wh <= seen + bound, `cut ${cut}: energy jumped: ${wh} > ${seen} + ${bound}`);
          const log = await logOf(node);
          const seqs = new Set(log.map((e) => e.seq));
          for (const s of seenSeqs) assert.ok(seqs.has(s), `cut ${cut}: event #${s} lost`);
          if (cut > 0) {
            const tail = log.slice(-2).map((e) => e.type);
            assert.deepEqual(tail, ['POWER_FAIL', 'POWER_RESTORE']);
          }
          if (cut === cuts) break;
          await node.command('METRO LOAD 1 230000 10000 0', /^METRO LOAD/);
          await node.command('LCD PRESS TPA', /^LCD PRESS TPA/);
          const s = await showAt(node, first.get('second')! + 2);
          const after = await logOf(node);
          seenSeqs = after.map((e) => e.seq);
          seenWh = s.get('A+')!;
          const seenAt = Date.now();
          // a random instant within the next 1.5 s, while seconds are measured and saved
          await new Promise((r) => setTimeout(r, Math.random() * 1500));
          node.child.kill('SIGKILL');
          await node.wait();
          // the load ran from what was seen until the kill, plus the second being measured
          bound = (LOAD_W * ((Date.now() - seenAt) / 1000 + 2)) / 3600;
        } finally {
          if (node.exitCode === null) await node.stop();
        }
      }
    });

    it('events still running at a cut (sag, undervoltage, terminal cover, reverse energy) are logged at the next boot, ending at the failure', async () => {
      const file = nvramFile('open.bin');
      let { node } = await boot(platform, file);
      const started = new Map<string, number>();
      let lastSecond: number;
      try {
        await node.command('SYS TRACE 3', /^trace=/);
        await node.command('METRO LOAD 1 230000 10000 0', /^METRO LOAD/);
        await showAt(node, 1);
        await node.command('METRO EVENT 2 1 500 60000', /^METRO EVENT 2 /);
        await node.command('METRO EVENT 6 0 1 60000', /^METRO EVENT 6 /);
        await node.command('METRO EVENT 5 1 0 60000', /^METRO EVENT 5 /);
        // the 50 % dip is also an undervoltage once sustained 5 s
        while (started.size < 4) {
          const t = await node.waitFor(/^TRACE INFO LEGAL: event (SAG|COVER|REVERSE|UNDERVOLTAGE) L\d started t=\d+$/, 15000);
          const m = /event (\w+) L\d started t=(\d+)$/.exec(t)!;
          started.set(m[1]!, Number(m[2]));
        }
        await showAt(node, 0);
        // the legal clock when that second was shown (SHOW's time= is the uptime of its capture)
        const c = (await node.command('METRO CLOCK', /^clock=/)).at(-1)!;
        lastSecond = Number(/^clock=(\d+)/.exec(c)![1]);
        node.child.kill('SIGKILL');
        await node.wait();
      } finally {
        if (node.exitCode === null) await node.stop();
      }
      ({ node } = await boot(platform, file));
      try {
        const log = await logOf(node);
        const tail = log.slice(-6);
        // in slot order: dips per phase, over/undervoltage per phase, reverse energy, tamper
        assert.deepEqual(
          tail.map((e) => e.type),
          ['SAG', 'UNDERVOLTAGE', 'REVERSE', 'COVER', 'POWER_FAIL', 'POWER_RESTORE'],
          JSON.stringify(log),
        );
        const fail = tail[4]!;
        // the clock was read just after the last SHOW; the failure is stamped with the last second saved
        assert.ok(
          fail.time >= lastSecond! - 1000 && fail.time <= lastSecond! + 2000,
          `POWER_FAIL at ${fail.time}, clock at ${lastSecond!}`,
        );
        tail.slice(0, 4).forEach((e) => {
          assert.equal(e.time, started.get(e.type), `${e.type} keeps its start`);
          assert.equal(e.time + e.duration, fail.time, `${e.type} ends at the failure`);
        });
        // the value kept is the rms when the dip was detected: under the 90 % threshold
        assert.ok(tail[0]!.value >= 115000 - 5000 && tail[0]!.value < 0.9 * 230000, `sag value ${tail[0]!.value} mV`);
        // a second boot logs them no more
        node.child.kill('SIGKILL');
        await node.wait();
        ({ node } = await boot(platform, file));
        const again = await logOf(node);
        assert.deepEqual(
          again.slice(-8).map((e) => e.type),
          ['SAG', 'UNDERVOLTAGE', 'REVERSE', 'COVER', 'POWER_FAIL', 'POWER_RESTORE', 'POWER_FAIL', 'POWER_RESTORE'],
        );
      } finally {
        await node.stop();
      }
    });
  });
}

describe('legal: NVRAM content and options', function () {
  this.timeout(60000);

  it('random bytes in the NVRAM: clean recovery, counted drops, a trace, logged NVRAM and REGISTERS_LOST events', async () => {
    const file = nvramFile('random.bin');
    writeFileSync(file, randomBytes(NV_SIZE));
    const node = await FirmwareNode.start({ platform: 'lin', role: 'meter', nvram: file });
    try {
      const banner = await node.waitFor(/^NVRAM /);
      // no layout header: formatted (copy B, witness, headers written); copy A holds noise: lost
      const m = new RegExp(`registers=lost log=0/${LEGAL.capacity} dropped=(\\d+) layout=formatted$`).exec(banner);
      assert.ok(m && Number(m[1]) > 200, banner);
      await node.waitFor(/^TRACE WARN LEGAL: NVRAM: 1 billing, 1 open-event, \d+ event and 0 header records corrupt, dropped$/);
      await node.waitFor(/^TRACE ERROR LEGAL: NVRAM: every copy of the registers lost, restarting from 0 marked as lost$/);
      await node.waitFor(/^PARTS started$/);
      const log = await logOf(node);
      assert.deepEqual(
        log.map((e) => [e.type, e.value]),
        [
          ['NVRAM', Number(m![1])],
          ['REGISTERS_LOST', 0],
        ],
      );
      assert.match(
        (await node.command('METRO NVRAM', /^log /)).find((l) => l.startsWith('registers'))!,
        /^registers seq=\d+ dropped=1 lost=1$/,
      );
      const s = await showAt(node, 0);
      assert.equal(s.get('A+'), 0);
    } finally {
      await node.stop();
    }
  });

  it('a torn billing copy: the witness holds the same record, one drop, energy not behind', async () => {
    const file = nvramFile('torn.bin');
    let node = await FirmwareNode.start({ platform: 'lin', role: 'meter', nvram: file });
    await node.command('METRO LOAD 1 230000 10000 0', /^METRO LOAD/);
    const s = await showAt(node, 2);
    await node.stop();
    // tear the copy holding the newest record (seq n in copy n & 1) after its first 16-byte burst
    const bytes = readFileSync(file),
      seqOf = (k: number) => bytes.readUInt32LE(LEGAL.bill[k]! + 4);
    const seq = Math.max(seqOf(0), seqOf(1)),
      at = LEGAL.bill[seq & 1]!;
    assert.equal(seqOf(seq & 1), seq);
    bytes.fill(0xa5, at + 16, at + 88);
    writeFileSync(file, bytes);
    node = await FirmwareNode.start({ platform: 'lin', role: 'meter', nvram: file });
    try {
      const banner = await node.waitFor(/^NVRAM /);
      assert.match(banner, new RegExp(`registers=restored seq=${seq} log=\\d+/${LEGAL.capacity} dropped=1$`));
      const wh = (await showAt(node, 0)).get('A+')!;
      assert.ok(wh <= s.get('A+')! + (LOAD_W * 2) / 3600 && wh >= s.get('A+')!, `${wh} vs ${s.get('A+')}`);
      assert.equal((await logOf(node, 3)).map((e) => e.type).join(), 'NVRAM,POWER_FAIL,POWER_RESTORE');
    } finally {
      await node.stop();
    }
  });

  it('--nvram: a file of the wrong size or an unreachable path is refused with one line and status 2', async () => {
    const file = nvramFile('small.bin');
    writeFileSync(file, Buffer.alloc(100));
    for (const [args, why] of [
      [['--nvram', file], new RegExp(`has 100 bytes, expected ${NV_SIZE}`)],
      [['--nvram', '/nonexistent/dir/x.bin'], /cannot open NVRAM file/],
      [['--nvram'], /--nvram needs a value/],
    ] as const) {
      const node = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: [...args], waitReady: false });
      assert.equal(await node.wait(), 2);
      assert.match(node.stderr.trim(), why);
      assert.equal(node.stderr.trim().split('\n').length, 1);
    }
  });

  it('without a backing file the NVRAM is volatile and the boot says so', async () => {
    const node = await FirmwareNode.start({ platform: 'lin', role: 'meter' });
    try {
      assert.match(await node.waitFor(/^NVRAM /), /^NVRAM volatile \(no backing file\)/);
    } finally {
      await node.stop();
    }
  });
});
