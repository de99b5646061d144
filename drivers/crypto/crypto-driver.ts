// Driver "crypto": the native mbed TLS AES-GCM (DLMS security suite 0) and the AES block
// cipher (key wrap, RFC 3394), as granted to a part (config.grants "driver.crypto").
import { aes128EncryptBlock, gcmEncrypt, gcmDecrypt } from './crypto.js';

const aesDecrypt = native<(key: Uint8Array, block: Uint8Array) => ArrayBuffer>('xs_crypto_aes_decrypt_block');
const drbgSeed = native<(personalisation: Uint8Array) => void>('xs_drbg_seed');
const drbgRandom = native<(n: number) => ArrayBuffer>('xs_drbg_random');
const drbgInfo = native<() => string>('xs_drbg_info');

export interface CryptoDriver {
  /** AES-GCM-128 with a 12-byte tag: ciphertext and tag. */
  gcmEncrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  /** The plaintext, or null when the tag does not verify. */
  gcmDecrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | null;
  aesEncrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
  aesDecrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
  /**
   * Instantiates the CTR_DRBG (drivers/crypto/drbg.c) from the board's entropy source and a
   * personalisation string (<= 128 bytes: the device's system title and its stored seed).
   */
  drbgSeed(personalisation: Uint8Array): void;
  /** n (0..256) bytes from the CTR_DRBG; throws if it was never seeded. */
  random(n: number): Uint8Array;
  /** `seeded=<0|1> requests=<n>` */
  drbgInfo(): string;
}

export const dlmsCrypto: CryptoDriver = {
  gcmEncrypt: (key, iv, aad, plaintext) => gcmEncrypt(key, iv, aad, plaintext),
  gcmDecrypt: (key, iv, aad, ciphertext, tag) => gcmDecrypt(key, iv, aad, ciphertext, tag) ?? null,
  aesEncrypt: (key, block) => aes128EncryptBlock(key, block),
  aesDecrypt: (key, block) => new Uint8Array(aesDecrypt(key, block)),
  drbgSeed: (p) => drbgSeed(p),
  random: (n) => new Uint8Array(drbgRandom(n)),
  drbgInfo: () => drbgInfo(),
};
