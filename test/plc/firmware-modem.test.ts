// The PLC part on a lin node, driven through its modem port by a scripted modem (the test plays
// the medium's side of PROTOCOL.md): HELLO with the provisioned EUI-64, SET_ADDRESS, discovery by
// beacon request; garbage on the port is counted, not fatal; provisioning errors are one line.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FirmwareNode, ROOT, firmwarePath } from '../../emulator/node.js';
import { decodeMacFrame } from '../../modules/plc/mac-frame.js';
import { DecodeError, NeedMoreData } from '../../modules/plc/errors.js';
import { Decoder, encode, MsgType, type PortMessage } from '../../emulator/medium/port.js';
import { ScriptedModem } from '../helpers/scripted-modem.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';

const provisionRecord = provisionRecordJs as (o: {
  eui64: string;
  psk: string;
  seed: string;
  listedOnly?: boolean;
  devices?: { eui64: string; psk: string }[];
}) => Buffer;

const dir = mkdtempSync(join(tmpdir(), 'plcfw-'));
mkdirSync(dir, { recursive: true });
const PSK = '00112233445566778899aabbccddeeff';

/** LBP messages a node sent (DATA_REQUEST, ESC dispatch 0x40, LBP command 0x02). */
function lbpSent(received: PortMessage[]): { code: number; lbd: string }[] {
  const out: { code: number; lbd: string }[] = [];
  for (const m of received) {
    if (m.type !== MsgType.DATA_REQUEST) continue;
    try {
      const p = decodeMacFrame(m.frame).payload;
      if (p[0] === 0x40 && p[1] === 0x02) out.push({ code: p[2]! >> 4, lbd: Buffer.from(p.subarray(4, 12)).toString('hex') });
    } catch (e) {
      if (!(e instanceof DecodeError || e instanceof NeedMoreData)) throw e;
    }
  }
  return out;
}

