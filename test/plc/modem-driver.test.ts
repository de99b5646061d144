// The firmware's modem-port parser (drivers/plcmodem/plcmodem.c, built for the host) against the
// medium's reference codec (emulator/medium/port.ts) on a corpus: valid frames, every
// fragmentation, garbage between frames, bad CRCs, bad lengths, unknown types, truncation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../emulator/node.js';
import { Decoder, encode, MsgType, type PortMessage } from '../../emulator/medium/port.js';
import { prng } from './helpers.js';

const OUT = join(ROOT, 'build', 'test', 'plcmodem');
const BIN = join(OUT, 'plcmodem_check');

function build(): void {
  mkdirSync(OUT, { recursive: true });
  const d = join(ROOT, 'drivers');
  execFileSync('gcc', [
    '-std=c99',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-O1',
    `-I${join(d, 'plcmodem')}`,
    `-I${join(d, 'crc')}`,
    join(d, 'plcmodem', 'plcmodem.c'),
    join(d, 'crc', 'crc.c'),
    join(d, 'plcmodem', 'test', 'plcmodem_check.c'),
    '-o',
    BIN,
  ]);
}

interface Parsed {
  messages: string[];
  frames: number;
  rejected: number;
  dropped: number;
}

function runC(bytes: Uint8Array, chunk: number): Parsed {
  const out = execFileSync(BIN, [String(chunk)], { input: bytes, encoding: 'utf8' })
    .trim()
    .split('\n');
  const last = out.pop()!;
  const n = (k: string): number => Number(new RegExp(`${k}=(\\d+)`).exec(last)![1]);
  return { messages: out, frames: n('frames'), rejected: n('badCrc') + n('badLength') + n('unknownType'), dropped: n('dropped') };
}

function runTs(bytes: Uint8Array): Parsed {
  const d = new Decoder();
  const msgs = d.push(bytes);
  const messages = msgs.map((m) => {
    const e = encode(m);
    const len = (e[2]! << 8) | e[3]!;
    return `${e[1]!.toString(16).padStart(2, '0')} ${len} ${Buffer.from(e.subarray(4, 4 + len)).toString('hex')}`;
  });
  return {
    messages,
    frames: d.stats.frames,
    rejected: d.stats.badCrc + d.stats.badLength + d.stats.unknownType,
    dropped: d.stats.droppedBytes,
  };
}

function corpus(seed: number): { bytes: Uint8Array; valid: number } {
  const r = prng(seed);
  const parts: Uint8Array[] = [];
  let valid = 0;
  const frame = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  for (let i = 0; i < 40; i++) {
    const k = Math.floor(r() * 8);
    const msg: PortMessage =
      k === 0
        ? { type: MsgType.READY, version: 1, simClock: r() < 0.5, now: BigInt(Math.floor(r() * 1e12)) }
        : k === 1
          ? { type: MsgType.DATA_CONFIRM, handle: i, status: 0xe9, retries: 3, time: 123456789n }
          : k === 2
            ? { type: MsgType.TIME, now: BigInt(i) * 1000n }
            : k === 3
              ? { type: MsgType.ERROR, code: 2, text: 'too many nodes' }
              : { type: MsgType.DATA_INDICATION, lqi: i, modulation: k & 3, time: BigInt(i), frame: frame(1 + Math.floor(r() * 399)) };
    const e = encode(msg);
    const fault = r();
    if (fault < 0.15)
      e[e.length - 1] = e[e.length - 1]! ^ 0xff; // bad CRC
    else if (fault < 0.2)
      e[1] = 0x42; // unknown type
    else if (fault < 0.25 && msg.type !== MsgType.DATA_INDICATION)
      e[3] = e[3]! + 1; // bad length
    else valid++;
    parts.push(e);
    // garbage, sometimes with false SOFs
    if (r() < 0.4) parts.push(Uint8Array.from({ length: Math.floor(r() * 20) }, () => (r() < 0.2 ? 0x7e : Math.floor(r() * 256))));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) bytes.set(p, at), (at += p.length);
  return { bytes, valid };
}

describe('plc modem driver (C) against the medium port codec', function () {
  this.timeout(60000);
  before(build);

  for (const seed of [1, 2, 3]) {
    it(`corpus ${seed}: same messages and rejections, in any fragmentation`, () => {
      const { bytes, valid } = corpus(seed);
      const ts = runTs(bytes);
      assert.ok(ts.frames >= valid, `reference found ${ts.frames} of ${valid} valid frames`);
      for (const chunk of [1, 7, 64, 4096]) {
        const c = runC(bytes, chunk);
        assert.deepEqual(c.messages, ts.messages, `chunk ${chunk}`);
        assert.equal(c.frames, ts.frames);
        assert.equal(c.rejected, ts.rejected, `rejected frames, chunk ${chunk}`);
        assert.ok(c.dropped >= ts.dropped, 'every rejected byte counted');
      }
    });
  }

  it('a truncated stream yields the complete frames and keeps the tail pending', () => {
    const a = encode({ type: MsgType.TIME, now: 5n }),
      b = encode({ type: MsgType.TIME, now: 6n });
    const bytes = new Uint8Array([...a, ...b.subarray(0, 9)]);
    const c = runC(bytes, 3);
    assert.equal(c.messages.length, 1);
    assert.equal(c.frames, 1);
  });

  it('a frame longer than the largest MPDU is refused by its length', () => {
    const e = encode({ type: MsgType.DATA_INDICATION, lqi: 1, modulation: 0, time: 0n, frame: new Uint8Array(401) });
    const c = runC(e, 64);
    assert.equal(c.frames, 0);
    assert.equal(c.rejected, 1);
  });
});
