import assert from 'node:assert/strict';
import { Channel, parseEui64 } from '../../emulator/medium/channel.js';

describe('medium/channel link budget', () => {
  const ch = new Channel({
    attenuationDbPerKm: 40,
    couplingLossDb: 10,
    crossPhaseLossDb: 15,
    noiseDbuv: 40,
    nodes: [
      { eui64: '1', phase: '3P', transformer: 'T1', feeder: 'F1', positionM: 0 },
      { eui64: '2', phase: 'L1', transformer: 'T1', feeder: 'F1', positionM: 500 },
      { eui64: '3', phase: 'L2', transformer: 'T1', feeder: 'F1', positionM: 1000 },
      { eui64: '4', phase: 'L1', transformer: 'T1', feeder: 'F2', positionM: 250 },
      { eui64: '00:00:00:00:00:00:00:05', phase: 'L1', transformer: 'T2', positionM: 10 },
      { eui64: '6', phase: 'L1', transformer: 'T2', positionM: 20 },
    ],
    links: [
      { a: '2', b: '3', cableM: 100 },
      { a: '6', b: '1', connected: true, attenuationDb: 70 },
    ],
    noiseBursts: [{ startMs: 10, durationMs: 5, levelDbuv: 70, phases: ['L2'] }],
  });
  const att = (a: number, b: number): number | 'blocked' => {
    const l = ch.link(BigInt(a), BigInt(b));
    return l.blocked ? 'blocked' : Math.round(l.attenuationDb * 1000) / 1000;
  };

  it('parses EUI-64 spellings', () => {
    assert.equal(parseEui64('0x00000000000000ff'), 255n);
    assert.equal(parseEui64('00:00:00:00:00:00:01:00'), 256n);
    assert.throws(() => parseEui64('zz'));
  });

  it('cable along a feeder, through the busbar between feeders, explicit cable', () => {
    assert.equal(att(1, 2), 10 + 20); // 500 m, three-phase coupler: no cross-phase loss
    assert.equal(att(2, 4), 10 + 30); // 500 + 250 m via the transformer
    assert.equal(att(2, 3), 10 + 4 + 15); // explicit 100 m, L1 -> L2
    assert.equal(att(3, 2), att(2, 3)); // symmetric
  });

  it('a transformer blocks, unless a link says otherwise', () => {
    assert.equal(att(1, 5), 'blocked');
    assert.equal(att(5, 6), 10 + 0.4);
    assert.equal(att(6, 1), 70);
  });

  it('noise bursts hit their phase (and three-phase nodes) during their window only', () => {
    assert.equal(ch.noiseAt(3n, 0, 9_999), 40);
    assert.ok(ch.noiseAt(3n, 12_000, 13_000) > 69.9);
    assert.ok(ch.noiseAt(1n, 14_000, 20_000) > 69.9);
    assert.equal(ch.noiseAt(2n, 12_000, 13_000), 40);
  });
});
