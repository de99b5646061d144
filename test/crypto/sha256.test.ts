// SHA-256, one-shot and incremental.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { hex, run } from './harness.js';

// FIPS 180-2, appendix B.1 ("abc") and B.2 (448-bit message)
const FIPS = [
  ['616263', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq').toString('hex'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  ['-', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'], // empty message
];

describe('crypto: SHA-256', () => {
  it('matches the FIPS 180-2 examples, one-shot and byte by byte', () => {
    const out = run(FIPS.flatMap(([m]) => [`sha ${m}`, `shai ${m} 1`]));
    FIPS.forEach(([, d], i) => {
      assert.equal(out[2 * i], d);
      assert.equal(out[2 * i + 1], d);
    });
  });

  it('incremental over odd chunk sizes equals node:crypto', () => {
    const msg = randomBytes(1000);
    const want = createHash('sha256').update(msg).digest('hex');
    for (const r of run([1, 7, 63, 64, 65, 999].map((c) => `shai ${hex(msg)} ${c}`))) assert.equal(r, want);
  });
});
