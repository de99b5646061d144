// A chain of meters on the real-time medium (lin): meters out of the coordinator's range join
// through other meters (LBP agents), and ICMPv6 echo crosses 3 hops over LOADng routes.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { Medium } from '../../emulator/medium/medium.js';
import type { Topology } from '../../emulator/medium/channel.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';

interface Dev {
  eui64: string;
  psk: string;
  deny?: boolean;
}
const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string; devices?: Dev[]; pad?: number }) => Buffer;
const dir = mkdtempSync(join(tmpdir(), 'plchop-'));
const psk = (n: number): string => n.toString(16).padStart(32, '0');
const eui = (n: number): string => '0x' + n.toString(16);

// A chain on one feeder, 1 km apart: each node hears only its neighbours (2 km is below detection).
const topology: Topology = {
  txLevelDbuv: 110,
  noiseDbuv: 40,
  attenuationDbPerKm: 50,
  couplingLossDb: 10,
  crossPhaseLossDb: 15,
  detectSnrDb: -3,
  captureDb: 10,
  randomLoss: 0,
  nodes: [1, 2, 3, 4].map((n) => ({
    eui64: '0x' + n.toString(16).padStart(16, '0'),
    name: `n${n}`,
    phase: 'L1',
    transformer: 'T1',
    feeder: 'F1',
    positionM: (n - 1) * 1000,
  })),
} as unknown as Topology;

describe('PLC multi-hop', function () {
  this.timeout(150000);
  it('meters out of range join through other meters; ping across 3 hops', async () => {
    const sock = join(dir, 'm.sock');
    const medium = new Medium({ seed: 3, topology });
    await medium.listen(sock);
    const nodes: FirmwareNode[] = [];
    try {
      const f = (name: string, b: Buffer): string => {
        const p = join(dir, name);
        writeFileSync(p, b);
        return p;
      };
      const c = await FirmwareNode.start({
        platform: 'lin',
        role: 'concentrator',
        args: [
          '--modem',
          sock,
          '--provision',
          f(
            'c',
            provisionRecord({
              eui64: eui(1),
              psk: psk(1),
              seed: psk(0xc),
              devices: [2, 3, 4].map((n) => ({ eui64: eui(n), psk: psk(n) })),
            }),
          ),
        ],
      });
      nodes.push(c);
      await c.waitFor(/^PLC PAN/, 10000);
      for (const n of [2, 3, 4]) {
        const m = await FirmwareNode.start({
          platform: 'lin',
          role: 'meter',
          args: ['--modem', sock, '--provision', f(`m${n}`, provisionRecord({ eui64: eui(n), psk: psk(n), seed: psk(0x100 + n) }))],
        });
        nodes.push(m);
      }
      const joined: string[] = [];
      for (const m of nodes.slice(1)) joined.push(await m.waitFor(/^PLC JOINED/, 90000));
      // node 3 is out of the coordinator's range: its agent is node 2 (short 0x0001); node 4's is node 3
      assert.match(joined[1]!, /agent=0x0001/);
      assert.match(joined[2]!, /agent=0x0002/);
      const p = await nodes[3]!.command('PLC PING 0 2', /^PING 0x0000 sent=/, 40000);
      assert.match(p.at(-1)!, /received=[12]/);
      const routes = await nodes[3]!.command('PLC ROUTES', /^routes=/);
      assert.ok(
        routes.some((l) => /^ROUTE 0x0000 via=0x0002 .*hops=3 /.test(l)),
        routes.join('\n'),
      );
    } finally {
      for (const n of nodes) await n.stop();
      await medium.close();
    }
  });
});
