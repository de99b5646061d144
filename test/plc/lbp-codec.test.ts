// The LBP codec (G.9903 annex E, modules/plc/lbp-codec.ts): header and configuration parameters.
import assert from 'node:assert/strict';
import { LbpCode } from '../../modules/plc/lbp-const.js';
import { decodeLbp, decodeParams, encodeLbp, encodeParams, param } from '../../modules/plc/lbp-codec.js';
import { hex, eui, toH } from './helpers.js';

describe('plc LBP codec (G.9903 annex E)', () => {
  it('codecs: header and configuration parameters', () => {
    const m = encodeLbp({ code: LbpCode.CHALLENGE, lbd: eui(1), data: hex('01') });
    assert.equal(toH(m.subarray(0, 2)), 'a000');
    assert.deepEqual(decodeLbp(m), { code: LbpCode.CHALLENGE, reserved: 0, lbd: eui(1), data: hex('01') });
    const p = encodeParams([param.shortAddr(0x0102), param.gmkActivation(1)]);
    assert.equal(toH(p), '1d020102' + '2b0101');
    assert.deepEqual(
      decodeParams(p).map((x) => x.id),
      [7, 10],
    );
  });
});
