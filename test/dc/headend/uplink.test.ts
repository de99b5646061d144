// The concentrator's uplink on Node, its GENERIC services faked: a backhaul UART whose far end
// the test plays, node:zlib's raw deflate in place of the firmware's (the firmware's own is
// tested on lin in firmware.test.ts), time moved by hand.
import assert from 'node:assert/strict';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { RunServiceFn } from '../../../modules/generic/services.js';
import type { UplinkRecord } from '../../../modules/nonlegal/dc/headend/records.js';
import { startUplink, type UplinkConfig } from '../../../modules/nonlegal/dc/headend/uplink.js';
import {
  FrameReader,
  decodeMessage,
  decodeRecords,
  encodeFrame,
  encodeMessage,
  type Message,
} from '../../../modules/nonlegal/dc/headend/wire.js';
import { ACK_STORED, ENC_DEFLATE } from '../../../modules/nonlegal/dc/headend/wire-const.js';

const CFG: UplinkConfig = {
  baud: 115200,
  maxFrame: 2048,
  batchRecords: 4,
  batchMs: 1000,
  maxUploads: 4,
  maxAlarms: 2,
  window: 2,
  ackTimeoutMs: 500,
  compress: true,
};

function rig(cfg: UplinkConfig = CFG) {
  let now = 0;
  let onTimer: () => void = () => {};
  let onReadable: (n: number) => void = () => {};
  const rx: Uint8Array[] = [];
  const reader = new FrameReader();
  const wire: Message[] = [];
  const services: Record<string, (...a: unknown[]) => unknown> = {
    'misc.uptime': () => now,
    'misc.random': () => 0.5,
    'timer.create': (o) => {
      onTimer = (o as { onTimer: () => void }).onTimer;
      return 1;
    },
    'timer.start': () => true,
    'driver.get': (name) =>
      name === 'deflate'
        ? { raw: (b: Uint8Array) => new Uint8Array(deflateRawSync(b, { windowBits: 9, memLevel: 1 })) }
        : {
            open: (o: { onReadable: (n: number) => void }) => {
              onReadable = o.onReadable;
              return {
                read: () => rx.shift()?.slice().buffer,
                write: (b: Uint8Array) => {
                  for (const body of reader.push(b)) wire.push(decodeMessage(body));
                },
              };
            },
          },
  };
  const rs = ((name: string, ...a: unknown[]) => {
    const f = services[name];
    if (!f) throw new Error(`service ${name}`);
    return f(...a);
  }) as unknown as RunServiceFn;
  const up = startUplink(rs, cfg);
  return {
    up,
    wire,
    advance(ms: number) {
      now += ms;
      onTimer();
    },
    reply(m: Message) {
      rx.push(encodeFrame(encodeMessage(m)));
      onReadable(1);
    },
    ack(id: number) {
      this.reply({ type: 'ack', id, status: ACK_STORED });
    },
  };
}

const rec = (k: number, meter = '0011223344556677'): UplinkRecord => ({
  kind: 'profile',
  meter,
  obis: '1.0.99.1.0.255',
  captureS: 900 * k,
  values: [k],
});
const records = (m: Message) => {
  assert.equal(m.type, 'batch');
  const b = m as Extract<Message, { type: 'batch' }>;
  const raw = b.encoding === ENC_DEFLATE ? new Uint8Array(inflateRawSync(b.data)) : b.data;
  return decodeRecords(raw).map((r) => r.captureS / 900);
};

