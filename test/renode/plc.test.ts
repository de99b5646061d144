// Renode boards on the power line (issue 12, item 4; docs/renode.md "Renode boards on the power
// line"): the STM32F405 meter on Renode joins a lin concentrator through a lin relay (two hops)
// with its PLC modem port (USART3) piped to the medium, and answers APP GET_DATA_STREAM across
// the two hops; `npm run sim` with the concentrator on the Renode STM32F429 and a meter on a
// Renode STM32F405 forms a PAN with a lin meter, and the summary names each node's clock.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Medium } from '../../emulator/medium/medium.js';
import { FirmwareNode } from '../../emulator/node.js';
import { runSim } from '../../emulator/sim.js';
import { findRenode, RENODE_INSTALL } from '../../tools/renode.mjs';

const EUI = { c: 0x20n, relay: 0x21n, far: 0x22n };
const psk = (n: bigint): Buffer => Buffer.alloc(16, Number(n));

// Provisioning record (layout: drivers/plcmodem/xs_provision.c): 'G3PV', version 1, flags,
// device count, EUI-64, PSK, seed, devices (EUI-64, PSK, flags), CRC-32 BE.
function record(eui: bigint, devices: bigint[]): Buffer {
  const head = Buffer.alloc(48);
  head.write('G3PV', 0, 'latin1');
  head[4] = 1;
  head.writeUInt16BE(devices.length, 6);
  head.writeBigUInt64BE(eui, 8);
  psk(eui).copy(head, 16);
  Buffer.alloc(16, 0x40 + Number(eui)).copy(head, 32);
  const entries = devices.map((d) => {
    const e = Buffer.alloc(25);
    e.writeBigUInt64BE(d, 0);
    psk(d).copy(e, 8);
    return e;
  });
  const body = Buffer.concat([head, ...entries]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([body, crc]);
}

// One feeder and phase at 50 dB/km: the far meter (1600 m) is below detection from the
// concentrator and hears the relay (800 m).
const topology = {
  txLevelDbuv: 110,
  noiseDbuv: 40,
  attenuationDbPerKm: 50,
  couplingLossDb: 10,
  crossPhaseLossDb: 15,
  detectSnrDb: -3,
  captureDb: 10,
  randomLoss: 0,
  nodes: [
    { eui64: '0x0000000000000020', name: 'concentrator', phase: '3P', transformer: 'T1', feeder: 'F1', positionM: 0 },
    { eui64: '0x0000000000000021', name: 'relay', phase: 'L1', transformer: 'T1', feeder: 'F1', positionM: 800 },
    { eui64: '0x0000000000000022', name: 'far', phase: 'L1', transformer: 'T1', feeder: 'F1', positionM: 1600 },
  ],
  links: [],
  noiseBursts: [],
};

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

describe('Renode boards on the power line', function () {
  this.timeout(420000);
  before(function () {
    if (!findRenode()) {
      console.log(`      ${RENODE_INSTALL}`);
      this.skip();
    }
  });

  it('a Renode STM32F405 meter joins a lin concentrator through a lin relay and answers APP GET_DATA_STREAM over two hops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'renode-plc-'));
    const sock = join(dir, 'plc.sock');
    const medium = new Medium({ topology: topology as never, seed: 11 });
    await medium.listen(sock);
    const nodes: FirmwareNode[] = [];
    const file = (name: string, b: Buffer): string => {
      const f = join(dir, name);
      writeFileSync(f, b);
      return f;
    };
    try {
      const conc = await FirmwareNode.start({
        platform: 'lin',
        role: 'concentrator',
        provision: file('c.bin', record(EUI.c, [EUI.relay, EUI.far])),
        args: ['--modem', sock],
      });
      nodes.push(conc);
      // the Renode board boots while the lin nodes form the first hop (its platform parse takes seconds)
      const farStart = FirmwareNode.start({
        platform: 'stm32f405',
        role: 'meter',
        emulator: 'renode',
        provision: file('f.bin', record(EUI.far, [])),
        modem: sock,
        readyTimeout: 180000,
      });
      const relay = await FirmwareNode.start({
        platform: 'lin',
        role: 'meter',
        provision: file('r.bin', record(EUI.relay, [])),
        args: ['--modem', sock],
      });
      nodes.push(relay);
      const far = await farStart;
      nodes.push(far);
      const relayShort = parseInt(/short=0x([0-9a-f]{4})/.exec(await relay.waitFor(/^PLC JOINED /, 120000))![1]!, 16);
      const joined = await far.waitFor(/^PLC JOINED /, 240000);
      const farShort = parseInt(/short=0x([0-9a-f]{4})/.exec(joined)![1]!, 16);
      // through the relay, not the concentrator: two hops
      assert.equal(parseInt(/agent=0x([0-9a-f]{4})/.exec(joined)![1]!, 16), relayShort, joined);
      far.send('METRO LOAD 1 230000 10000 0');
      const from = Number(/second=(\d+)/.exec(await far.waitFor(/^METRO LOAD L1 from second=/, 30000))![1]);
      // wait until two seconds have been measured with the load
      for (;;) {
        const s = Number(/second=(\d+)/.exec((await far.command('METRO SHOW', /^second=/, 30000)).at(-1)!)![1]);
        if (s >= from + 3) break;
        await new Promise((r) => setTimeout(r, 300)); // poll interval: the meter measures at 1 Hz
      }
      conc.skip();
      conc.send(`APP GET_DATA_STREAM 2 0x${farShort.toString(16)}`);
      const out = await conc.collect(/^(APP GET_DATA_STREAM meter=|ERROR APP GET_DATA_STREAM)/, 120000);
      assert.match(
        out.at(-1)!,
        new RegExp(`^APP GET_DATA_STREAM meter=0x${hex4(farShort)} datasets=2 requested=2 ms=\\d+$`),
        out.join('\n'),
      );
      const data = out.filter((l) => /^DATA \d /.test(l));
      assert.equal(data.length, 2, out.join('\n'));
      // the newest record carries the load: 230 V x 10 A
      const p = Number(/ P=(-?[0-9.]+)/.exec(data.at(-1)!)![1]);
      assert.ok(Math.abs(p - 2300) < 23, data.join('\n'));
      conc.skip();
      conc.send('PLC ROUTES');
      const routes = await conc.collect(/^routes=/);
      assert.ok(
        routes.some((l) => l.startsWith(`ROUTE 0x${hex4(farShort)} via=0x${hex4(relayShort)}`)),
        routes.join('\n'),
      );
    } finally {
      for (const n of nodes) await n.stop();
      await medium.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm run sim: the concentrator on the Renode STM32F429, a meter on a Renode STM32F405 and a lin meter form a PAN', async () => {
    const lines: string[] = [];
    const s = await runSim({ meters: 2, board: 0, renode: 1, concentrator: 'renode', seed: 4, until: 'joined', limitS: 400 }, (l) =>
      lines.push(l),
    );
    assert.equal(s.allJoined, true, `${JSON.stringify(s.joinTimeS)}\n${lines.slice(-5).join('\n')}`);
    assert.equal(s.pan !== undefined, true);
    assert.equal(s.concentratorKind, 'renode');
    assert.equal(s.renode, 1);
    assert.equal(s.lin, 1);
    assert.equal(s.clock, 'real');
    assert.deepEqual(s.nodeClockOf, { concentrator: 'renode-virtual', 'meter-1': 'renode-virtual', 'meter-2': 'host' });
    assert.equal(s.plcStats.metersReporting, 2);
  });
});
