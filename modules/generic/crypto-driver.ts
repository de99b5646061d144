// Driver "crypto": the native mbed TLS AES-GCM (DLMS security suite 0) and the AES block
// cipher (key wrap, RFC 3394), as granted to a part (config.grants "driver.crypto").
import { aes128EncryptBlock, gcmEncrypt, gcmDecrypt } from './crypto.js';

const aesDecrypt = native<(key: Uint8Array, block: Uint8Array) => ArrayBuffer>('xs_crypto_aes_decrypt_block');

export interface CryptoDriver {
  /** AES-GCM-128 with a 12-byte tag: ciphertext and tag. */
  gcmEncrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  /** The plaintext, or null when the tag does not verify. */
  gcmDecrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | null;
  aesEncrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
  aesDecrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
}

export const dlmsCrypto: CryptoDriver = {
  gcmEncrypt: (key, iv, aad, plaintext) => gcmEncrypt(key, iv, aad, plaintext),
  gcmDecrypt: (key, iv, aad, ciphertext, tag) => gcmDecrypt(key, iv, aad, ciphertext, tag) ?? null,
  aesEncrypt: (key, block) => aes128EncryptBlock(key, block),
  aesDecrypt: (key, block) => new Uint8Array(aesDecrypt(key, block)),
};