describe('head-end uplink (concentrator side)', () => {
  it('batches by count and by time, compressed, each upload with its own id', () => {
    const r = rig();
    for (let k = 0; k < 5; k++) assert.equal(r.up.record(rec(k)), true);
    assert.equal(r.wire.length, 1);
    assert.deepEqual(records(r.wire[0] as Message), [0, 1, 2, 3]);
    r.ack((r.wire[0] as { id: number }).id);
    r.advance(999);
    assert.equal(r.wire.length, 1);
    r.advance(1);
    assert.deepEqual(records(r.wire[1] as Message), [4]);
    const ids = r.wire.map((m) => (m as { id: number }).id);
    assert.notEqual(ids[0], ids[1]);
    assert.equal(r.up.stats().pending, 0);
  });

  it('an alarm goes at once, past a full window, and ahead of queued batches', () => {
    const r = rig();
    r.reply({ type: 'hello' });
    for (let k = 0; k < 16; k++) r.up.record(rec(k));
    assert.equal(r.wire.length, 2); // window
    r.up.alarm({ meter: '0011223344556677', code: 9, eventS: 100, receivedS: 101, count: 1 });
    assert.equal(r.wire[2]?.type, 'alarm');
    r.ack((r.wire[0] as { id: number }).id);
    r.ack((r.wire[1] as { id: number }).id);
    // next out: the remaining batches in order (the alarm is in flight already)
    assert.deepEqual(records(r.wire[3] as Message), [8, 9, 10, 11]);
  });

  it('unacknowledged uploads are resent after the ack time-out and on HELLO; link down after two time-outs', () => {
    const r = rig();
    for (let k = 0; k < 4; k++) r.up.record(rec(k));
    const id = (r.wire[0] as { id: number }).id;
    r.advance(500);
    assert.equal(r.wire.length, 2);
    assert.equal((r.wire[1] as { id: number }).id, id);
    r.advance(500);
    assert.equal(r.up.stats().link, 'down');
    assert.equal(r.up.stats().resent, 2);
    r.reply({ type: 'hello' });
    assert.equal(r.wire.length, 4);
    assert.equal((r.wire[3] as { id: number }).id, id);
    assert.equal(r.up.stats().link, 'up');
    r.ack(id);
    assert.equal(r.up.stats().queued, 0);
    assert.equal(r.up.stats().acked, 1);
  });

  it('a long outage: the oldest batch is dropped at maxUploads (counted), never an alarm', () => {
    const r = rig();
    r.up.alarm({ meter: '0011223344556677', code: 1, eventS: 1, receivedS: 1, count: 1 });
    for (let k = 0; k < 24; k++) r.up.record(rec(k));
    const st = r.up.stats();
    assert.equal(st.queued, 4);
    assert.equal(st.dropped.bulkUploads, 3);
    assert.equal(st.dropped.bulkRecords, 12);
    assert.equal(st.dropped.alarms, 0);
    // the link comes back: the alarm first, then the three newest batches
    r.wire.length = 0;
    r.reply({ type: 'hello' });
    for (let i = 0; i < 8 && r.up.stats().queued > 0; i++) {
      const m = r.wire[r.wire.length - 1] as { id: number };
      r.ack(m.id);
    }
    assert.equal(r.wire[0]?.type, 'alarm');
    assert.deepEqual(
      r.wire.slice(1).flatMap((m) => records(m)),
      [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
    );
  });

  it('repeats of a queued alarm are aggregated; distinct alarms beyond maxAlarms are dropped (counted)', () => {
    const r = rig({ ...CFG, window: 1 });
    r.up.record(rec(0));
    r.up.flush(); // in flight: a batch; the alarm below still goes at once
    const a = { meter: '0011223344556677', code: 3, eventS: 10, receivedS: 11, count: 1 };
    r.up.alarm(a);
    r.up.alarm({ ...a, code: 4 });
    r.up.alarm({ ...a, code: 5 });
    assert.equal(r.up.stats().dropped.alarms, 1);
    r.ack((r.wire[1] as { id: number }).id);
    r.up.alarm({ ...a, code: 6 });
    assert.equal(r.up.stats().dropped.alarms, 1);
    assert.equal(r.wire.filter((m) => m.type === 'alarm').length, 3);
    // no answer twice: the link is down, one probe at a time; a repeat joins its waiting alarm
    r.advance(500);
    r.advance(500);
    assert.equal(r.up.stats().link, 'down');
    r.up.alarm({ ...a, code: 6, count: 2 });
    assert.equal(r.up.stats().aggregated, 1);
    r.reply({ type: 'hello' });
    const last = r.wire.filter((m) => m.type === 'alarm' && m.alarm.code === 6).pop() as Extract<Message, { type: 'alarm' }>;
    assert.equal(last.alarm.count, 3);
  });

  it('bad records are refused and counted; bad bytes from the head-end are counted', () => {
    const r = rig();
    assert.equal(r.up.record({ ...rec(0), meter: 'nothex' }), false);
    assert.equal(r.up.record({ ...rec(0), obis: '1.2.3' }), false);
    assert.equal(r.up.record({ ...rec(0), values: new Array(300).fill(1) }), false);
    assert.equal(r.up.stats().dropped.invalid, 3);
    r.reply({ type: 'ack', id: 12345, status: 0 });
    r.reply({ type: 'batch', id: 1, encoding: 0, rawLength: 0, data: new Uint8Array(0) });
    r.reply({ type: 'batch', id: 1, encoding: 0, rawLength: 0, data: new Uint8Array(20) });
    const st = r.up.stats();
    assert.equal(st.rx.unknownAck, 1);
    assert.equal(st.rx.malformed, 1); // a batch is not for the concentrator
    assert.equal(st.rx.badLength, 1); // above the 16-byte bound of what the head-end may send
  });

  it('refuses a configuration out of its bounds', () => {
    assert.throws(() => rig({ ...CFG, maxAlarms: 4 }), /headend.maxAlarms/);
    assert.throws(() => rig({ ...CFG, maxFrame: 10 }), /headend.maxFrame/);
  });
});
