// The fuzz inputs replayed into the decoders running on XS in the firmware (docs/fuzzing.md):
// a lin meter, through the ports a device really has. Each target's saved corpus
// (fuzz/corpus/<target>/) and a sample of its generated inputs (fast-check, fixed seed) go in:
//  - the modem port (a scripted modem, PROTOCOL.md): the mac target's inputs as MPDUs in
//    DATA_INDICATION, the adp, iphc, loadng, lbp and eap-psk inputs as ADP payloads of unsecured
//    MAC data frames (ESC LOADng / ESC LBP around the LOADng, LBP and EAP-PSK ones), and the
//    plcmodem target's byte streams raw on the port;
//  - the optical port (UART1): the iec62056-21 and hdlc inputs as raw bytes; in an HDLC session
//    of the public client, the xdlms inputs as APDUs and the axdr inputs inside SET-request;
//  - the shell (stdin): the shell inputs as raw bytes.
// Afterwards the firmware still answers, printed no FATAL, its stack counted no error, and the
// drop counters of each path moved.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FirmwareNode } from '../../emulator/node.js';
import { MsgType } from '../../emulator/medium/port.js';
import { ScriptedModem } from '../helpers/scripted-modem.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';
import { arbitrary, target, type TsTarget } from '../../fuzz/targets.js';
import { savedInputs } from '../../fuzz/run.js';
import { encodeMacFrame, type MacFrame } from '../../modules/plc/mac-frame.js';
import { encodeEsc } from '../../modules/plc/adp.js';
import { encodeLbp } from '../../modules/plc/lbp-codec.js';
import { LbpCode } from '../../modules/plc/lbp-const.js';
import { encodeHdlcFrame, HdlcFrameReader, serverAddress, type HdlcFrame } from '../../modules/nonlegal/dlms/hdlc.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { HdlcClientLink } from '../../modules/nonlegal/dlms/hdlc-link.js';
import { DecodeError, NeedMoreData } from '../../modules/generic/shared/errors.js';

const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string }) => Buffer;
const dir = mkdtempSync(join(tmpdir(), 'fuzzxs-'));
const PSK = '00112233445566778899aabbccddeeff';
const EUI = Uint8Array.of(0x00, 0x80, 0xe1, 0, 0, 0, 0, 0x51);
/** Generated inputs per target, besides its saved corpus. */
const SAMPLE = 150;

function inputs(name: string): Uint8Array[] {
  const t = target(name) as TsTarget;
  return [...savedInputs(name).map((s) => s.bytes), ...fc.sample(arbitrary(t), { numRuns: SAMPLE, seed: 1 })];
}

/** Unsecured broadcast MAC data frame from short address 1 carrying an ADP payload. */
function dataFrame(payload: Uint8Array, seq: number): Uint8Array | undefined {
  if (payload.length === 0 || payload.length > 380) return undefined;
  return encodeMacFrame({ type: 1, seq: seq & 0xff, dstPan: 0xffff, dst: 0xffff, src: 1, payload } as MacFrame);
}

function safeFrames(r: HdlcFrameReader, b: Uint8Array): HdlcFrame[] {
  try {
    return r.push(b);
  } catch (e) {
    if (e instanceof DecodeError || e instanceof NeedMoreData) return [];
    throw e;
  }
}

function counters(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const [group, ...kv] = l.split(' ');
    for (const p of kv) {
      const [k, v] = p.split('=');
      if (v !== undefined && /^-?\d+$/.test(v)) out[`${group}.${k}`] = Number(v);
    }
  }
  return out;
}

