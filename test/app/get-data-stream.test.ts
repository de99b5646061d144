// End to end over the emulated power line: a concentrator (lin), a relay meter (lin) and a meter
// on the emulated mps2-an386 board that only the relay hears (multi-hop). The concentrator's
// `APP GET_DATA_STREAM` asks a meter over UDP/IPv6/ADP; the meter's APP task gets the records
// from METRO and replies; the printed values are checked against the load the test applied and
// against the meter's own `METRO SHOW`.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { FirmwareNode } from '../../emulator/node.js';
import { Medium } from '../../emulator/medium/medium.js';

const EUI = { c: 0x10n, relay: 0x11n, far: 0x12n };
const psk = (n: bigint): Buffer => Buffer.alloc(16, Number(n));

// Provisioning record (layout: drivers/plcmodem/xs_provision.c): 'G3PV', version 1, flags,
// device count, EUI-64, PSK, seed, devices (EUI-64, PSK, flags), CRC-32 BE; padded with 0xFF.
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

// Same feeder and phase: 50 dB/km; the far meter (1600 m) is below detection from the
// concentrator, 800 m from the relay.
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
    { eui64: '0x0000000000000010', name: 'concentrator', phase: '3P', transformer: 'T1', feeder: 'F1', positionM: 0 },
    { eui64: '0x0000000000000011', name: 'relay', phase: 'L1', transformer: 'T1', feeder: 'F1', positionM: 800 },
    { eui64: '0x0000000000000012', name: 'far', phase: 'L1', transformer: 'T1', feeder: 'F1', positionM: 1600 },
  ],
  links: [],
  noiseBursts: [],
};

const num = (line: string, key: string): number => {
  const m = new RegExp(`(?:^| )${key.replace('+', '\\+')}=(-?[0-9.]+)`).exec(line);
  assert.ok(m, `${key} in ${line}`);
  return Number(m[1]);
};

/** Polls METRO SHOW (every 300 ms) until the meter has measured second `n`; returns the second. */
async function secondAtLeast(node: FirmwareNode, n: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    node.send('METRO SHOW');
    const s = num(await node.waitFor(/^second=/), 'second');
    await node.waitFor(/^AP=/);
    if (s >= n) return s;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`second ${n} never measured`);
}

