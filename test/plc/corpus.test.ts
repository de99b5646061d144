// The binary frame corpus (test/fixtures/plc-frames, written by its generate.ts) replayed into
// every decoder: the native MAC codec (drivers/macframe, built for the host), the TypeScript MAC
// codec, and the ADP (mesh/broadcast/fragment), IPHC, ICMPv6, LOADng, LBP and EAP-PSK decoders
// and the stateful G3 node. Every input ends in a valid result or a clean refusal (DecodeError /
// NeedMoreData in TypeScript, a reason code in C), never anything else; the C and TypeScript
// MAC codecs agree frame by frame, on fields and on reasons.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../emulator/node.js';
import { crc16Fcs } from '../../emulator/medium/crc.js';
import { DecodeError, NeedMoreData } from '../../modules/plc/errors.js';
import { decodeBeaconPayload, decodeMacFrame, type DecodedMacFrame, type MacAddr } from '../../modules/plc/mac-frame.js';
import { MAC_REASONS } from '../../modules/plc/mac-native.js';
import { decodeAdpFrame } from '../../modules/plc/adp.js';
import { decompressIphc } from '../../modules/plc/iphc.js';
import { parseEcho } from '../../modules/generic/shared/icmpv6.js';
import { decodeIpv6 } from '../../modules/generic/shared/ipv6.js';
import { decodeLoadng } from '../../modules/plc/loadng.js';
import { decodeEap, decodePsk } from '../../modules/plc/eap-psk.js';
import { decodeLbp, decodeParams } from '../../modules/plc/lbp-codec.js';
import { MacFrameType } from '../../modules/plc/mac-const.js';
import { encodeMacFrame } from '../../modules/plc/mac-frame.js';
import { G3Node } from '../../modules/plc/netstack.js';
import { toHex } from '../../modules/plc/bytes.js';
import { assertOnlyDecodeErrors, eui, hex, nodeCrypto } from './helpers.js';
import { ANNEX_C, FILES, build, pack } from '../fixtures/plc-frames/generate.js';

const DIR = join(ROOT, 'test', 'fixtures', 'plc-frames');
const OUT = join(ROOT, 'build', 'test', 'macframe');
const BIN = join(OUT, 'macframe_check');

