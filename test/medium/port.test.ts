import assert from 'node:assert/strict';
import { crc32 } from '../../emulator/medium/crc.js';
import { AddrMode, Decoder, encode, MsgType, NodeKind, PORT_SOF, TIME_NEVER, type PortMessage } from '../../emulator/medium/port.js';
import { Prng } from '../../emulator/medium/prng.js';

const VECTORS: PortMessage[] = [
  { type: MsgType.HELLO, version: 1, kind: NodeKind.BOARD, eui64: 0x0123456789abcdefn },
  { type: MsgType.SET_ADDRESS, panId: 0x781d, shortAddr: 0x0005 },
  {
    type: MsgType.DATA_REQUEST,
    handle: 7,
    modulation: 3,
    toneMap: 0x3f,
    ackRequested: true,
    highPriority: true,
    dstMode: AddrMode.EXTENDED,
    dst: 0xfedcba9876543210n,
    frame: new Uint8Array([1, 2, 3, 0x7e, 0x7e]),
  },
  { type: MsgType.RESET },
  { type: MsgType.IDLE, until: TIME_NEVER },
  { type: MsgType.IDLE, until: 123_456_789n },
  { type: MsgType.READY, version: 1, simClock: true, now: 42n },
  { type: MsgType.DATA_CONFIRM, handle: 7, status: 0xe9, retries: 5, time: 99n },
  { type: MsgType.DATA_INDICATION, lqi: 200, modulation: 0, time: 1n, frame: new Uint8Array(300).fill(0x7e) },
  { type: MsgType.TIME, now: 1_000_000n },
  { type: MsgType.ERROR, code: 2, text: 'too many nodes' },
];

describe('medium/port codec', () => {
  it('CRC-32 is the IEEE 802.3 / zlib one', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  it('frames a message as SOF, type, u16 BE length, payload, CRC-32 BE', () => {
    const b = encode({ type: MsgType.SET_ADDRESS, panId: 0x1234, shortAddr: 0x0001 });
    assert.deepEqual([...b.subarray(0, 8)], [PORT_SOF, 0x02, 0x00, 0x04, 0x12, 0x34, 0x00, 0x01]);
    assert.equal(new DataView(b.buffer).getUint32(8), crc32(b, 1, 8));
  });

  for (const v of VECTORS) {
    it(`round-trips ${MsgType[v.type]}`, () => {
      const d = new Decoder();
      assert.deepEqual(d.push(encode(v)), [v]);
      assert.equal(d.stats.droppedBytes, 0);
    });
  }

  it('decodes a stream fed one byte at a time', () => {
    const all = VECTORS.map(encode);
    const d = new Decoder();
    const out: PortMessage[] = [];
    for (const f of all) for (const b of f) out.push(...d.push(new Uint8Array([b])));
    assert.deepEqual(out, VECTORS);
  });

  it('counts garbage and resynchronises on the next frame', () => {
    const d = new Decoder();
    const garbage = new Uint8Array([0x00, 0x11, 0x7e, 0x02, 0x00, 0x04, 1, 2, 3, 4, 9, 9, 9, 9, 0x55]);
    const good = encode(VECTORS[1]!);
    const out = d.push(new Uint8Array([...garbage, ...good, 0xaa, 0xbb, ...good]));
    assert.deepEqual(out, [VECTORS[1], VECTORS[1]]);
    assert.equal(d.stats.badCrc, 1);
    assert.equal(d.stats.droppedFrames, 1);
    assert.equal(d.stats.droppedBytes, garbage.length + 2);
  });

  it('rejects an over-long length field without waiting for it', () => {
    const d = new Decoder({ maxPayload: 64 });
    const out = d.push(new Uint8Array([0x7e, 0x03, 0xff, 0xff, ...encode(VECTORS[3]!)]));
    assert.deepEqual(out, [VECTORS[3]]);
    assert.equal(d.stats.badLength, 1);
  });

  it('drops unknown types and malformed payloads, with a valid CRC', () => {
    const d = new Decoder();
    const frame = (type: number, payload: number[]): Uint8Array => {
      const b = new Uint8Array([0x7e, type, 0, payload.length, ...payload, 0, 0, 0, 0]);
      new DataView(b.buffer).setUint32(4 + payload.length, crc32(b, 1, 4 + payload.length));
      return b;
    };
    const hello = [1, 7, 0, 0, 0, 0, 0, 0, 0, 1]; // kind 7 does not exist
    const out = d.push(
      new Uint8Array([...frame(0x33, [1]), ...frame(MsgType.IDLE, [1, 2]), ...frame(MsgType.HELLO, hello), ...encode(VECTORS[3]!)]),
    );
    assert.deepEqual(out, [VECTORS[3]]);
    assert.equal(d.stats.unknownType, 1);
    assert.equal(d.stats.badLength, 1);
    assert.equal(d.stats.malformed, 1);
  });

  it('never throws on random bytes, and stays usable', () => {
    const rng = new Prng(99);
    const d = new Decoder();
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(1 + rng.int(64));
      for (let k = 0; k < b.length; k++) b[k] = rng.int(4) === 0 ? 0x7e : rng.int(256);
      d.push(b);
    }
    // Flush whatever partial header garbage is buffered, then a real frame gets through.
    d.push(new Uint8Array(2048));
    assert.deepEqual(d.push(encode(VECTORS[0]!)), [VECTORS[0]]);
    assert.ok(d.stats.droppedBytes > 0);
  });
});