describe('APP GET_DATA_STREAM over the power line (lin + mps2-an386, multi-hop)', function () {
  this.timeout(240000);
  const dir = mkdtempSync(join(tmpdir(), 'app-e2e-'));
  const sock = join(dir, 'plc.sock');
  let medium: Medium;
  const nodes: FirmwareNode[] = [];
  let conc: FirmwareNode, relay: FirmwareNode, far: FirmwareNode;
  let relayShort = 0,
    farShort = 0;

  before(async () => {
    medium = new Medium({ topology: topology as never, seed: 7 });
    await medium.listen(sock);
    const file = (name: string, b: Buffer): string => {
      const f = join(dir, name);
      writeFileSync(f, b);
      return f;
    };
    conc = await FirmwareNode.start({
      platform: 'lin',
      role: 'concentrator',
      provision: file('c.bin', record(EUI.c, [EUI.relay, EUI.far])),
      args: ['--modem', sock],
    });
    nodes.push(conc);
    await conc.waitFor(/^PLC PAN pan=/, 20000);
    relay = await FirmwareNode.start({
      platform: 'lin',
      role: 'meter',
      provision: file('r.bin', record(EUI.relay, [])),
      args: ['--modem', sock],
    });
    nodes.push(relay);
    relayShort = parseInt(/short=0x([0-9a-f]{4})/.exec(await relay.waitFor(/^PLC JOINED /, 60000))![1]!, 16);
    far = await FirmwareNode.start({
      platform: 'mps2-an386',
      role: 'meter',
      provision: file('f.bin', record(EUI.far, [], 8192)),
      args: ['-serial', 'null', '-serial', `unix:${sock}`],
    });
    nodes.push(far);
    const joined = await far.waitFor(/^PLC JOINED /, 90000);
    farShort = parseInt(/short=0x([0-9a-f]{4})/.exec(joined)![1]!, 16);
    // it joined through the relay, not the concentrator
    assert.equal(parseInt(/agent=0x([0-9a-f]{4})/.exec(joined)![1]!, 16), relayShort);
  });

  after(async () => {
    for (const n of nodes) await n.stop();
    await medium?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the far meter by its PLC DEVICES index: values match its load and its METRO SHOW', async () => {
    // L1 230 V 10 A at 0 deg, L2 230 V 5 A at 30 deg inductive
    far.send('METRO LOAD 1 230000 10000 0');
    const from = num(await far.waitFor(/^METRO LOAD L1 from second=/), 'second');
    far.send('METRO LOAD 2 230000 5000 3000');
    await far.waitFor(/^METRO LOAD L2 /);
    // wait until both loads have been measured, then empty the ring of older records
    const drained = await secondAtLeast(far, from + 2);
    far.send('METRO GET_DATA 32');
    await far.waitFor(/^records=/);
    // the index of the far meter in PLC DEVICES (1-based)
    conc.skip();
    conc.send('PLC DEVICES');
    const list = await conc.collect(/^devices=/);
    const index =
      list.filter((l) => l.startsWith('DEVICE ')).findIndex((l) => l.includes(`short=0x${farShort.toString(16).padStart(4, '0')}`)) + 1;
    assert.ok(index >= 1, list.join('\n'));
    // the ring refills at 1 Hz: wait for 3 more records
    await secondAtLeast(far, drained + 4);
    conc.skip();
    conc.send(`APP GET_DATA_STREAM 3 -${index}`);
    const out = await conc.collect(/^(APP GET_DATA_STREAM meter=|ERROR APP GET_DATA_STREAM)/, 60000);
    const end = out[out.length - 1]!;
    assert.match(
      end,
      new RegExp(`^APP GET_DATA_STREAM meter=0x${farShort.toString(16).padStart(4, '0')} datasets=3 requested=3 ms=\\d+$`),
      out.join('\n'),
    );
    const data = out.filter((l) => /^DATA \d /.test(l));
    assert.equal(data.length, 3, out.join('\n'));
    const pExp = 230 * 10 + 230 * 5 * Math.cos(Math.PI / 6);
    const qExp = 230 * 5 * Math.sin(Math.PI / 6);
    let prev: { t: number; a: number } | null = null;
    for (const line of data) {
      assert.match(line, /^DATA \d t=\d+ P=-?\d+\.\d{4} Q=-?\d+\.\d{4} A\+=\d+\.\d{6} A-=\d+\.\d{6} R\+=\d+\.\d{6} R-=\d+\.\d{6}$/);
      assert.ok(Math.abs(num(line, 'P') - pExp) < pExp * 0.01, `P ${line} vs ${pExp}`);
      assert.ok(Math.abs(num(line, 'Q') - qExp) < pExp * 0.01, `Q ${line} vs ${qExp}`);
      assert.ok(num(line, 'A-') < 1e-3);
      const t = num(line, 't'),
        a = num(line, 'A+');
      if (prev) {
        // one second apart, energy grows by P x 1 s
        assert.ok(t > prev.t);
        const dWh = (pExp * ((t - prev.t) / 1000)) / 3600;
        assert.ok(Math.abs(a - prev.a - dWh) < dWh * 0.05, `A+ step ${a - prev.a} vs ${dWh}`);
      }
      prev = { t, a };
    }
    // the meter's own registers are later and consistent with the last dataset
    far.send('METRO SHOW');
    const time = num(await far.waitFor(/^time=/), 'time');
    const aNow = num(await far.waitFor(/^A\+=/), 'A+');
    assert.ok(time >= prev!.t && aNow >= prev!.a);
    const dWh = (pExp * ((time - prev!.t) / 1000)) / 3600;
    assert.ok(Math.abs(aNow - prev!.a - dWh) <= dWh * 0.05 + 1e-6, `A+ ${aNow} - ${prev!.a} vs ${dWh}`);
    // the route to the far meter takes two hops
    conc.skip();
    conc.send('PLC ROUTES');
    const routes = await conc.collect(/^routes=/);
    assert.ok(
      routes.some((l) =>
        l.startsWith(`ROUTE 0x${farShort.toString(16).padStart(4, '0')} via=0x${relayShort.toString(16).padStart(4, '0')}`),
      ),
      routes.join('\n'),
    );
  });

  it('reads the lin relay meter by short address; test datagrams come back intact', async () => {
    conc.skip();
    conc.send(`APP GET_DATA_STREAM 2 0x${relayShort.toString(16)}`);
    const out = await conc.collect(/^(APP GET_DATA_STREAM meter=|ERROR APP GET_DATA_STREAM)/, 60000);
    assert.match(out[out.length - 1]!, /datasets=2 requested=2/, out.join('\n'));
    conc.skip();
    conc.send(`APP TEST 0x${farShort.toString(16)} 3 300`);
    const t = await conc.waitFor(/^(APP TEST|ERROR APP TEST)/, 120000);
    assert.match(t, /^APP TEST meter=0x[0-9a-f]{4} sent=3 ok=3 bad=0 lost=0 ms=\d+$/);
    far.send('APP STATS');
    assert.equal(num(await far.waitFor(/^app port=61617 /), 'testIn'), 3);
  });

  it('errors are one line: unknown index, bad n, bad meter; PLC counted the traffic', async () => {
    conc.skip();
    conc.send('APP GET_DATA_STREAM 3 -9');
    assert.match(await conc.waitFor(/^ERROR APP GET_DATA_STREAM/), /^ERROR APP GET_DATA_STREAM: unknown meter: index 9 of 2 devices$/);
    conc.skip();
    conc.send('APP GET_DATA_STREAM 17 1');
    assert.match(await conc.waitFor(/^ERROR /), /^ERROR APP GET_DATA_STREAM: n 1\.\.16$/);
    conc.skip();
    conc.send('APP GET_DATA_STREAM 1 0');
    assert.match(await conc.waitFor(/^ERROR /), /^ERROR APP GET_DATA_STREAM: meter: /);
    conc.skip();
    conc.send('PLC ADP');
    const line = await conc.waitFor(/^adp\.service /);
    assert.ok(num(line, 'sent') >= 2 && num(line, 'indications') >= 2, line);
  });
});