function records(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < b.length; ) {
    assert.ok(at + 2 <= b.length, 'corpus record header cut');
    const n = ((b[at] as number) << 8) | (b[at + 1] as number);
    assert.ok(at + 2 + n <= b.length, 'corpus record cut');
    out.push(b.slice(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}

const corpus = new Map<string, Uint8Array[]>(FILES.map((f) => [f.name, records(new Uint8Array(readFileSync(join(DIR, `${f.name}.bin`))))]));

/** One line per frame from the C harness (drivers/macframe/test/macframe_check.c). */
function runC(frames: Uint8Array[], fcs: boolean): string[] {
  const input = frames.map((f) => `${fcs ? 1 : 0} ${f.length ? toHex(f) : '-'}\n`).join('');
  const out = execFileSync(BIN, { input, encoding: 'utf8', maxBuffer: 64 << 20 })
    .trimEnd()
    .split('\n');
  assert.equal(out.length, frames.length, 'one result per frame');
  return out;
}

const addr = (a: MacAddr): string => (a === null ? '-' : typeof a === 'number' ? a.toString(16).padStart(4, '0') : toHex(a));

/** The TypeScript decoder's result in the C harness's shape (reencoding apart). */
function tsLine(frame: Uint8Array, fcs: boolean): string {
  let f: DecodedMacFrame;
  let body = frame;
  if (fcs) {
    if (frame.length < 2) return 'err truncated';
    body = frame.subarray(0, frame.length - 2);
    if (body.length <= 400 && crc16Fcs(body) !== ((frame[frame.length - 2] as number) | ((frame[frame.length - 1] as number) << 8)))
      return 'err mac.fcs';
  }
  try {
    f = decodeMacFrame(body);
  } catch (e) {
    if (e instanceof NeedMoreData) return 'err truncated';
    if (e instanceof DecodeError) return `err ${e.what}`;
    throw e;
  }
  const flags = (f.security ? 1 : 0) | (f.framePending ? 2 : 0) | (f.ackRequest ? 4 : 0) | (f.panIdCompression ? 8 : 0);
  const mode = (a: MacAddr): number => (a === null ? 0 : typeof a === 'number' ? 2 : 3);
  const s = f.security;
  const pan = (p: number | undefined): string => (p ?? 0).toString(16).padStart(4, '0');
  return [
    'ok',
    f.type,
    flags,
    f.version,
    f.seq,
    mode(f.dst),
    mode(f.src),
    pan(f.dstPan),
    pan(f.srcPan),
    addr(f.dst),
    addr(f.src),
    s?.level ?? 0,
    s?.keyIdMode ?? 0,
    s?.keyIndex ?? 0,
    s?.frameCounter ?? 0,
    f.headerLength,
    f.headerLength,
    f.payload.length,
    f.mic?.length ?? 0,
  ].join(' ');
}

/** The C line with its reason named as the TypeScript decoder names it. */
function cLine(line: string): string {
  if (line.startsWith('ok ')) return line.split(' ').slice(0, -1).join(' ');
  const reason = line.split(' ')[1] as string;
  const names = [
    'ok',
    'truncated',
    'tooLong',
    'type',
    'addrMode',
    'version',
    'panIdCompression',
    'noAddress',
    'ack',
    'secLevel',
    'secReserved',
    'secVersion',
    'fcs',
  ];
  const i = names.indexOf(reason);
  assert.ok(i > 0, `unknown C reason ${line}`);
  return i === 1 ? 'err truncated' : `err ${MAC_REASONS[i]}`;
}

describe('plc frame corpus (test/fixtures/plc-frames)', function () {
  this.timeout(120000);
  before(() => {
    mkdirSync(OUT, { recursive: true });
    const d = join(ROOT, 'drivers');
    execFileSync('gcc', [
      '-std=c99',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-O1',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      `-I${join(d, 'macframe')}`,
      `-I${join(d, 'crc')}`,
      join(d, 'macframe', 'macframe.c'),
      join(d, 'crc', 'crc.c'),
      join(d, 'macframe', 'test', 'macframe_check.c'),
      '-o',
      BIN,
    ]);
  });

  it('the committed corpus is what generate.ts writes', () => {
    const sets = build();
    for (const f of FILES) {
      assert.equal(
        toHex(pack(corpus.get(f.name) as Uint8Array[])),
        toHex(pack(sets.get(f.name) as Uint8Array[])),
        `${f.name}.bin is stale: run generate.ts`,
      );
    }
    assert.ok((corpus.get('mac-truncated') as Uint8Array[]).length > 1000);
  });

  it('holds the 802.15.4-2006 Annex C frames, and the C codec decodes them as the standard lays them out', () => {
    const [beacon, data, command] = runC([ANNEX_C.beacon, ANNEX_C.data, ANNEX_C.command], false);
    // beacon: src PAN 4321, src ACDE480000000001, MIC-64 (level 2), key id mode 0, counter 5
    assert.match(beacon as string, /^ok 0 1 1 132 0 3 0000 4321 - acde480000000001 2 0 0 5 18 18 8 8 same$/);
    // data: PAN compression, dst ...02, src ...01, ENC (level 4), no MIC, 4 bytes of ciphertext
    assert.match(data as string, /^ok 1 13 1 132 3 3 4321 4321 acde480000000002 acde480000000001 4 0 0 5 26 26 4 0 same$/);
    // command: dst PAN 4321, src PAN FFFF, ENC-MIC-64 (level 6)
    assert.match(command as string, /^ok 3 5 1 132 3 3 4321 ffff acde480000000002 acde480000000001 6 0 0 5 28 28 2 8 same$/);
  });

  for (const file of FILES.filter((f) => f.name.startsWith('mac-'))) {
    it(`${file.name}: C and TypeScript MAC decoders agree, and ${file.expect === 'any' ? 'never fail uncleanly' : `every frame is ${file.expect}`}`, () => {
      const frames = corpus.get(file.name) as Uint8Array[];
      const c = runC(frames, file.fcs);
      let ok = 0;
      frames.forEach((f, i) => {
        const line = c[i] as string;
        const label = `${file.name}#${i} ${toHex(f).slice(0, 64)}`;
        assert.equal(cLine(line), tsLine(f, file.fcs), label);
        if (line.startsWith('ok ')) {
          ok++;
          assert.ok(line.endsWith(' same'), `${label}: re-encoding differs`);
        }
        if (file.expect === 'valid') assert.ok(line.startsWith('ok '), `${label}: ${line}`);
        if (file.expect === 'invalid') assert.ok(line.startsWith('err '), `${label}: decoded`);
      });
      if (file.expect === 'any')
        assert.ok(ok > 0 && ok < frames.length, `${file.name}: a mix of valid and refused frames (${ok}/${frames.length})`);
    });
  }

  const iphcOpts = { panId: 0x781d, contexts: [hex('20010db8000000010000000000000000')] };
  const decoders: [string, (b: Uint8Array) => unknown][] = [
    ['mac', decodeMacFrame],
    ['beacon', decodeBeaconPayload],
    ['adp', decodeAdpFrame],
    ['iphc', (b) => decompressIphc(b, 1, 2, iphcOpts)],
    ['iphc-frag', (b) => decompressIphc(b, eui(1), null, iphcOpts, 100)],
    ['ipv6', decodeIpv6],
    ['echo', parseEcho],
    ['loadng', decodeLoadng],
    ['eap', decodeEap],
    ['psk', decodePsk],
    ['lbp', decodeLbp],
    ['params', (b) => decodeParams(b)],
  ];

  it('every TypeScript decoder takes every corpus file: a result or DecodeError / NeedMoreData only', () => {
    let n = 0;
    for (const [name, frames] of corpus) {
      for (const [dname, dec] of decoders) {
        frames.forEach((f, i) => {
          assertOnlyDecodeErrors(() => dec(f), `${dname} <- ${name}#${i}`);
        });
        n += frames.length;
      }
    }
    assert.ok(n > 10000, `${n} decodes`);
  });

  it('the G3 node takes every corpus frame as an MPDU and as a MAC payload: counted drops, no exception', () => {
    const t = { now: 0 };
    const traces: string[] = [];
    const node = new G3Node({
      eui64: eui(2),
      crypto: nodeCrypto,
      now: () => t.now,
      panId: 0x781d,
      shortAddress: 2,
      send: () => {},
      trace: (l) => traces.push(l),
    });
    node.mac.setKey(0, hex('000102030405060708090a0b0c0d0e0f'));
    node.mac.pib.macSecurityEnabled = false; // let unsecured frames reach ADP and above
    let i = 0;
    for (const frames of corpus.values()) {
      for (const f of frames) {
        t.now += 3;
        node.indication(f, 100);
        if (f.length < 380)
          node.indication(encodeMacFrame({ type: MacFrameType.DATA, seq: i++ & 0xff, dstPan: 0x781d, dst: 2, src: 1, payload: f }), 100);
      }
    }
    const d = node.mac.drops;
    assert.ok(d.malformed > 0 && d.truncated > 0, `mac drops ${JSON.stringify(d)}`);
    assert.ok(node.drops.malformed > 0, `adp drops ${JSON.stringify(node.drops)}`);
    assert.ok(traces.some((l) => /^mac: drop malformed/.test(l)) && traces.some((l) => /^adp: drop malformed/.test(l)), 'drops are traced');
  });
});
