// The one-call native MAC receive and transmit paths (drivers/macframe/macrx.c, built for the host
// with mbed TLS and ASan/UBSan through drivers/macframe/test/macrx_check.c) against the TypeScript
// MAC layer (modules/plc/mac.ts), the reference: on the same frames in the same order both deliver
// the same payloads from the same addresses or drop for the same reason, and count the same; the
// native transmit path writes the TypeScript layer's frames byte for byte. Random sequences
// (fast-check) mix fresh, replayed, duplicated, corrupted, truncated and foreign frames from more
// senders than the table holds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeBeaconPayload, macAddrKey, type MacAddr } from '../../modules/plc/mac-frame.js';
import { MacLayer, type MacDropReason, type MacTx } from '../../modules/plc/mac.js';
import { EncodeError } from '../../modules/plc/errors.js';
import { INCLUDES, MBED_FILES, ROOT } from '../crypto/harness.js';
import { eui, hex, nodeCrypto, toH } from './helpers.js';

const OUT = join(ROOT, 'build', 'test', 'macrx');
const PAN = 0x781d;
const GMK0 = hex('af4d6dcc f1fe1bbc 3ad6c8b4 c8000a01');
const GMK1 = hex('00112233 44556677 8899aabb ccddeeff');
const OTHER = hex('0f0e0d0c 0b0a0908 07060504 03020100');
const DROPS: MacDropReason[] = [
  'malformed',
  'truncated',
  'notForUs',
  'wrongPan',
  'duplicate',
  'replay',
  'micFailure',
  'unknownKey',
  'unsupportedSecurity',
  'counterOverflow',
];

