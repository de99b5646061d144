// AES-128-GCM and GMAC for DLMS security suite 0.
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { flip, hex, run, run1 } from './harness.js';

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B, test cases 1-4
// (the AES-128 ones with 96-bit IVs).
const K0 = '00000000000000000000000000000000',
  KF = 'feffe9928665731c6d6a8f9467308308';
const P =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' + '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const C =
  '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' + '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985';
const GCM = [
  { k: K0, iv: '000000000000000000000000', a: '-', p: '-', c: '-', t: '58e2fccefa7e3061367f1d57a4e7455a' },
  {
    k: K0,
    iv: '000000000000000000000000',
    a: '-',
    p: '00000000000000000000000000000000',
    c: '0388dace60b6a392f328c2b971b2fe78',
    t: 'ab6e47d42cec13bdf53a67b21257bddf',
  },
  { k: KF, iv: 'cafebabefacedbaddecaf888', a: '-', p: P, c: C, t: '4d5c2af327cd64a62cf35abd2ba6fab4' },
  {
    k: KF,
    iv: 'cafebabefacedbaddecaf888',
    a: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    p: P.slice(0, 120),
    c: C.slice(0, 120),
    t: '5bc94fbc3221a5db94fae95ae7121a47',
  },
];

describe('crypto: AES-128-GCM (DLMS suite 0)', () => {
  GCM.forEach((v, i) => {
    it(`matches GCM spec test case ${i + 1}, full and 12-byte (DLMS) tags`, () => {
      assert.deepEqual(
        run([
          `gcme ${v.k} ${v.iv} ${v.a} ${v.p} 16`,
          `gcme ${v.k} ${v.iv} ${v.a} ${v.p} 12`,
          `gcmd ${v.k} ${v.iv} ${v.a} ${v.c} ${v.t}`,
          `gcmd ${v.k} ${v.iv} ${v.a} ${v.c} ${v.t.slice(0, 24)}`,
        ]),
        [`${v.c} ${v.t}`, `${v.c} ${v.t.slice(0, 24)}`, v.p, v.p],
      );
    });
  });

  it('rejects a tampered tag, ciphertext or AAD', () => {
    const v = GCM[3]!,
      t = v.t.slice(0, 24);
    assert.deepEqual(
      run([
        `gcmd ${v.k} ${v.iv} ${v.a} ${v.c} ${flip(t, 11)}`,
        `gcmd ${v.k} ${v.iv} ${v.a} ${flip(v.c, 59)} ${t}`,
        `gcmd ${v.k} ${v.iv} ${flip(v.a, 0)} ${v.c} ${t}`,
      ]),
      ['AUTH', 'AUTH', 'AUTH'],
    );
  });

  it('GMAC (test case 1 is a GMAC of nothing) and its verification', () => {
    const v = GCM[3]!;
    const tag = run1(`gmac ${v.k} ${v.iv} ${v.a} 12`);
    assert.equal(run1(`gmac ${K0} ${GCM[0]!.iv} - 16`), GCM[0]!.t);
    assert.deepEqual(run([`gmacv ${v.k} ${v.iv} ${v.a} ${tag}`, `gmacv ${v.k} ${v.iv} ${v.a} ${flip(tag, 0)}`]), ['OK', 'AUTH']);
  });

  it('agrees with node:crypto aes-128-gcm on DLMS-shaped APDUs', () => {
    const cases: string[] = [],
      want: string[] = [];
    for (const n of [0, 1, 15, 16, 17, 200]) {
      // IV = system title (8) || invocation counter (4); AAD = SC || AK || ...
      const key = randomBytes(16),
        iv = randomBytes(12),
        aad = randomBytes(17),
        pt = randomBytes(n);
      const c = createCipheriv('aes-128-gcm', key, iv, { authTagLength: 12 });
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(pt), c.final()]);
      cases.push(`gcme ${hex(key)} ${hex(iv)} ${hex(aad)} ${hex(pt)} 12`);
      want.push(`${hex(ct)} ${hex(c.getAuthTag())}`);
    }
    assert.deepEqual(run(cases), want);
  });

  it('refuses IVs other than 12 bytes and tags shorter than 4', () => {
    assert.match(run1(`gcme ${K0} 00000000000000000000000000 - - 12`), /^ERR/);
    assert.match(run1(`gcme ${K0} 000000000000000000000000 - - 3`), /^ERR/);
  });
});
