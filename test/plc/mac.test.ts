import assert from 'node:assert/strict';
import { AddrMode, MacFrameType, SHORT_BROADCAST } from '../../modules/plc/mac-const.js';
import {
  decodeBeaconPayload,
  decodeMacFrame,
  encodeAck,
  encodeBeaconRequest,
  encodeMacFrame,
  isBeaconRequest,
} from '../../modules/plc/mac-frame.js';
import { MacLayer, type MacTx } from '../../modules/plc/mac.js';
import { eui, hex, nodeCrypto, toH } from './helpers.js';

const GMK = hex('af4d6dcc f1fe1bbc 3ad6c8b4 c8000a01');

function layer(short: number, n: number, now: { t: number }, sent: MacTx[], traces: string[] = []): MacLayer {
  const m = new MacLayer({
    crypto: nodeCrypto,
    eui64: eui(n),
    send: (tx) => sent.push(tx),
    now: () => now.t,
    panId: 0x781d,
    shortAddress: short,
    trace: (l) => traces.push(l),
  });
  m.setKey(0, GMK);
  return m;
}

describe('plc MAC frame codec', () => {
  it('encodes a data frame with short addresses and PAN id compression (802.15.4 layout)', () => {
    const f = encodeMacFrame({
      type: MacFrameType.DATA,
      seq: 0x42,
      dstPan: 0x781d,
      dst: 0x0002,
      src: 0x0001,
      ackRequest: true,
      payload: hex('41'),
    });
    // FCF 0x8861: data, ack request, PAN id compression, dst short, version 0, src short.
    assert.equal(toH(f), '6188' + '42' + '1d78' + '0200' + '0100' + '41');
    const d = decodeMacFrame(f);
    assert.equal(d.type, MacFrameType.DATA);
    assert.equal(d.seq, 0x42);
    assert.equal(d.dst, 2);
    assert.equal(d.src, 1);
    assert.equal(d.srcPan, 0x781d);
    assert.ok(d.ackRequest && d.panIdCompression);
  });
  it('round-trips extended addresses (little-endian on the wire) and separate PAN ids', () => {
    const f = encodeMacFrame({
      type: MacFrameType.DATA,
      seq: 1,
      dstPan: 0x1234,
      dst: eui(9),
      srcPan: 0xffff,
      src: eui(7),
      payload: hex('0102'),
    });
    assert.equal(toH(f.subarray(5, 13)), '090000000e18000'.slice(0, 0) + toH(eui(9).slice().reverse()));
    const d = decodeMacFrame(f);
    assert.equal(toH(d.dst as Uint8Array), toH(eui(9)));
    assert.equal(toH(d.src as Uint8Array), toH(eui(7)));
    assert.equal(d.srcPan, 0xffff);
    assert.equal(d.panIdCompression, false);
  });
  it('round-trips the auxiliary security header (level 5, key id mode 1) and MIC', () => {
    const f = encodeMacFrame({
      type: MacFrameType.DATA,
      seq: 7,
      dstPan: 0x781d,
      dst: 3,
      src: 4,
      payload: hex('deadbeef'),
      security: { level: 5, keyIdMode: 1, frameCounter: 0x01020304, keyIndex: 1 },
      mic: hex('a1a2a3a4'),
    });
    const d = decodeMacFrame(f);
    assert.equal(d.version, 1);
    assert.deepEqual(d.security, { level: 5, keyIdMode: 1, frameCounter: 0x01020304, keyIndex: 1 });
    assert.equal(toH(d.payload), 'deadbeef');
    assert.equal(toH(d.mic as Uint8Array), 'a1a2a3a4');
    assert.equal(d.headerLength, 9 + 6);
    assert.equal(toH(f.subarray(9, 15)), '0d' + '04030201' + '01');
  });
  it('ACK, beacon request and beacon', () => {
    assert.equal(toH(encodeAck(0x33)), '020033');
    const br = encodeBeaconRequest(5);
    assert.equal(toH(br), '030805ffffffff07');
    assert.ok(isBeaconRequest(decodeMacFrame(br)));
    const now = { t: 0 },
      sent: MacTx[] = [];
    const m = layer(0, 1, now, sent);
    m.sendBeacon(0, true);
    const b = decodeMacFrame((sent[0] as MacTx).frame);
    assert.equal(b.type, MacFrameType.BEACON);
    assert.equal(b.src, 0);
    assert.deepEqual(decodeBeaconPayload(b.payload), { panCoordinator: true, associationPermit: true, rcCoord: 0 });
  });
  it('rejects reserved values as DecodeError', () => {
    assert.throws(() => decodeMacFrame(hex('0700010000')), { name: 'DecodeError' }); // type 7
    assert.throws(() => decodeMacFrame(hex('0104' + '01' + 'ffff' + 'ffff')), { name: 'DecodeError' }); // dst mode 1
    assert.throws(() => decodeMacFrame(hex('6188')), { name: 'NeedMoreData' });
    void AddrMode;
  });
});