let exe: string | undefined;
function harness(): string {
  if (exe) return exe;
  mkdirSync(OUT, { recursive: true });
  // third-party: its warnings are not ours; built once
  const objs = MBED_FILES.map((src) => {
    const obj = join(OUT, 'mbedtls_' + src.replace(/.*\//, '').replace('.c', '.o'));
    if (!existsSync(obj)) execFileSync('gcc', ['-std=c99', '-O1', '-w', ...INCLUDES, '-c', src, '-o', obj]);
    return obj;
  });
  const d = join(ROOT, 'drivers');
  const ours = ['macrx.c', 'macrx.h', 'macframe.c', 'macframe.h', 'test/macrx_check.c'].map((f) => join(d, 'macframe', f));
  ours.push(join(d, 'crypto', 'crypto.c'), join(d, 'crypto', 'crypto.h'));
  const bin = join(OUT, 'macrx_check');
  // rebuilt when one of our sources is newer than the harness
  if (existsSync(bin) && ours.every((f) => statSync(f).mtimeMs < statSync(bin).mtimeMs)) return (exe = bin);
  exe = bin;
  execFileSync('gcc', [
    '-std=c99',
    '-O1',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-fsanitize=address,undefined',
    '-fno-sanitize-recover=all',
    ...INCLUDES,
    `-I${join(d, 'macframe')}`,
    `-I${join(d, 'crc')}`,
    `-I${join(d, 'crypto')}`,
    join(d, 'macframe', 'macrx.c'),
    join(d, 'macframe', 'macframe.c'),
    join(d, 'crc', 'crc.c'),
    join(d, 'crypto', 'crypto.c'),
    join(d, 'macframe', 'test', 'macrx_check.c'),
    ...objs,
    '-o',
    exe,
  ]);
  return exe;
}

function runC(lines: string[]): string[] {
  const out = execFileSync(harness(), { input: lines.join('\n') + '\n', encoding: 'utf8' })
    .trim()
    .split('\n');
  assert.equal(out.length, lines.length, 'one answer per command');
  return out;
}

const h = (b: Uint8Array): string => (b.length ? toH(b) : '-');

/** What a receiver did with one frame, as a comparable line. */
function outcomeTs(mac: MacLayer, frame: Uint8Array): string {
  const before = { ...mac.drops };
  let beacon = '';
  mac.onBeacon = (b) => (beacon = `beacon ${b.src} ${b.panId} ${b.rcCoord}`);
  mac.onBeaconRequest = () => (beacon = 'beaconRequest');
  const ind = mac.indication(frame.slice(), 100);
  const dropped = DROPS.filter((r) => mac.drops[r] !== before[r]);
  if (dropped.length) return `drop ${dropped.join(',')}`;
  if (beacon) return beacon;
  if (!ind) return 'none';
  return `data ${macAddrKey(ind.src)} ${macAddrKey(ind.dst)} ${ind.secured ? ind.keyIndex : -1} ${h(ind.payload)}`;
}

function outcomeC(line: string): string {
  const t = line.split(' ');
  assert.equal(t[0], 'rx', line);
  const st = Number(t[1]);
  const r = t.slice(2, 20).map(Number);
  const ext = t[20] as string,
    payload = t[21] as string;
  const addr = (mode: number, short: number, at: number): MacAddr =>
    mode === 2 ? short : mode === 3 ? hex(ext.slice(at * 2, at * 2 + 16)) : null;
  if (st >= 0x10) return `drop ${DROPS[st - 0x10]}`;
  if (st === 1) return 'none';
  if (st === 2) return 'beaconRequest';
  if (st === 3) {
    try {
      const b = decodeBeaconPayload(payload === '-' ? new Uint8Array(0) : hex(payload));
      return `beacon ${r[3]} ${r[4]} ${b.rcCoord}`;
    } catch {
      return 'drop malformed';
    }
  }
  assert.equal(st, 0, line);
  const src = addr(r[2] as number, r[3] as number, 8),
    dst = addr(r[5] as number, r[6] as number, 0);
  return `data ${macAddrKey(src)} ${macAddrKey(dst)} ${r[8] ? r[10] : -1} ${payload}`;
}

interface World {
  rx: MacLayer;
  senders: { mac: MacLayer; sent: MacTx[] }[];
  now: { t: number };
  cmds: string[];
  expect: string[];
}

function world(maxSources: number, capacity: number, dupTtl = 5000): World {
  const now = { t: 1000 };
  const rx = new MacLayer({
    crypto: nodeCrypto,
    eui64: eui(2),
    send: () => {},
    now: () => now.t,
    panId: PAN,
    shortAddress: 2,
    maxDevices: maxSources,
  });
  rx.setKey(0, GMK0);
  rx.pib.macDuplicateDetectionTTLms = dupTtl;
  // senders: short 1, 3, 4, 5 with GMK 0; 6 uses GMK 1 (unknown to the receiver); 7 a wrong GMK 0;
  // 8 has no short address (EUI-64 source)
  const senders = [1, 3, 4, 5, 6, 7, 0xfffe].map((short, i) => {
    const sent: MacTx[] = [];
    const mac = new MacLayer({
      crypto: nodeCrypto,
      eui64: eui(10 + i),
      send: (tx) => sent.push(tx),
      now: () => now.t,
      panId: PAN,
      shortAddress: short,
    });
    if (short === 6) {
      mac.setKey(1, GMK1);
      mac.activateKey(1);
    } else mac.setKey(0, short === 7 ? OTHER : GMK0);
    mac.pib.macFrameCounter = 100 * i;
    return { mac, sent };
  });
  const cmds = [`init ${maxSources} 0 ${capacity}`, `key 0 ${toH(GMK0)}`, `pib ${PAN} 2 ${toH(eui(2))} 0 ${dupTtl}`];
  return { rx, senders, now, cmds, expect: ['ok', 'ok', 'ok'] };
}

function deliver(w: World, frame: Uint8Array): void {
  w.cmds.push(`rx ${w.now.t} ${h(frame)}`);
  w.expect.push(outcomeTs(w.rx, frame));
}

function check(w: World): void {
  w.cmds.push('counters');
  const got = runC(w.cmds);
  // a beacon's payload is decoded by the layer in TypeScript, which counts its faults (malformed)
  let beaconFaults = 0;
  for (let i = 0; i < w.cmds.length - 1; i++) {
    const want = w.expect[i] as string;
    const line = got[i] as string;
    if (want === 'ok') assert.equal(line, 'ok', w.cmds[i]);
    else assert.equal(outcomeC(line), want, `${w.cmds[i]}\n${line}`);
    if (line.startsWith('rx 3 ') && want === 'drop malformed') beaconFaults++;
  }
  const c = (got[got.length - 1] as string).split(' ').slice(1).map(Number);
  c[0] = (c[0] as number) + beaconFaults;
  assert.deepEqual(
    c.slice(0, 10),
    DROPS.map((r) => w.rx.drops[r]),
    'drop counters',
  );
  assert.equal(c[10], (w.rx as unknown as { sources: Map<string, unknown> }).sources.size, 'sources held');
}

type Action =
  | { k: 'send'; s: number; dst: number; secure: boolean; len: number }
  | { k: 'replay'; back: number }
  | { k: 'corrupt'; back: number; at: number; bit: number }
  | { k: 'truncate'; back: number; keep: number }
  | { k: 'random'; bytes: Uint8Array }
  | { k: 'time'; dt: number }
  | { k: 'rewind'; s: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ k: fc.constant('send' as const), s: fc.nat(6), dst: fc.nat(4), secure: fc.boolean(), len: fc.nat(120) }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('replay' as const), back: fc.nat(8) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('corrupt' as const), back: fc.nat(8), at: fc.nat(200), bit: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), back: fc.nat(8), keep: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('time' as const), dt: fc.integer({ min: 0, max: 8000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rewind' as const), s: fc.nat(6) }) },
);

function play(w: World, actions: Action[]): void {
  const all: Uint8Array[] = [];
  const pick = (back: number): Uint8Array | undefined => all[all.length - 1 - (back % Math.max(1, all.length))];
  for (const a of actions) {
    if (a.k === 'send') {
      const s = w.senders[a.s] as World['senders'][number];
      const dst = [2, 0xffff, 9, eui(2)][a.dst] ?? eui(3);
      const payload = new Uint8Array(a.len).map((_, i) => (i * 7 + a.s) & 0xff);
      s.mac.dataRequest({ dst, payload, secure: a.secure });
      const f = (s.sent[s.sent.length - 1] as MacTx).frame;
      all.push(f);
      deliver(w, f);
    } else if (a.k === 'replay') {
      const f = pick(a.back);
      if (f) deliver(w, f);
    } else if (a.k === 'corrupt') {
      const f = pick(a.back)?.slice();
      if (f?.length) {
        f[a.at % f.length] = (f[a.at % f.length] as number) ^ (1 << a.bit);
        deliver(w, f);
      }
    } else if (a.k === 'truncate') {
      const f = pick(a.back);
      if (f) deliver(w, f.subarray(0, Math.min(a.keep, f.length)));
    } else if (a.k === 'random') deliver(w, a.bytes);
    else if (a.k === 'time') w.now.t += a.dt;
    else {
      // a sender restarting its frame counter lower (a replay with a fresh sequence number)
      const s = w.senders[a.s] as World['senders'][number];
      s.mac.pib.macFrameCounter = Math.max(0, s.mac.pib.macFrameCounter - 3);
    }
  }
  check(w);
}

describe('plc MAC one-call native receive and transmit (drivers/macframe/macrx.c) against mac.ts', function () {
  this.timeout(300000);
  before(() => harness());

  it('delivers a secured frame, then rejects its replay as a duplicate and a re-sequenced copy as a replay', () => {
    const w = world(16, 2);
    const s = w.senders[0] as World['senders'][number];
    s.mac.dataRequest({ dst: 2, payload: hex('0102030405') });
    const f = (s.sent[0] as MacTx).frame;
    deliver(w, f);
    deliver(w, f); // same (source, DSN) within the window
    w.now.t += 6000;
    deliver(w, f); // outside the window: the frame counter is not above the last one
    s.mac.pib.macFrameCounter -= 1;
    s.mac.dataRequest({ dst: 2, payload: hex('06') });
    deliver(w, (s.sent[1] as MacTx).frame); // fresh DSN, same frame counter
    assert.deepEqual(w.expect.slice(3), ['data s0001 s0002 0 0102030405', 'drop duplicate', 'drop replay', 'drop replay']);
    play(w, []);
  });

  it('drops an unknown GMK, a wrong GMK (MIC), an unsupported level, frames not for us, truncated and malformed ones', () => {
    const w = world(16, 2);
    const s6 = w.senders[4] as World['senders'][number],
      s7 = w.senders[5] as World['senders'][number];
    s6.mac.dataRequest({ dst: 2, payload: hex('01') });
    deliver(w, (s6.sent[0] as MacTx).frame);
    s7.mac.dataRequest({ dst: 2, payload: hex('02') });
    deliver(w, (s7.sent[0] as MacTx).frame);
    // level 7 (ENC-MIC-128), key id mode 1: well formed, not G3's
    deliver(w, hex('69 98 01 1d78 0200 0100 0f 01000000 00' + '00'.repeat(4) + '00'.repeat(16)));
    deliver(w, hex('41 88 01 1d78 0900 0100 aa'));
    deliver(w, hex('41 88 01 1d78'));
    deliver(w, hex('47 88 01 1d78 0200 0100'));
    // beacons: handed back with the source and its PAN; a bad beacon payload is malformed
    deliver(w, hex('00 80 07 1d78 0100 ff4f 00 00 0500'));
    deliver(w, hex('00 80 08 1d78 0100 ff4f 01 00 0500'));
    assert.deepEqual(w.expect.slice(3), [
      'drop unknownKey',
      'drop micFailure',
      'drop unsupportedSecurity',
      'drop notForUs',
      'drop truncated',
      'drop malformed',
      'beacon 1 30749 5',
      'drop malformed',
    ]);
    play(w, []);
  });

  it('at its bound the table evicts the least recently heard source, as mac.ts does, growing in place to it', () => {
    const w = world(3, 1);
    const acts: Action[] = [];
    for (let round = 0; round < 3; round++) {
      for (const s of [0, 1, 2, 3, 6]) {
        acts.push({ k: 'send', s, dst: 0, secure: true, len: 10 }, { k: 'time', dt: 1 });
      }
      acts.push({ k: 'replay', back: 4 }, { k: 'replay', back: 0 });
    }
    play(w, acts);
    assert.ok(w.rx.stats.evictedSources > 0, 'sources were evicted');
    assert.equal((w.rx as unknown as { sources: Map<string, unknown> }).sources.size, 3);
  });

  it('agrees with mac.ts on random sequences of frames (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(action, { maxLength: 40 }), (max, acts) => {
        play(world(max, 1), acts);
      }),
      { numRuns: 60 },
    );
  });

  it('transmits exactly the frames mac.ts builds (secured and not, short and extended addresses)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dst: fc.oneof(fc.constantFrom<MacAddr>(0xffff, 1, 0x1234), fc.uint8Array({ minLength: 8, maxLength: 8 })),
            srcExtended: fc.boolean(),
            secure: fc.boolean(),
            ackRequest: fc.option(fc.boolean(), { nil: undefined }),
            keyIndex: fc.nat(1),
            fc: fc.nat(),
            seq: fc.nat(255),
            dstPan: fc.option(fc.nat(0xffff), { nil: undefined }),
            payload: fc.uint8Array({ maxLength: 420 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        (rs) => {
          const lines: string[] = [],
            wants: string[] = [];
          for (const r of rs) {
            const sent: MacTx[] = [];
            const mac = new MacLayer({
              crypto: nodeCrypto,
              eui64: eui(5),
              send: (tx) => sent.push(tx),
              now: () => 0,
              panId: PAN,
              shortAddress: 5,
            });
            mac.setKey(0, GMK0);
            mac.setKey(1, GMK1);
            mac.activateKey(r.keyIndex);
            mac.pib.macFrameCounter = r.fc;
            mac.pib.macDSN = r.seq;
            let want: string;
            try {
              mac.dataRequest({
                dst: r.dst,
                payload: r.payload,
                secure: r.secure,
                srcExtended: r.srcExtended,
                ackRequest: r.ackRequest,
                ...(r.dstPan === undefined ? {} : { dstPan: r.dstPan }),
              });
              want = `tx ${h((sent[0] as MacTx).frame)}`;
            } catch (e) {
              assert.ok(e instanceof EncodeError, String(e));
              want = 'txerr';
            }
            const dst = r.dst as number | Uint8Array;
            const ack = r.ackRequest ?? dst !== 0xffff;
            const line = [
              'tx',
              r.seq,
              r.dstPan ?? PAN,
              typeof dst === 'number' ? dst : -1,
              typeof dst === 'number' ? '-' : toH(dst),
              r.srcExtended ? -1 : 5,
              toH(eui(5)),
              (ack ? 1 : 0) | (r.secure ? 2 : 0),
              r.fc,
              r.keyIndex,
              h(r.payload),
            ].join(' ');
            lines.push(line);
            wants.push(want);
          }
          // one harness run per sequence: transmitting changes no state
          const got = runC([`init 4 0 1`, `key 0 ${toH(GMK0)}`, `key 1 ${toH(GMK1)}`, ...lines]).slice(3);
          for (const [i, g] of got.entries()) assert.equal(g.startsWith('txerr') ? 'txerr' : g, wants[i], lines[i]);
        },
      ),
      { numRuns: 20 },
    );
  });
});
