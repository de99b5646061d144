// The G3 MAC frame counter over a power cut, on the real-time medium: a lin meter with an NVRAM
// file joins a lin concentrator's PAN and exchanges traffic (ping, DLMS READ over the UDP
// wrapper), is killed (SIGKILL) and restarted on the same NVRAM file; it rejoins, and its first
// frame counter is above every one it used before, so the concentrator takes its frames at once:
// a ping and a DLMS READ work without a rekey, and the concentrator's MAC drops none as a replay.
// (Without the stored bound the meter restarted at 0 and every secured frame was a "replay".)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { Medium } from '../../emulator/medium/medium.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';

interface Dev {
  eui64: string;
  psk: string;
}
const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string; devices?: Dev[]; pad?: number }) => Buffer;
const psk = (n: number): string => n.toString(16).padStart(32, '0');
const eui = (n: number): string => '0x' + n.toString(16);
const field = (line: string, key: string): number => {
  const m = new RegExp(`(?:^| )${key.replace(/\./g, '\\.')}=(\\d+)`).exec(line);
  assert.ok(m, `${key} in ${line}`);
  return Number(m[1]);
};

describe('PLC: the MAC frame counter over a power cut (lin, NVRAM file)', function () {
  this.timeout(240000);
  const dir = mkdtempSync(join(tmpdir(), 'plc-fc-'));
  const sock = join(dir, 'medium.sock');
  const nvram = join(dir, 'meter.nv');
  let medium: Medium;
  let conc: FirmwareNode | undefined, meter: FirmwareNode | undefined;

  after(async () => {
    await meter?.stop();
    await conc?.stop();
    await medium?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** PLC STATS of a node: the first line (state, fc) and the mac line. */
  const stats = async (n: FirmwareNode) => {
    const l = await n.command('PLC STATS', /^stack errors=/);
    return { head: l.find((x) => x.startsWith('state='))!, mac: l.find((x) => x.startsWith('mac '))! };
  };
  const startMeter = async () => {
    meter = await FirmwareNode.start({
      platform: 'lin',
      role: 'meter',
      nvram,
      args: ['--modem', sock, '--provision', join(dir, 'm2.bin')],
    });
    const joined = await meter.waitFor(/^PLC JOINED /, 90000);
    return '0x' + /short=0x([0-9a-f]{4})/.exec(joined)![1]!;
  };
  /** A ping from the concentrator and a DLMS READ of the meter's first object, answered. */
  const exchange = async (short: string) => {
    // the first echo after a join may be lost on the medium (as in pan.test.ts); not all of them
    const p = await conc!.command(`PLC PING ${short} 3`, /^PING 0x[0-9a-f]{4} sent=/, 40000);
    assert.match(p.at(-1)!, /sent=3 received=[123]$/, p.join('\n'));
    conc!.skip();
    conc!.send(`DLMS READ ${short} 1 PUBLIC`);
    let r = await conc!.collect(/^(DLMS READ meter=|ERROR)/, 120000);
    // One more read when the first had no reply at all: on the real-time medium under a loaded
    // CI machine, right after the meter's rejoin and its alarm pushes, one clean-clone run lost
    // every reply of a read (cause not found). A replay drop would show in the MAC counts below.
    if (/^ERROR DLMS READ: no reply/.test(r.at(-1)!)) {
      // what each side saw, printed so that the next such run tells where the datagrams went
      for (const [name, n] of [
        ['concentrator', conc!],
        ['meter', meter!],
      ] as const) {
        const d = await n.command('TCPIP STATS\r\nPLC ROUTES\r\nDLMS CLIENT\r\nDLMS STATS\r\nPLC STATS', /^stack errors=/, 20000);
        console.log(`    fc-reboot: no reply to a DLMS READ; ${name}:\n      ${d.join('\n      ')}`);
      }
      conc!.skip();
      conc!.send(`DLMS READ ${short} 1 PUBLIC`);
      r = await conc!.collect(/^(DLMS READ meter=|ERROR)/, 120000);
    }
    assert.match(r.at(-1)!, new RegExp(`^DLMS READ meter=${short} client=16 objects=1 attributes=\\d+ errors=0 `), r.slice(-4).join('\n'));
  };

  it('restarts above every frame counter used; the concentrator drops no frame of it as a replay, no rekey', async () => {
    medium = new Medium({ seed: 5 });
    await medium.listen(sock);
    const write = (name: string, b: Buffer) => writeFileSync(join(dir, name), b);
    write('c.bin', provisionRecord({ eui64: eui(1), psk: psk(1), seed: 'c1'.repeat(16), devices: [{ eui64: eui(2), psk: psk(2) }] }));
    write('m2.bin', provisionRecord({ eui64: eui(2), psk: psk(2), seed: psk(0x102) }));
    conc = await FirmwareNode.start({
      platform: 'lin',
      role: 'concentrator',
      nvram: join(dir, 'conc.nv'),
      args: ['--modem', sock, '--provision', join(dir, 'c.bin')],
    });
    await conc.waitFor(/^PLC PAN pan=/, 20000);
    // the concentrator keeps its own counter the same way (its NVRAM is bound too)
    assert.match((await stats(conc)).head, / fc\.nv=new fc\.writes=[1-9]/);

    // first life: a new record, the counter from 0
    const short = await startMeter();
    await exchange(short);
    const before = await stats(meter!);
    assert.match(before.head, / fc\.nv=new /, before.head);
    const usedBefore = field(before.head, 'fc') - 1; // the last counter a frame used
    assert.ok(usedBefore > 0, before.head);
    assert.ok(field(before.head, 'fc.bound') > usedBefore);
    const gmk = field((await stats(conc)).head, 'gmk');
    const replayBefore = field((await stats(conc)).mac, 'replay');

    // power cut: SIGKILL, then the same NVRAM file
    meter!.child.kill('SIGKILL');
    await meter!.wait();
    meter = undefined;
    const again = await startMeter();
    assert.equal(again, short, 'the LBS gives the device its short address back');
    const after = await stats(meter!);
    assert.match(after.head, / fc\.nv=restored /, after.head);
    assert.equal(field(after.head, 'gmk'), gmk, 'same GMK: no rekey happened');
    await exchange(short);
    const now = await stats(meter!);
    // every counter of the second life is above the first life's
    const bound = field(before.head, 'fc.bound');
    assert.ok(field(now.head, 'fc') - 1 > usedBefore && field(now.head, 'fc') > bound, `${now.head} after ${before.head}`);
    const c = await stats(conc);
    assert.equal(field(c.mac, 'replay'), replayBefore, `no replay drop on the concentrator: ${c.mac}`);
    assert.equal(field(c.head, 'gmk'), gmk);
    assert.ok(field(c.head, 'fc') < field(c.head, 'fc.bound'), c.head);
    assert.doesNotMatch((await conc.command('PLC DEVICES', /^devices=/)).join('\n'), /state=rekeying/);
  });
});