describe('plc MAC layer', () => {
  it('secures with CCM* and the receiver decrypts, fills the neighbour table', () => {
    const now = { t: 1000 },
      a: MacTx[] = [],
      b: MacTx[] = [];
    const A = layer(1, 1, now, a),
      B = layer(2, 2, now, b);
    A.dataRequest({ dst: 2, payload: hex('6011223344') });
    const tx = a[0] as MacTx;
    assert.equal(A.pib.macFrameCounter, 1);
    assert.ok(!toH(tx.frame).includes('6011223344'), 'payload is encrypted');
    const ind = B.indication(tx.frame, 120, 1);
    assert.ok(ind);
    assert.equal(toH(ind.payload), '6011223344');
    assert.equal(B.neighbours.get(1)?.lqi, 120);
    assert.equal(B.toneMapAge(1), 0);
  });
  it('rejects a replayed frame (frame counter) and a repeated DSN, counting reasons', () => {
    const now = { t: 0 },
      a: MacTx[] = [],
      b: MacTx[] = [];
    const A = layer(1, 1, now, a),
      B = layer(2, 2, now, b);
    A.dataRequest({ dst: 2, payload: hex('01') });
    A.dataRequest({ dst: 2, payload: hex('02') });
    const [f1, f2] = a.map((x) => x.frame) as [Uint8Array, Uint8Array];
    assert.ok(B.indication(f1, 100));
    assert.equal(B.indication(f1, 100), null); // same DSN right away: duplicate
    assert.equal(B.drops.duplicate, 1);
    assert.ok(B.indication(f2, 100));
    now.t += 60_000;
    assert.equal(B.indication(f1, 100), null); // old frame counter: replay
    assert.equal(B.drops.replay, 1);
  });
  it('drops frames with a bad MIC without updating the replay state', () => {
    const now = { t: 0 },
      a: MacTx[] = [],
      b: MacTx[] = [];
    const A = layer(1, 1, now, a),
      B = layer(2, 2, now, b);
    A.dataRequest({ dst: 2, payload: hex('0102') });
    const f = (a[0] as MacTx).frame.slice();
    f[f.length - 1] = (f[f.length - 1] as number) ^ 0xff;
    assert.equal(B.indication(f, 100), null);
    assert.equal(B.drops.micFailure, 1);
    assert.ok(B.indication((a[0] as MacTx).frame, 100));
  });
  it('filters frames for other nodes, counts unknown keys, and supports GMK index 1', () => {
    const now = { t: 0 },
      a: MacTx[] = [],
      b: MacTx[] = [];
    const A = layer(1, 1, now, a),
      B = layer(2, 2, now, b);
    A.dataRequest({ dst: 3, payload: hex('01') });
    assert.equal(B.indication((a[0] as MacTx).frame, 100), null);
    assert.equal(B.drops.notForUs, 1);
    const k1 = hex('00112233445566778899aabbccddeeff');
    A.setKey(1, k1);
    A.activateKey(1);
    A.dataRequest({ dst: 2, payload: hex('02') });
    assert.equal(B.indication((a[1] as MacTx).frame, 100), null);
    assert.equal(B.drops.unknownKey, 1);
    B.setKey(1, k1);
    A.dataRequest({ dst: SHORT_BROADCAST, payload: hex('03') });
    const ind = B.indication((a[2] as MacTx).frame, 100);
    assert.equal(ind?.keyIndex, 1);
  });
  it('bounds and expires the neighbour table', () => {
    const now = { t: 0 },
      b: MacTx[] = [];
    const B = new MacLayer({
      crypto: nodeCrypto,
      eui64: eui(2),
      send: (tx) => b.push(tx),
      now: () => now.t,
      panId: 0x781d,
      shortAddress: 2,
      maxNeighbours: 3,
    });
    B.pib.macSecurityEnabled = false;
    for (let s = 10; s < 16; s++) {
      now.t += 10;
      B.indication(encodeMacFrame({ type: MacFrameType.DATA, seq: s, dstPan: 0x781d, dst: 2, src: s, payload: hex('41') }), 90);
    }
    assert.equal(B.neighbours.size, 3);
    assert.deepEqual([...B.neighbours.keys()].sort(), [13, 14, 15]);
    now.t += B.pib.macNeighbourTableEntryTTLms + 1;
    B.tick();
    assert.equal(B.neighbours.size, 0);
  });
  it('never writes key material into traces', () => {
    const now = { t: 0 },
      a: MacTx[] = [],
      b: MacTx[] = [],
      traces: string[] = [];
    const A = layer(1, 1, now, a, traces),
      B = layer(2, 2, now, b, traces);
    A.dataRequest({ dst: 2, payload: hex('01') });
    B.indication((a[0] as MacTx).frame, 100);
    B.indication((a[0] as MacTx).frame, 100);
    traces.push(A.describe());
    assert.ok(traces.length > 0);
    for (const t of traces) assert.ok(!t.toLowerCase().includes(toH(GMK)), t);
  });
});
