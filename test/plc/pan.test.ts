// A PAN on the real-time medium: a lin concentrator, lin meters and an mps2-an386 meter join
// with EAP-PSK; ping over the PAN; a wrong PSK and a blacklisted EUI-64 are refused, counted
// and traced. Every step waits for a line.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { Medium } from '../../emulator/medium/medium.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';

interface Dev {
  eui64: string;
  psk: string;
  deny?: boolean;
}
const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string; devices?: Dev[]; pad?: number }) => Buffer;

const dir = mkdtempSync(join(tmpdir(), 'plcpan-'));
const psk = (n: number): string => n.toString(16).padStart(32, '0');
const eui = (n: number): string => '0x' + n.toString(16);

describe('PLC PAN on the real-time medium (lin + mps2-an386)', function () {
  this.timeout(120000);
  const sock = join(dir, 'medium.sock');
  let medium: Medium;
  const nodes: FirmwareNode[] = [];

  before(async () => {
    medium = new Medium({ seed: 7 });
    await medium.listen(sock);
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await medium.close();
  });

  it('forms a PAN; lin and board meters join; ping works; wrong PSK and blacklist are refused', async () => {
    // devices 2, 3 (lin), 4 (board) good; 5 has the wrong PSK; 6 is blacklisted
    const table: Dev[] = [2, 3, 4, 5]
      .map((n): Dev => ({ eui64: eui(n), psk: psk(n) }))
      .concat([{ eui64: eui(6), psk: psk(6), deny: true }]);
    const file = (name: string, rec: Buffer): string => {
      const f = join(dir, name);
      writeFileSync(f, rec);
      return f;
    };
    const cfile = file('c.bin', provisionRecord({ eui64: eui(1), psk: psk(1), seed: 'c1'.repeat(16), devices: table }));
    const meter = (n: number, key = psk(n), pad = 0): string =>
      file(`m${n}.bin`, provisionRecord({ eui64: eui(n), psk: key, seed: psk(0x100 + n), pad }));
    const c = await FirmwareNode.start({ platform: 'lin', role: 'concentrator', args: ['--modem', sock, '--provision', cfile] });
    nodes.push(c);
    await c.waitFor(/^PLC PAN pan=0x[0-9a-f]{4} short=0x0000/, 10000);
    const lin = await Promise.all(
      [2, 3].map((n) => FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', sock, '--provision', meter(n)] })),
    );
    nodes.push(...lin);
    const board = await FirmwareNode.start({
      platform: 'mps2-an386',
      role: 'meter',
      provision: meter(4, psk(4), 8192),
      args: ['-serial', 'null', '-serial', `unix:${sock}`],
    });
    nodes.push(board);
    const bad = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', sock, '--provision', meter(5, psk(0x55))] });
    const denied = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', sock, '--provision', meter(6)] });
    nodes.push(bad, denied);
    const joined = await Promise.all([...lin, board].map((m) => m.waitFor(/^PLC JOINED pan=0x[0-9a-f]{4} short=0x[0-9a-f]{4}/, 60000)));
    const shorts = joined.map((l) => /short=0x([0-9a-f]{4})/.exec(l)![1]);
    assert.equal(new Set(shorts).size, 3, 'unique short addresses');
    const devices = await c.command('PLC DEVICES', /^devices=/);
    for (const n of [2, 3, 4])
      assert.ok(
        devices.some((l) => l.startsWith(`DEVICE ${BigInt(eui(n)).toString(16).padStart(16, '0')} `) && / state=joined /.test(l)),
        devices.join('\n'),
      );
    // refusals: counted on the concentrator and traced
    await c.waitFor(/TRACE WARN PLC: lbs: decline 0000000000000006 \(blacklisted\)/, 30000);
    await c.waitFor(/TRACE WARN PLC: lbs: decline 0000000000000005 /, 30000);
    const stats = (await c.command('PLC STATS', /^stack errors=/)).join('\n');
    assert.match(stats, /blacklisted=[1-9]/);
    assert.match(stats, /declined=[1-9]/);
    assert.equal(
      devices.some((l) => /DEVICE 000000000000000[56] .*joined/.test(l)),
      false,
    );
    // ICMPv6 echo from the board meter to the concentrator and from the concentrator to a meter
    const p1 = await board.command('PLC PING 0 2', /^PING 0x0000 sent=/, 30000);
    assert.match(p1.at(-1)!, /sent=2 received=[12]/);
    const p2 = await c.command(`PLC PING 0x${shorts[0]} 1`, /sent=1/, 30000);
    assert.match(p2.at(-1)!, /received=1/);
    // keys never in the output
    for (const n of nodes) for (const k of [psk(2), psk(3), psk(4), psk(5), psk(6)]) assert.ok(!n.lines.join('\n').includes(k));
  });
});