describe('PLC part on lin through the modem port', function () {
  this.timeout(60000);

  // Issue 16, finding 3: the report's forged JOINING (unsecured, made-up EUI-64 0a00000000000001)
  const REPORTED = Buffer.from('7e8200253200000000000000000041c801aff50000010000000000000a400210000a000000000000012641823f', 'hex');
  /** The reported frame's MPDU for this run's PAN and a given EUI-64 (MAC source and A_LBD). */
  const forgery = (pan: number, eui: Buffer): Uint8Array => {
    const ind = new Decoder().push(new Uint8Array(REPORTED))[0]!;
    assert.ok(ind.type === MsgType.DATA_INDICATION);
    const f = Buffer.from(ind.frame);
    f.writeUInt16LE(pan, 3);
    Buffer.from(eui).reverse().copy(f, 7); // MAC extended addresses are little-endian
    eui.copy(f, 19);
    return new Uint8Array(f);
  };
  const made = (i: number): Buffer => {
    const b = Buffer.alloc(8);
    b[0] = 0x0a;
    b.writeUInt32BE(i + 1, 4);
    return b;
  };
  for (const listedOnly of [false, true]) {
    it(`a JOINING flood${listedOnly ? ' (--listed-only)' : ''}: the device table returns to its baseline, DECLINEs rate-limited and counted`, async () => {
      const modem = new ScriptedModem(join(dir, `flood${listedOnly ? 'l' : ''}.sock`), true);
      await modem.listen();
      const prov = join(dir, `conc${listedOnly ? 'l' : ''}.bin`);
      const KNOWN = '0x0080e10000000042';
      writeFileSync(
        prov,
        provisionRecord({ eui64: '0x0080e10000000001', psk: PSK, seed: PSK, listedOnly, devices: [{ eui64: KNOWN, psk: PSK }] }),
      );
      const node = await FirmwareNode.start({ platform: 'lin', role: 'concentrator', args: ['--modem', modem.path, '--provision', prov] });
      try {
        await modem.waitFor((m) => m.type === MsgType.HELLO);
        await modem.runTo(4_000_000n); // the PAN-id scan, then the PAN
        const sa = modem.received.filter((m) => m.type === MsgType.SET_ADDRESS).at(-1);
        assert.ok(sa?.type === MsgType.SET_ADDRESS && sa.panId !== 0xffff, 'PAN formed');
        const pan = sa.panId;
        const devices = async (): Promise<string> => (await node.command('PLC DEVICES', /^devices=/)).join('\n');
        assert.match(await devices(), /^devices=0 /m);
        // the reported frame as sent (its PAN was 0xaff5: refused unless this run's PAN is the
        // same), then 100 forgeries a simulated second for 10 s, made-up EUI-64s
        modem.raw(REPORTED);
        const N = 1000;
        for (let s = 0; s < 10; s++) {
          for (let i = s * 100; i < (s + 1) * 100; i++) {
            modem.send({ type: MsgType.DATA_INDICATION, lqi: 50, modulation: 0, time: modem.now, frame: forgery(pan, made(i)) });
          }
          await modem.runTo(modem.now + 1_000_000n);
          assert.match(await devices(), /^devices=0 /m, `table at ${s + 1} s`);
        }
        const stats = (await node.command('PLC STATS', /^stack errors=/)).join('\n');
        const lbs = /^lbs (.*)$/m.exec(stats)?.[1] ?? '';
        const declines = lbpSent(modem.received).filter((m) => m.code === 0xb).length;
        const counted = (k: string): number => Number(new RegExp(`\\b${k}=(\\d+)`).exec(lbs)?.[1]);
        const reported = pan === 0xaff5 ? 1 : 0;
        assert.equal(counted('declined'), N + reported, lbs);
        assert.ok(declines >= 8 && declines <= 8 + 11, `${declines} DECLINE frames for ${N} forgeries`);
        assert.equal(counted('declineSuppressed'), N + reported - declines, lbs);
        assert.match(stats, /stack errors=0/);
        // a sniffed, provisioned EUI-64 that never answers: a half-open entry, forgotten after
        // lbpHalfOpenTimeoutMs (30 s, manifest)
        modem.send({
          type: MsgType.DATA_INDICATION,
          lqi: 50,
          modulation: 0,
          time: modem.now,
          frame: forgery(pan, Buffer.from(KNOWN.slice(2), 'hex')),
        });
        await modem.runTo(modem.now + 1_000_000n);
        assert.match(await devices(), /state=authenticating[\s\S]*^devices=1 /m);
        await modem.runTo(modem.now + 31_000_000n);
        assert.match(await devices(), /^devices=0 /m);
        assert.match((await node.command('PLC STATS', /^stack errors=/)).join('\n'), /^lbs .*\bexpired=1\b/m);
      } finally {
        await node.stop();
        modem.close();
      }
    });
  }

  it('says HELLO with the provisioned EUI-64, clears its address, discovers by beacon request; counts garbage', async () => {
    const modem = new ScriptedModem(join(dir, 'modem.sock'));
    await modem.listen();
    const prov = join(dir, 'meter.bin');
    writeFileSync(prov, provisionRecord({ eui64: '0x0080e10000000042', psk: PSK, seed: PSK }));
    const node = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', modem.path, '--provision', prov] });
    try {
      const hello = await modem.waitFor((m) => m.type === MsgType.HELLO);
      assert.equal(hello.type === MsgType.HELLO && hello.eui64, 0x0080e10000000042n);
      assert.equal(hello.type === MsgType.HELLO && hello.kind, 1);
      const sa = await modem.waitFor((m) => m.type === MsgType.SET_ADDRESS);
      assert.deepEqual(sa, { type: MsgType.SET_ADDRESS, panId: 0xffff, shortAddr: 0xfffe });
      const req = await modem.waitFor((m) => m.type === MsgType.DATA_REQUEST);
      assert.ok(req.type === MsgType.DATA_REQUEST);
      // beacon request command (802.15.4 7.3.7): FCF 0x0803, broadcast PAN and address, command 0x07
      assert.equal(
        Buffer.from(req.frame)
          .toString('hex')
          .replace(/^(....)..(.*)$/, '$1$2'),
        '0308ffffffff07',
      );
      // garbage, a bad CRC and a truncated hostile indication: counted, the node keeps going
      modem.raw(Uint8Array.of(1, 2, 3, 0x7e, 0x42, 0, 1, 0));
      const bad = encode({ type: MsgType.DATA_INDICATION, lqi: 9, modulation: 0, time: 0n, frame: Uint8Array.of(0x41, 0xcc) });
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
      modem.raw(bad);
      modem.send({ type: MsgType.DATA_INDICATION, lqi: 9, modulation: 0, time: 0n, frame: Uint8Array.of(0x41, 0xcc, 0x01) });
      modem.send({ type: MsgType.DATA_CONFIRM, handle: 1, status: 0, retries: 0, time: 0n });
      let stats = '';
      for (let i = 0; i < 50 && !/truncated=1/.test(stats); i++) stats = (await node.command('PLC STATS', /^stack errors=/)).join('\n');
      assert.match(stats, /badCrc=1/);
      assert.match(stats, /unknownType=1/);
      assert.match(stats, /truncated=1/);
      assert.match(stats, /droppedBytes=[1-9]/);
      assert.match(stats, /stack errors=0/);
      assert.match(stats, /^state=(discover|backoff|joining)/m);
      assert.match((await node.command('SYS VERSION', /^NON-LEGAL/)).join('\n'), /^PLC .* running$/m);
    } finally {
      await node.stop();
      modem.close();
    }
  });

  it("replays the frame corpus into the firmware's native MAC codec: every refusal counted, no stack error", async () => {
    const frames: Uint8Array[] = [];
    for (const name of ['mac-valid', 'mac-truncated', 'mac-hostile', 'mac-random']) {
      const b = readFileSync(join(ROOT, 'test', 'fixtures', 'plc-frames', `${name}.bin`));
      for (let at = 0; at < b.length; at += 2 + b.readUInt16BE(at))
        frames.push(new Uint8Array(b.subarray(at + 2, at + 2 + b.readUInt16BE(at))));
    }
    // the modem port refuses empty and over-long MPDUs first (badLength)
    const sent = frames.filter((f) => f.length >= 1 && f.length <= 400);
    let truncated = 0,
      malformed = 0;
    for (const f of sent) {
      try {
        decodeMacFrame(f);
      } catch (e) {
        if (e instanceof NeedMoreData) truncated++;
        else if (e instanceof DecodeError) malformed++;
        else throw e;
      }
    }
    assert.ok(truncated > 100 && malformed > 100, `${truncated} truncated, ${malformed} malformed`);
    const modem = new ScriptedModem(join(dir, 'corpus.sock'));
    await modem.listen();
    const prov = join(dir, 'corpus.bin');
    writeFileSync(prov, provisionRecord({ eui64: '0x0080e10000000043', psk: PSK, seed: PSK }));
    const node = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', modem.path, '--provision', prov] });
    try {
      await modem.waitFor((m) => m.type === MsgType.DATA_REQUEST);
      for (const frame of sent) modem.send({ type: MsgType.DATA_INDICATION, lqi: 50, modulation: 0, time: 0n, frame });
      const want = new RegExp(`^modem frames=${sent.length + 1} `, 'm'); // + the READY
      let stats = '';
      for (let i = 0; i < 100 && !want.test(stats); i++) stats = (await node.command('PLC STATS', /^stack errors=/)).join('\n');
      assert.match(stats, want);
      assert.match(stats, new RegExp(`^mac .*malformed=(\\d+) truncated=${truncated} `, 'm'));
      const counted = Number(/^mac .*malformed=(\d+)/m.exec(stats)![1]);
      assert.ok(counted >= malformed, `malformed ${counted} >= ${malformed}`); // + beacons with a bad payload
      assert.match(stats, /stack errors=0/);
      assert.match((await node.command('SYS VERSION', /^NON-LEGAL/)).join('\n'), /^PLC .* running$/m);
    } finally {
      await node.stop();
      modem.close();
    }
  });

  it('refuses a provisioning file with a bad CRC with one line and status 2', () => {
    const f = join(dir, 'bad.bin');
    const rec = provisionRecord({ eui64: '0x2', psk: PSK, seed: PSK });
    rec[20] = rec[20]! ^ 1;
    writeFileSync(f, rec);
    const r = spawnSync(firmwarePath('lin', 'meter'), ['--provision', f], { input: '', encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /bad CRC/);
  });

  it('a meter without provisioning boots with the stack off and says why in a trace', async () => {
    const node = await FirmwareNode.start({ platform: 'lin', role: 'meter' });
    try {
      await node.waitFor(/PLC stack not started: provisioning no provisioning region/);
      await node.waitFor(/^PARTS started$/);
    } finally {
      await node.stop();
    }
  });
});
