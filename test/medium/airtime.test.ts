// Airtime checked against the G.9903 CENELEC-A formula written out here from
// first principles (no constant imported from the code under test).
import assert from 'node:assert/strict';
import { MAC_ACK_US, MAC_CIFS_US, MAC_RIFS_US, MAC_SLOT_US } from '../../emulator/medium/mac-const.js';
import { ackAirtime, frameAirtime, frameErrorRate, lqiFromSnr, payloadSymbols } from '../../emulator/medium/phy.js';
import { Modulation } from '../../emulator/medium/phy-const.js';

const FS = 400e3; // Hz
const preambleSymUs = (256 / FS) * 1e6; // 640
const dataSymUs = ((256 + 30 - 8) / FS) * 1e6; // 695
const header = 9.5 * preambleSymUs + 13 * dataSymUs; // 8 SYNCP + 1.5 SYNCM, 13 FCH symbols

function expected(mpdu: number, bitsPerCarrier: number, robo: boolean, carriers = 36): number {
  const rsBytes = mpdu + 2 /* FCS */ + (robo ? 8 : 16);
  let coded = (rsBytes * 8 + 6) * 2;
  if (robo) coded *= 4;
  const sym = Math.ceil(Math.ceil(coded / (carriers * bitsPerCarrier)) / 4) * 4;
  return header + sym * dataSymUs;
}

describe('medium/phy airtime (CENELEC-A)', () => {
  it('symbol times are 640 us (preamble) and 695 us (data)', () => {
    assert.equal(preambleSymUs, 640);
    assert.equal(dataSymUs, 695);
  });

  const table: Array<[string, Modulation, number, boolean, number]> = [
    ['ROBO', Modulation.ROBO, 1, true, 154_115],
    ['DBPSK', Modulation.DBPSK, 1, false, 54_035],
    ['DQPSK', Modulation.DQPSK, 2, false, 34_575],
    ['D8PSK', Modulation.D8PSK, 3, false, 29_015],
  ];
  for (const [name, mod, bpc, robo, figure] of table) {
    it(`100-byte MPDU in ${name}: ${figure / 1000} ms`, () => {
      assert.equal(expected(100, bpc, robo), figure);
      assert.equal(frameAirtime(100, mod)!.us, figure);
    });
    it(`${name}: matches the formula for every length that fits`, () => {
      for (let n = 1; n <= 255; n++) {
        const a = frameAirtime(n, mod);
        if (a === undefined) continue;
        assert.equal(a.us, expected(n, bpc, robo), `len ${n}`);
        assert.equal(a.symbols % 4, 0);
        assert.ok(a.symbols <= 252);
      }
    });
  }

  it('rejects frames that exceed 252 symbols or one RS block', () => {
    // ROBO: 252 symbols x 36 carriers / 4 / 2 = 1134 coded bits -> (1134 - 6)/8 = 141 RS bytes.
    assert.ok(frameAirtime(131, Modulation.ROBO));
    assert.equal(frameAirtime(132, Modulation.ROBO), undefined);
    assert.ok(frameAirtime(237, Modulation.D8PSK)); // 237 + 2 + 16 = 255
    assert.equal(frameAirtime(238, Modulation.D8PSK), undefined);
  });

  it('a tone map with half the groups doubles the data symbols', () => {
    assert.equal(payloadSymbols(102, Modulation.DQPSK, 0x07), Math.ceil(Math.ceil(1900 / 36) / 4) * 4);
  });

  it('ACK = preamble + FCH = 15.115 ms; MAC timings from symbols', () => {
    assert.equal(ackAirtime().us, 15_115);
    assert.equal(MAC_ACK_US, 15_115);
    assert.equal(MAC_SLOT_US, 2 * 695);
    assert.equal(MAC_CIFS_US, 8 * 695);
    assert.equal(MAC_RIFS_US, 8 * 695);
  });

  it('LQI = (SNR + 10) x 4, clamped', () => {
    assert.equal(lqiFromSnr(-20), 0);
    assert.equal(lqiFromSnr(0), 40);
    assert.equal(lqiFromSnr(20), 120);
    assert.equal(lqiFromSnr(60), 255);
  });

  it('FER falls with SNR and rises with modulation order and length', () => {
    assert.ok(frameErrorRate(0, Modulation.ROBO, 40) < frameErrorRate(0, Modulation.DBPSK, 40));
    assert.ok(frameErrorRate(8, Modulation.D8PSK, 40) > frameErrorRate(12, Modulation.D8PSK, 40));
    assert.ok(frameErrorRate(8, Modulation.DQPSK, 200) > frameErrorRate(8, Modulation.DQPSK, 20));
    assert.ok(frameErrorRate(30, Modulation.D8PSK, 252) < 1e-6);
  });
});
