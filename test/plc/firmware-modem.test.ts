// The PLC part on a lin node, driven through its modem port by a scripted modem (the test plays
// the medium's side of PROTOCOL.md): HELLO with the provisioned EUI-64, SET_ADDRESS, discovery by
// beacon request; garbage on the port is counted, not fatal; provisioning errors are one line.
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FirmwareNode, ROOT, firmwarePath } from '../../emulator/node.js';
import { decodeMacFrame } from '../../modules/plc/mac-frame.js';
import { DecodeError, NeedMoreData } from '../../modules/plc/errors.js';
import { Decoder, encode, MsgType, type PortMessage } from '../../emulator/medium/port.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';

const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string }) => Buffer;

const dir = mkdtempSync(join(tmpdir(), 'plcfw-'));
mkdirSync(dir, { recursive: true });
const PSK = '00112233445566778899aabbccddeeff';

class ScriptedModem {
  readonly received: PortMessage[] = [];
  private sock: net.Socket | undefined;
  private readonly decoder = new Decoder();
  private waiters: (() => void)[] = [];
  readonly server: net.Server;
  constructor(readonly path: string) {
    this.server = net.createServer((s) => {
      this.sock = s;
      s.on('data', (b: Buffer) => {
        for (const m of this.decoder.push(new Uint8Array(b))) {
          this.received.push(m);
          if (m.type === MsgType.HELLO) this.send({ type: MsgType.READY, version: 1, simClock: false, now: 0n });
        }
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      });
      s.on('error', () => undefined);
    });
  }
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.path, r));
  }
  send(m: PortMessage): void {
    this.sock?.write(encode(m));
  }
  raw(b: Uint8Array): void {
    this.sock?.write(b);
  }
  async waitFor(pred: (m: PortMessage) => boolean, timeoutMs = 10000): Promise<PortMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.received.find(pred);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`modem: no matching message within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }
  close(): void {
    this.sock?.destroy();
    this.server.close();
  }
}

describe('PLC part on lin through the modem port', function () {
  this.timeout(60000);

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
      assert.equal(Buffer.from(req.frame).toString('hex').replace(/^(....)..(.*)$/, '$1$2'), '0308ffffffff07');
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

  it('replays the frame corpus into the firmware\'s native MAC codec: every refusal counted, no stack error', async () => {
    const frames: Uint8Array[] = [];
    for (const name of ['mac-valid', 'mac-truncated', 'mac-hostile', 'mac-random']) {
      const b = readFileSync(join(ROOT, 'test', 'fixtures', 'plc-frames', `${name}.bin`));
      for (let at = 0; at < b.length; at += 2 + b.readUInt16BE(at)) frames.push(new Uint8Array(b.subarray(at + 2, at + 2 + b.readUInt16BE(at))));
    }
    // the modem port refuses empty and over-long MPDUs first (badLength)
    const sent = frames.filter((f) => f.length >= 1 && f.length <= 400);
    let truncated = 0, malformed = 0;
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
      const want = new RegExp(`^modem frames=${sent.length + 1} `, 'm');   // + the READY
      let stats = '';
      for (let i = 0; i < 100 && !want.test(stats); i++) stats = (await node.command('PLC STATS', /^stack errors=/)).join('\n');
      assert.match(stats, want);
      assert.match(stats, new RegExp(`^mac .*malformed=(\\d+) truncated=${truncated} `, 'm'));
      const counted = Number(/^mac .*malformed=(\d+)/m.exec(stats)![1]);
      assert.ok(counted >= malformed, `malformed ${counted} >= ${malformed}`);   // + beacons with a bad payload
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