describe('fuzz inputs replayed into the firmware (lin meter, XS)', function () {
  this.timeout(180000);
  let node: FirmwareNode;
  let modem: ScriptedModem;

  before(async () => {
    modem = new ScriptedModem(join(dir, 'modem.sock'));
    await modem.listen();
    const prov = join(dir, 'prov.bin');
    writeFileSync(prov, provisionRecord({ eui64: '0x0080e10000000051', psk: PSK, seed: PSK }));
    node = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', modem.path, '--provision', prov], uart1: true });
    await modem.waitFor((m) => m.type === MsgType.DATA_REQUEST);
  });

  after(async () => {
    await node?.stop();
    modem?.close();
  });

  const noFatal = (): void => assert.ok(!node.lines.some((l) => /FATAL/.test(l)), `FATAL printed:\n${node.tail()}`);

  it('modem port: MAC, ADP, IPHC, LOADng, LBP and EAP-PSK inputs and raw port bytes: counted drops, no stack error', async () => {
    const plc = async (): Promise<Record<string, number>> => counters(await node.command('PLC STATS', /^stack errors=/));
    const s0 = await plc();
    let frames = 0,
      seq = 0;
    const indicate = (mpdu: Uint8Array): void => {
      modem.send({ type: MsgType.DATA_INDICATION, lqi: 50, modulation: 0, time: 0n, frame: mpdu });
      frames++;
    };
    for (const b of inputs('mac')) if (b.length >= 1 && b.length <= 400) indicate(b);
    const wrap: [string, (b: Uint8Array) => Uint8Array][] = [
      ['adp', (b) => b],
      ['iphc', (b) => b],
      ['loadng', (b) => encodeEsc(1, b)],
      ['lbp', (b) => encodeEsc(2, b)],
      ['eap-psk', (b) => encodeEsc(2, encodeLbp({ code: LbpCode.CHALLENGE, lbd: EUI, data: b }))],
    ];
    for (const [name, w] of wrap) {
      for (const b of inputs(name)) {
        const f = dataFrame(w(b), seq++);
        if (f) indicate(f);
      }
    }
    const want = s0['modem.frames']! + frames;
    let s1 = await plc();
    for (let i = 0; i < 200 && s1['modem.frames']! < want; i++) s1 = await plc();
    assert.equal(s1['modem.frames'], want, 'every indication reached the stack');
    // the plcmodem target's streams, raw (they may hold good frames too)
    for (const s of savedInputs('plcmodem')) modem.raw(s.bytes.subarray(1));
    modem.raw(new Uint8Array(64).fill(0x11));
    let s2 = await plc();
    for (let i = 0; i < 100 && s2['modem.droppedBytes']! < s1['modem.droppedBytes']! + 64; i++) s2 = await plc();
    assert.ok(s2['modem.droppedBytes']! >= s1['modem.droppedBytes']! + 64, 'raw garbage counted as dropped bytes');
    assert.ok(s2['mac.malformed']! + s2['mac.truncated']! > s0['mac.malformed']! + s0['mac.truncated']!, 'MAC drops moved');
    assert.ok(s2['adp.malformed']! > s0['adp.malformed']!, 'ADP malformed drops moved');
    assert.ok(s2['adp.unsecured']! > s0['adp.unsecured']!, 'unsecured non-LBP payloads dropped');
    assert.ok(s2['lbp.malformed']! > s0['lbp.malformed']!, 'LBP malformed drops moved');
    assert.equal(s2['stack.errors'], 0);
    assert.match((await node.command('SYS VERSION', /^NON-LEGAL/)).join('\n'), /^PLC .* running$/m);
    noFatal();
  });

  it('optical port: IEC 62056-21 and HDLC inputs: counted, back to idle, a sign-on still answers', async () => {
    const dlms = async (): Promise<Record<string, number>> => counters(await node.command('DLMS STATS', /^profile /));
    const u = node.uart1!;
    const s0 = await dlms();
    // an input may hold a good SNRM that opens an HDLC session (which lasts until its 120 s
    // inactivity time-out): each one seen is closed by a DISC to the same addresses at the end
    const reader = new HdlcFrameReader();
    const disc = new Map<string, Uint8Array>();
    for (const name of ['iec62056-21', 'hdlc']) {
      for (const b of inputs(name)) {
        await u.send(b);
        await u.send(Uint8Array.of(0x0d, 0x0a));
        for (const f of safeFrames(reader, b)) {
          if (f.type !== 'SNRM') continue;
          const d = encodeHdlcFrame({
            type: 'DISC',
            destination: f.destination,
            source: f.source,
            pf: true,
            info: new Uint8Array(0),
            segmented: false,
          });
          disc.set(Buffer.from(d).toString('hex'), d);
        }
      }
    }
    for (const d of disc.values()) await u.send(d);
    // every case ends in idle after the mode C time-out, or is dropped: wait until the port is
    // idle and its counters stand still (all bytes taken)
    let last = '';
    for (let i = 0; i < 600; i++) {
      const now = (await node.command('DLMS STATS', /^profile /)).join('\n');
      if (/^optical state=idle /.test(now) && now === last) break;
      last = now;
      await node.command('SYS TRACE 2', /^trace=/);
    }
    const s1 = await dlms();
    assert.ok(
      s1['optical.noise']! + s1['optical.errors']! + s1['optical.signons']! >
        s0['optical.noise']! + s0['optical.errors']! + s0['optical.signons']!,
      'optical counters moved',
    );
    u.flush();
    await u.send('/?!\r\n');
    const id = await u.receiveUntil((b) => b.includes(0x0a));
    assert.match(Buffer.from(id).toString('latin1'), /^\/MFW/);
    await u.send(Uint8Array.of(0x15, 0x0d, 0x0a)); // NAK: back to idle
    assert.match((await node.command('SYS VERSION', /^NON-LEGAL/)).join('\n'), /^NON-LEGAL .* running$/m);
    noFatal();
  });

  it('optical port, in an HDLC session of the public client: xDLMS/ACSE and A-XDR (in SET-request) inputs: counted, the session still serves', async () => {
    const u = node.uart1!;
    u.flush();
    const link = new HdlcClientLink({ send: (b) => u.send(b), receive: () => u.receive(5000) }, 16, serverAddress(1, 17));
    await link.open();
    const dlms = async (): Promise<Record<string, number>> => counters(await node.command('DLMS STATS', /^profile /));
    const aarq = fromHex('601da109060760857405080101be10040e01000000065f1f0400007e1fffff');
    assert.equal((await link.request(aarq))[0], 0x61, 'AARE');
    const s0 = await dlms();
    const acse: Uint8Array[] = [];
    let answered = 0;
    const ask = async (apdu: Uint8Array): Promise<void> => {
      // ACSE APDUs (0x60..0x63) may get no answer or end the association: sent last
      if (apdu.length === 0 || (apdu[0]! >= 0x60 && apdu[0]! <= 0x63)) {
        acse.push(apdu);
        return;
      }
      if (apdu.length > 100) return; // the session's negotiated information field: 128 bytes
      await link.request(apdu);
      answered++;
    };
    for (const b of inputs('xdlms')) await ask(b);
    // SET-request-normal, clock 0.0.1.0.0.255 time (attribute 2), carrying the A-XDR input
    for (const b of inputs('axdr')) await ask(Uint8Array.from([0xc1, 0x01, 0xc1, 0x00, 0x08, 0, 0, 1, 0, 0, 0xff, 0x02, 0x00, ...b]));
    const s1 = await dlms();
    assert.ok(answered > 100, `${answered} APDUs answered`);
    assert.ok(s1['cosem.malformed']! > s0['cosem.malformed']!, 'malformed APDUs counted');
    // the ACSE inputs, then a release: each in its own session, answered or not
    for (const a of acse.filter((x) => x.length > 0 && x.length <= 100)) {
      await u.send(
        encodeHdlcFrame({
          type: 'I',
          destination: serverAddress(1, 17),
          source: { upper: 16, size: 1 },
          pf: true,
          ns: 1,
          nr: 1,
          info: Uint8Array.from([0xe6, 0xe6, 0x00, ...a]),
          segmented: false,
        }),
      );
    }
    await u.send(
      encodeHdlcFrame({
        type: 'DISC',
        destination: serverAddress(1, 17),
        source: { upper: 16, size: 1 },
        pf: true,
        info: new Uint8Array(0),
        segmented: false,
      }),
    );
    let last = '';
    for (let i = 0; i < 600; i++) {
      const now = (await node.command('DLMS STATS', /^profile /)).join('\n');
      if (/^optical state=idle /.test(now) && now === last) break;
      last = now;
      await node.command('SYS TRACE 2', /^trace=/);
    }
    assert.match(last, /^optical state=idle /m);
    u.flush();
    const again = new HdlcClientLink({ send: (b) => u.send(b), receive: () => u.receive(5000) }, 16, serverAddress(1, 17));
    await again.open();
    assert.equal((await again.request(aarq))[0], 0x61, 'AARE after the replay');
    await again.close();
    noFatal();
  });

  it('shell (stdin): the shell inputs: counted errors, the shell still answers', async () => {
    const shell = async (): Promise<string> => (await node.command('SYS SHELL', /^lines=/)).join('\n');
    const before = await shell();
    const n = (s: string, k: string): number => Number(new RegExp(`${k}=(\\d+)`).exec(s)?.[1] ?? NaN);
    for (const b of inputs('shell')) {
      // a generated line that happens to name SYS REBOOT would restart the node: not an input fault
      if (/reboot/i.test(Buffer.from(b).toString('latin1'))) continue;
      node.write(b);
      node.write('\r\n');
    }
    const after = await shell();
    assert.ok(n(after, 'lines') > n(before, 'lines') && n(after, 'errors') > n(before, 'errors'), `${before} -> ${after}`);
    assert.match((await node.command('SYS VERSION', /^NON-LEGAL/)).join('\n'), /^NON-LEGAL .* running$/m);
    noFatal();
  });
});
