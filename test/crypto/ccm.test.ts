// CCM* as IEEE 802.15.4-2006 / G3-PLC MAC security uses it.
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { flip, hex, run, run1 } from './harness.js';

// IEEE 802.15.4-2006 Annex C.2 (same frames in 802.15.4-2011/2015 Annex C), as reproduced in
// OpenThread tests/unit/test_aes.cpp and Contiki's frame802154 AES tests. Key C0..CF, source
// ACDE480000000001, frame counter 5. hdr = a data as sent, payload = plaintext payload.
const KEY = 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecf';
const ANNEX_C = [
  {
    name: 'C.2.1 beacon frame, MIC-64 (level 2)',
    level: 2,
    hdr: '08d0842143010000000048deac02' + '05000000' + '55cf0000' + '51525354',
    payload: '',
    out: '',
    mic: '223bc1ec841ab553',
  },
  {
    name: 'C.2.2 data frame, ENC (level 4)',
    level: 4,
    hdr: '69dc8421430200000000' + '48deac01' + '00000000' + '48deac04' + '05000000',
    payload: '61626364',
    out: 'd43e022b',
    mic: '',
  },
  {
    name: 'C.2.3 MAC command frame, ENC-MIC-64 (level 6)',
    level: 6,
    hdr: '2bdc8421430200000000' + '48deacffff01' + '00000000' + '48deac06' + '05000000' + '01',
    payload: 'ce',
    out: 'd8',
    mic: '4fde529061f9c6f1',
  },
];

const ecb = (key: Buffer, block: Buffer): Buffer => {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
};

// MIC-only levels have no m data, which node's CCM (OpenSSL) refuses ("tag not set"): a model of
// CCM* for l(m) = 0 from 802.15.4-2006 B.4.1: B0 = flags || nonce || 0x0000, then the a data with
// its 2-byte length, zero-padded; MIC = CBC-MAC xor E(K, A0), A0 = 0x01 || nonce || 0x0000.
function micOnly(key: Buffer, nonce: Buffer, micLen: number, a: Buffer): Buffer {
  const b0 = Buffer.concat([Buffer.from([0x40 | (((micLen - 2) / 2) << 3) | 1]), nonce, Buffer.alloc(2)]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(a.length);
  const aBlocks = Buffer.concat([len, a]);
  const padded = Buffer.concat([aBlocks, Buffer.alloc((16 - (aBlocks.length % 16)) % 16)]);
  let x = ecb(key, b0);
  for (let i = 0; i < padded.length; i += 16) x = ecb(key, Buffer.from(x.map((v, j) => v ^ padded[i + j]!)));
  const s0 = ecb(key, Buffer.concat([Buffer.from([1]), nonce, Buffer.alloc(2)]));
  return Buffer.from(x.subarray(0, micLen).map((v, j) => v ^ s0[j]!));
}

function nodeCcm(key: Buffer, nonce: Buffer, level: number, hdr: Buffer, payload: Buffer) {
  const micLen = [0, 4, 8, 16][level & 3]!;
  const enc = (level & 4) !== 0;
  if (!enc || payload.length === 0)
    return { frame: Buffer.concat([hdr, payload]), mic: micOnly(key, nonce, micLen, Buffer.concat([hdr, payload])) };
  const aad = enc ? hdr : Buffer.concat([hdr, payload]);
  const pt = enc ? payload : Buffer.alloc(0);
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: micLen });
  c.setAAD(aad, { plaintextLength: pt.length });
  const ct = Buffer.concat([c.update(pt), c.final()]);
  return { frame: Buffer.concat([hdr, enc ? ct : payload]), mic: c.getAuthTag() };
}

describe('crypto: CCM* (IEEE 802.15.4-2006)', () => {
  it('builds the Annex C nonce from EUI-64, frame counter and level', () => {
    assert.equal(run1('nonce acde480000000001 5 6'), 'acde48000000000100000005' + '06');
  });

  for (const v of ANNEX_C)
    it(`secures and opens the Annex C ${v.name}`, () => {
      const nonce = run1(`nonce acde480000000001 5 ${v.level}`);
      const p = v.payload || '-';
      assert.equal(v.hdr.length % 2, 0);
      const [sealed, open] = run([
        `ccms ${KEY} ${nonce} ${v.level} ${v.hdr} ${p}`,
        `ccmo ${KEY} ${nonce} ${v.level} ${v.hdr} ${v.out || '-'} ${v.mic || '-'}`,
      ]);
      assert.equal(sealed, `${v.hdr}${v.out} ${v.mic || '-'}`);
      assert.equal(open, p);
    });

  it('rejects a tampered MIC, header or payload', () => {
    const v = ANNEX_C[2]!;
    const nonce = run1(`nonce acde480000000001 5 6`);
    assert.deepEqual(
      run([
        `ccmo ${KEY} ${nonce} 6 ${v.hdr} ${v.out} ${flip(v.mic, 7)}`,
        `ccmo ${KEY} ${nonce} 6 ${flip(v.hdr, 0)} ${v.out} ${v.mic}`,
        `ccmo ${KEY} ${nonce} 6 ${v.hdr} ${flip(v.out, 0)} ${v.mic}`,
        `ccmo ${KEY} ${flip(nonce, 11)} 6 ${v.hdr} ${v.out} ${v.mic}`,
        `ccmo ${KEY} ${nonce} 2 ${v.hdr} ${v.out} ${v.mic}`, // right MIC, wrong level
      ]),
      ['AUTH', 'AUTH', 'AUTH', 'AUTH', 'AUTH'],
    );
  });

  it('agrees with node:crypto aes-128-ccm (ENC-MIC levels) and a CBC-MAC model (MIC levels)', () => {
    const cases: string[] = [],
      want: string[] = [];
    for (const level of [1, 2, 3, 5, 6, 7])
      for (const [h, p] of [
        [0, 1],
        [9, 0],
        [21, 16],
        [13, 100],
        [40, 77],
      ] as const) {
        const key = randomBytes(16),
          hdr = randomBytes(h),
          payload = randomBytes(p);
        const nonce = Buffer.concat([randomBytes(8), randomBytes(4), Buffer.from([level])]);
        const n = nodeCcm(key, nonce, level, hdr, payload);
        cases.push(`ccms ${hex(key)} ${hex(nonce)} ${level} ${hex(hdr)} ${hex(payload)}`);
        want.push(`${hex(n.frame)} ${hex(n.mic)}`);
        cases.push(`ccmo ${hex(key)} ${hex(nonce)} ${level} ${hex(hdr)} ${hex(n.frame.subarray(h))} ${hex(n.mic)}`);
        want.push(hex(payload));
      }
    assert.deepEqual(run(cases), want);
  });

  it('level 0 leaves the frame alone; a level above 7 is refused', () => {
    const nonce = '00'.repeat(13);
    assert.equal(run1(`ccms ${KEY} ${nonce} 0 0102 0304`), '01020304 -');
    assert.match(run1(`ccms ${KEY} ${nonce} 8 0102 0304`), /^ERR/);
  });
});
