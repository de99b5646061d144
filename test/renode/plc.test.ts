// Renode boards on the power line (issue 12, item 4; docs/renode.md "Renode boards on the power
// line"): the concentrator on the Renode STM32F429, its PLC modem port (USART3) piped to the
// medium, forms the PAN; a lin meter joins it through a lin relay (two hops) and answers
// `APP GET_DATA_STREAM` across the two hops; `npm run sim -- --concentrator renode` forms a PAN
// with lin meters and its summary names each node's clock. (The STM32F405 meter image has no PLC
// stack: sim.ts RENODE_METER_NO_PLC.)
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
// device count, EUI-64, PSK, seed, devices (EUI-64, PSK, flags), CRC-32 BE; padded with 0xFF to
// the board's provisioning region.
function record(eui: bigint, devices: bigint[], pad = 0): Buffer {
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
  const rec = Buffer.concat([body, crc]);
  return pad > rec.length ? Buffer.concat([rec, Buffer.alloc(pad - rec.length, 0xff)]) : rec;
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
// the STM32F429's provisioning region: 16 KB (hosts/stm32f429/link.ld PROVISION)
const PROVISION_F429 = 16384;

describe('Renode boards on the power line', function () {
  this.timeout(420000);
  before(function () {
    if (!findRenode()) {
      console.log(`      ${RENODE_INSTALL}`);
      this.skip();
    }
  });

  it('the Renode STM32F429 concentrator: a lin meter joins through a lin relay and answers APP GET_DATA_STREAM over two hops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plc-rn-')); // not renode-*: Renode deletes those at start;
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
        platform: 'stm32f429',
        role: 'concentrator',
        emulator: 'renode',
        provision: file('c.bin', record(EUI.c, [EUI.relay, EUI.far], PROVISION_F429)),
        modem: sock,
        readyTimeout: 180000,
      });
      nodes.push(conc);
      await conc.waitFor(/^PLC PAN pan=/, 120000);
      const relay = await FirmwareNode.start({
        platform: 'lin',
        role: 'meter',
        provision: file('r.bin', record(EUI.relay, [])),
        args: ['--modem', sock],
      });
      nodes.push(relay);
      const relayShort = parseInt(/short=0x([0-9a-f]{4})/.exec(await relay.waitFor(/^PLC JOINED /, 180000))![1]!, 16);
      const far = await FirmwareNode.start({
        platform: 'lin',
        role: 'meter',
        provision: file('f.bin', record(EUI.far, [])),
        args: ['--modem', sock],
      });
      nodes.push(far);
      const joined = await far.waitFor(/^PLC JOINED /, 180000);
      const farShort = parseInt(/short=0x([0-9a-f]{4})/.exec(joined)![1]!, 16);
      // through the relay, not the concentrator: two hops
      assert.equal(parseInt(/agent=0x([0-9a-f]{4})/.exec(joined)![1]!, 16), relayShort, joined);
      far.send('METRO LOAD 1 230000 10000 0');
      const from = Number(/second=(\d+)/.exec(await far.waitFor(/^METRO LOAD L1 from second=/, 30000))![1]);
      // once the load has been measured, empty the meter's ring of older records; then wait for
      // two more records (the stream returns the oldest first)
      const second = async (): Promise<number> =>
        Number(/second=(\d+)/.exec((await far.command('METRO SHOW', /^second=/, 30000)).at(-1)!)![1]);
      const untilSecond = async (n: number): Promise<number> => {
        for (;;) {
          const s = await second();
          if (s >= n) return s;
          await new Promise((r) => setTimeout(r, 300)); // poll interval: the meter measures at 1 Hz
        }
      };
      const drained = await untilSecond(from + 2);
      far.send('METRO GET_DATA 32');
      await far.waitFor(/^records=/);
      await untilSecond(drained + 3);
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
      // both records carry the load: 230 V x 10 A on L1
      for (const line of data) assert.ok(Math.abs(Number(/ P=(-?[0-9.]+)/.exec(line)![1]) - 2300) < 23, data.join('\n'));
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

  it('npm run sim -- --concentrator renode: two lin meters join the Renode STM32F429 concentrator; the summary names each clock', async () => {
    const lines: string[] = [];
    const s = await runSim({ meters: 2, board: 0, concentrator: 'renode', seed: 4, until: 'joined', limitS: 400 }, (l) => lines.push(l));
    assert.equal(s.allJoined, true, `${JSON.stringify(s.joinTimeS)}\n${lines.slice(-5).join('\n')}`);
    assert.ok(s.pan, 'PAN id');
    assert.equal(s.concentratorKind, 'renode');
    assert.equal(s.lin, 2);
    assert.equal(s.clock, 'real');
    assert.deepEqual(s.nodeClockOf, { concentrator: 'renode-virtual', 'meter-1': 'host', 'meter-2': 'host' });
    assert.equal(s.plcStats.concentrator === null, false, 'the Renode concentrator answered PLC STATS');
  });
});
