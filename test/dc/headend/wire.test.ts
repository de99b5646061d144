import assert from 'node:assert/strict';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import type { UplinkAlarm, UplinkRecord } from '../../../modules/nonlegal/dc/headend/records.js';
import {
  FrameReader,
  crc32,
  decodeMessage,
  decodeRecords,
  encodeFrame,
  encodeMessage,
  encodeRecords,
  type Message,
} from '../../../modules/nonlegal/dc/headend/wire.js';
import { ENC_DEFLATE } from '../../../modules/nonlegal/dc/headend/wire-const.js';
import { DecodeError } from '../../../modules/generic/shared/errors.js';

const hex8 = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex').toUpperCase());
const obis = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const record: fc.Arbitrary<UplinkRecord> = fc.record({
  kind: fc.constantFrom('profile' as const, 'register' as const, 'event' as const, 'balance' as const),
  meter: hex8,
  obis,
  captureS: fc.nat(0xffffffff),
  values: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 8 }),
});
const alarm: fc.Arbitrary<UplinkAlarm> = fc.record({
  meter: hex8,
  code: fc.nat(0xffff),
  eventS: fc.nat(0xffffffff),
  receivedS: fc.nat(0xffffffff),
  count: fc.nat(0xffff),
});

const R1: UplinkRecord = {
  kind: 'profile',
  meter: '0011223344556677',
  obis: '1.0.99.1.0.255',
  captureS: 1_790_000_100,
  values: [12345.5, 230.1],
};

describe('head-end wire codec', () => {
  it('CRC-32 check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  it('frames a body: sync, length, body, CRC-32 over length and body', () => {
    const f = encodeFrame(Uint8Array.of(0x82));
    assert.equal(Buffer.from(f).toString('hex').slice(0, 10), 'c35a000182');
    assert.deepEqual(new FrameReader().push(f), [Uint8Array.of(0x82)]);
  });

  it('records round-trip (property)', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), (rs) => {
        const back = decodeRecords(encodeRecords(rs));
        assert.deepEqual(
          back,
          rs.map((r) => ({ ...r, values: r.values.map((v) => (Object.is(v, -0) ? -0 : v)) })),
        );
      }),
    );
  });

  it('messages round-trip through frames, split at any point (property)', () => {
    const msg: fc.Arbitrary<Message> = fc.oneof(
      fc.record({ type: fc.constant('alarm' as const), id: fc.nat(0xffffffff), alarm }),
      fc.record({ type: fc.constant('ack' as const), id: fc.nat(0xffffffff), status: fc.nat(255) }),
      fc.constant({ type: 'hello' as const }),
      fc.array(record, { maxLength: 10 }).chain((rs) => {
        const raw = encodeRecords(rs);
        return fc.record({
          type: fc.constant('batch' as const),
          id: fc.nat(0xffffffff),
          encoding: fc.constant(ENC_DEFLATE),
          rawLength: fc.constant(raw.length),
          data: fc.constant(new Uint8Array(deflateRawSync(raw))),
        });
      }),
    );
    fc.assert(
      fc.property(fc.array(msg, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(400), { maxLength: 5 }), (ms, cuts) => {
        const stream = Buffer.concat(ms.map((m) => encodeFrame(encodeMessage(m))));
        const reader = new FrameReader();
        const got: Message[] = [];
        let at = 0;
        for (const c of [...cuts.sort((a, b) => a - b), stream.length]) {
          const end = Math.min(stream.length, Math.max(at, c));
          for (const b of reader.push(new Uint8Array(stream.subarray(at, end)))) got.push(decodeMessage(b));
          at = end;
        }
        assert.deepEqual(got, structuredClone(ms));
        assert.equal(reader.counters.garbage, 0);
      }),
    );
  });

  it('resynchronises after garbage, corrupted frames and false sync bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.nat(0xffffffff)), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (parts, corrupt) => {
          const chunks: Uint8Array[] = [];
          const ids: number[] = [];
          for (const [junk, id] of parts) {
            // garbage full of false starts, then possibly a frame with one byte flipped
            chunks.push(Uint8Array.of(0xc3, 0x5a, 0xff), junk);
            if (corrupt) {
              const bad = encodeFrame(encodeMessage({ type: 'ack', id: (id ^ 1) >>> 0, status: 0 }));
              bad[6] = (bad[6] as number) ^ 0x40;
              chunks.push(bad);
            }
            chunks.push(encodeFrame(encodeMessage({ type: 'ack', id, status: 0 })));
            ids.push(id);
          }
          const reader = new FrameReader(64);
          const got = reader.push(Buffer.concat(chunks)).map((b) => decodeMessage(b));
          // a junk run may itself hold a valid frame only with probability 2^-32 per start
          assert.deepEqual(
            got.map((m) => (m.type === 'ack' ? m.id : -1)),
            ids,
          );
          assert.ok(reader.counters.garbage > 0);
        },
      ),
    );
  });

  it('a length above the bound is skipped, not buffered', () => {
    const reader = new FrameReader(16);
    const big = encodeFrame(new Uint8Array(100).fill(1));
    const good = encodeFrame(encodeMessage({ type: 'hello' }));
    assert.deepEqual(reader.push(Buffer.concat([big, good])), [Uint8Array.of(0x82)]);
    assert.equal(reader.counters.badLength, 1);
  });

  it('malformed messages and records are DecodeErrors naming what and where', () => {
    assert.throws(() => decodeMessage(Uint8Array.of(0x7f)), DecodeError);
    assert.throws(() => decodeMessage(Uint8Array.of(0x81, 0, 0)), /headend.ack/);
    const raw = encodeRecords([R1]);
    assert.throws(() => decodeRecords(raw.subarray(0, raw.length - 1)), /headend.record.values/);
    assert.throws(() => decodeRecords(Buffer.concat([raw, Uint8Array.of(0)])), /trailing/);
    const badKind = raw.slice();
    badKind[2] = 9;
    assert.throws(() => decodeRecords(badKind), /headend.record.kind at 2/);
    assert.throws(() => decodeRecords(raw, 0), /headend.records.count/);
  });

  it('refuses records it cannot represent', () => {
    assert.throws(() => encodeRecords([{ ...R1, meter: '00112233' }]), /meter/);
    assert.throws(() => encodeRecords([{ ...R1, obis: '1.0.99.1.0' }]), /obis/);
    assert.throws(() => encodeRecords([{ ...R1, obis: '1.0.99.1.0.256' }]), /obis/);
    assert.throws(() => encodeRecords([{ ...R1, values: [Number.NaN] }]), /values/);
    assert.throws(() => encodeRecords([{ ...R1, captureS: -1 }]), /captureS/);
  });

  it('a batch of 96 profile intervals compresses (raw deflate)', () => {
    const rs = Array.from({ length: 96 }, (_, k) => ({ ...R1, captureS: 1_790_000_100 + 900 * k, values: [12345.5 + k * 0.25, 230] }));
    const raw = encodeRecords(rs);
    const z = deflateRawSync(raw, { windowBits: 9, memLevel: 1 });
    assert.ok(z.length < raw.length / 2, `${z.length} of ${raw.length}`);
    assert.deepEqual(decodeRecords(new Uint8Array(inflateRawSync(z))), rs);
  });
});
