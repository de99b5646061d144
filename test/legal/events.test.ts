// The legal event log in the running firmware: voltage events injected into the front-end
// model (METRO EVENT) logged with start and duration against what was injected, tamper by
// model and by button (LCD PRESS), clock changes, LCD scrolling, LED pulse counts.
import assert from 'node:assert/strict';
import { FirmwareNode, type Platform } from '../../emulator/node.js';
import { logOf, showAt, nvramFile, type LogEntry } from './helpers.js';

// pq.h: starts late by up to a block (5 ms) plus the window's crossing (<= a quarter cycle
// for these steps); durations within one cycle plus one block
const START_LATE_MS = 5 + 5,
  DURATION_MS = 25;

async function inject(node: FirmwareNode, cmd: string, type: string): Promise<{ start: number; e: LogEntry }> {
  const [line] = await node.command(cmd, /^(METRO EVENT|ERROR)/);
  const m = /start=(\d+)/.exec(line!);
  assert.ok(m, line);
  const trace = await node.waitFor(new RegExp(`^TRACE INFO LEGAL: event #\\d+ ${type} `), 15000);
  const seq = Number(/#(\d+)/.exec(trace)![1]);
  const e = (await logOf(node)).find((x) => x.seq === seq)!;
  assert.equal(e.type, type);
  return { start: Number(m[1]), e };
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`legal: event log and display on ${platform}`, function () {
    this.timeout(90000);
    let node: FirmwareNode;
    before(async () => {
      node = await FirmwareNode.start({ platform, role: 'meter', nvram: nvramFile('events.bin') });
      await node.waitFor(/^PARTS started$/);
      await node.command('SYS TRACE 3', /^trace=/);
      await node.command('METRO LOAD 1 230000 5000 0', /^METRO LOAD/);
      await showAt(node, 1);
    });
    after(async () => {
      await node.stop();
    });

    it('sag, swell and interruption: type, phase, start, duration and residual voltage', async () => {
      for (const [cmd, type, dur, volts] of [
        ['METRO EVENT 2 1 500 400 200', 'SAG', 400, 115],
        ['METRO EVENT 3 1 1200 300 100', 'SWELL', 300, 276],
        ['METRO EVENT 4 1 0 150 600', 'INTERRUPTION', 150, 0],
      ] as const) {
        const { start, e } = await inject(node, cmd, type);
        assert.equal(e.phase, 1);
        assert.ok(e.time >= start && e.time <= start + START_LATE_MS, `${type} start ${e.time} vs injected ${start}`);
        assert.ok(Math.abs(e.duration - dur) <= DURATION_MS, `${type} duration ${e.duration} vs ${dur}`);
        assert.ok(Math.abs(e.value / 1000 - volts) <= 0.02 * 230, `${type} value ${e.value} mV vs ${volts} V`);
      }
    });

    it('terminal cover from the model and both tamper buttons, by name and by code', async () => {
      const { start, e } = await inject(node, 'METRO EVENT 6 0 1 500 100', 'COVER');
      assert.equal(e.value, 2); // front-end status
      assert.ok(Math.abs(e.time - start) <= 5 && Math.abs(e.duration - 500) <= 5, JSON.stringify(e));
      const b = (await node.command('LCD PRESS TPB', /^(LCD PRESS TPB|ERROR)/)).at(-1);
      assert.match(b!, /^LCD PRESS TPB event #\d+ MAGNET$/);
      const c = (await node.command('LCD PRESS 3', /^(LCD PRESS TPA|ERROR)/)).at(-1);
      assert.match(c!, /^LCD PRESS TPA event #\d+ COVER$/);
      const last = await logOf(node, 2);
      assert.deepEqual(
        last.map((x) => [x.type, x.value]),
        [
          ['MAGNET', 1],
          ['COVER', 1],
        ],
      );
      for (const bad of [
        'LCD PRESS P3',
        'LCD PRESS 9',
        'LCD PRESS',
        'METRO EVENT 7 1 0 100',
        'METRO EVENT 7 0 5 100',
        'METRO EVENT 8 1 1 100',
        'METRO EVENT 2 4 500 100',
        'METRO EVENT 2 1 500 0',
      ]) {
        const lines = await node.command(bad, /^ERROR /);
        assert.equal(lines.length, 1, bad);
      }
    });

    it("buttons held on the model's input lines: P1/P2 scroll after 20 ms, shorter pulses are bounce, TPA logs a cover event", async () => {
      const keys = async () => {
        const [line] = await node.command('LCD KEYS', /^keys /);
        const m = /^keys P1=(\d+) P2=(\d+) bounces=(\d+) item=(\d)$/.exec(line!);
        assert.ok(m, line);
        return { p1: Number(m[1]), p2: Number(m[2]), bounces: Number(m[3]), item: Number(m[4]) };
      };
      const k0 = await keys();
      await node.command('METRO EVENT 7 0 2 200', /^METRO EVENT 7 /);
      const t = await node.waitFor(/^TRACE INFO LEGAL: key P2 /, 15000);
      assert.match(t, new RegExp(`item=${(k0.item + 1) % 6} `));
      const label = /item=\d (.*)$/.exec(t)![1]!;
      assert.ok((await node.command('LCD SHOW', /^LCD1 /))[0]!.startsWith(`LCD0 ${label}`), 'the LCD shows the new item');
      // a 10 ms pulse on P1: counted as bounce once its second is measured, no scroll
      const [ev] = await node.command('METRO EVENT 7 0 1 10', /^METRO EVENT 7 /);
      let s = await showAt(node, Number(/from second=(\d+)/.exec(ev!)![1]) + 1);
      const k1 = await keys();
      assert.deepEqual([k1.p1, k1.p2, k1.bounces, k1.item], [k0.p1, k0.p2 + 1, k0.bounces + 1, (k0.item + 1) % 6]);
      await node.command('METRO EVENT 7 0 1 60', /^METRO EVENT 7 /);
      await node.waitFor(new RegExp(`^TRACE INFO LEGAL: key P1 item=${k0.item} `), 15000);
      const { start, e } = await inject(node, 'METRO EVENT 7 0 3 300 50', 'COVER');
      assert.ok(Math.abs(e.time - start) <= 5 && Math.abs(e.duration - 300) <= 5 && e.value === 2, JSON.stringify(e));
      s = await showAt(node, s.get('second')! + 1);
      assert.deepEqual(await keys(), { p1: k0.p1 + 1, p2: k0.p2 + 1, bounces: k0.bounces + 1, item: k0.item });
    });

    it('METRO CLOCK sets the clock and logs the change; bad values are refused', async () => {
      const line = (await node.command('METRO CLOCK 1700000000', /^(clock=|ERROR)/)).at(-1);
      const m = /^clock=(\d+) previous=(\d+)$/.exec(line!)!;
      assert.ok(Number(m[1]) >= 1700000000000 && Number(m[1]) < 1700000001000, line);
      const [e] = await logOf(node, 1);
      assert.equal(e!.type, 'CLOCK');
      assert.equal(e!.time, 1700000000000);
      assert.equal(e!.value, Math.round((1700000000000 - Number(m[2])) / 1000));
      assert.equal((await node.command('METRO CLOCK 5', /^ERROR /)).length, 1);
    });

    it('P1 and P2 scroll the LCD through energies and powers, refreshed every second', async () => {
      const labels: string[] = [];
      for (let k = 0; k < 6; k++) {
        const [line] = await node.command('LCD PRESS P2', /^LCD PRESS/);
        labels.push(/item=\d ([\w+ ]+)$/.exec(line!)![1]!);
      }
      assert.deepEqual(labels, ['R+ kvarh', 'AP kVAh', 'P W', 'Q var', 'S VA', 'A+ kWh']);
      const [up] = await node.command('LCD PRESS P1', /^LCD PRESS/);
      assert.match(up!, /item=5 S VA$/);
      await node.command('LCD PRESS 1', /^LCD PRESS/); // P1 by code: Q var
      await node.command('LCD PRESS P1', /^LCD PRESS/); // P W
      const s = await showAt(node, (await showAt(node)).get('second')! + 1);
      const lcd = await node.command('LCD SHOW', /^LCD1 /);
      assert.match(lcd[0]!, /^LCD0 P W/);
      assert.ok(Math.abs(Number(lcd[1]!.slice(5)) - s.get('P')!) < 0.2, lcd.join('|'));
      await node.command('LCD PRESS P1', /^LCD PRESS/);
      await node.command('LCD PRESS P1', /^LCD PRESS/); // R+ kvarh
      await node.command('LCD PRESS P1', /^LCD PRESS/); // A+ kWh
      const a = await showAt(node, s.get('second')! + 1);
      const lcd2 = await node.command('LCD SHOW', /^LCD1 /);
      assert.match(lcd2[0]!, /^LCD0 A\+ kWh/);
      assert.ok(Math.abs(Number(lcd2[1]!.slice(5)) - a.get('A+')! / 1000) <= 0.0015, lcd2.join('|'));
    });

    it('LED pulse counts follow the registers (1000 imp/kWh: one per Wh)', async () => {
      const s = await showAt(node, (await showAt(node)).get('second')! + 1);
      const [line] = await node.command('METRO LED', /^led\./);
      const m = /^led\.active=(\d+) imp\/kWh=1000 led\.reactive=(\d+) imp\/kvarh=1000$/.exec(line!)!;
      assert.ok(m, line);
      assert.ok(Math.abs(Number(m[1]) - Math.floor(s.get('A+')!)) <= 2, `${line} A+=${s.get('A+')}`);
    });

    if (platform === 'lin') {
      it('reverse energy and sustained undervoltage (1-s resolution)', async () => {
        const r = await inject(node, 'METRO EVENT 5 1 0 2000', 'REVERSE');
        assert.ok(Math.abs(r.e.duration - 2000) <= 1000 && Math.abs(r.e.time - r.start) <= 1000, JSON.stringify(r));
        assert.ok(Math.abs(r.e.value - 1150) < 20, `peak export ${r.e.value} W`);
        const u = await inject(node, 'METRO EVENT 2 1 850 6000', 'UNDERVOLTAGE');
        assert.ok(Math.abs(u.e.duration - 6000) <= 1000 && Math.abs(u.e.time - u.start) <= 1000, JSON.stringify(u));
        assert.ok(Math.abs(u.e.value - 195500) < 2000, `lowest ${u.e.value} mV`);
      });
    }
  });
}
