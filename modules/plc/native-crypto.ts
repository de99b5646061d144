// The stack's injected PlcCrypto over GENERIC's "plccrypto" driver (drivers/crypto, mbed TLS):
// nothing is re-implemented here, only argument shapes are adapted. Also the node's random
// source: AES-CMAC keyed with the provisioned seed over a counter, the uptime and the runtime's
// jitter (a CTR-DRBG-style generator: unpredictable without the seed, never repeating).
import type { PlcCrypto, RandomSource } from './crypto.js';
import type { PlcCryptoDriver } from 'drivers/crypto/crypto';

type Bytes = Uint8Array;

/** CCM* security level with encryption for a MIC length (802.15.4-2006 table 95). */
function encLevel(micLen: number): number {
  switch (micLen) {
    case 0:
      return 4;
    case 4:
      return 5;
    case 8:
      return 6;
    case 16:
      return 7;
    default:
      throw new RangeError(`MIC length ${micLen}`);
  }
}

export function plcCrypto(c: PlcCryptoDriver): PlcCrypto {
  return {
    ccmStarEncrypt(key, nonce, aad, plaintext, micLen) {
      return c.ccmSeal(key, nonce, encLevel(micLen), aad, plaintext).subarray(aad.length);
    },
    ccmStarDecrypt(key, nonce, aad, data, micLen) {
      if (data.length < micLen) return null;
      const split = data.length - micLen;
      return c.ccmOpen(key, nonce, encLevel(micLen), aad, data.subarray(0, split), data.subarray(split)) ?? null;
    },
    eaxEncrypt: (key, nonce, header, plaintext) => c.eaxEncrypt(key, nonce, header, plaintext, 16),
    eaxDecrypt: (key, nonce, header, ciphertext, tag) => c.eaxDecrypt(key, nonce, header, ciphertext, tag) ?? null,
    cmac: (key, data) => c.cmac(key, data),
    aesBlock: (key, block) => c.aes128EncryptBlock(key, block),
  };
}

export function seededRandom(c: PlcCryptoDriver, seed: Bytes, jitter: () => number): RandomSource {
  const key = seed.slice();
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 16) {
      const block = new Uint8Array(16);
      const v = new DataView(block.buffer);
      v.setUint32(0, 0x524e4447); // "RNDG"
      v.setUint32(4, counter++ >>> 0);
      v.setUint32(8, jitter() >>> 0);
      v.setUint32(12, (Date.now() % 0x1_0000_0000) >>> 0);
      const r = c.cmac(key, block);
      out.set(r.subarray(0, Math.min(16, n - at)), at);
    }
    return out;
  };
}
