// Cryptography is injected: the native implementation (mbed TLS / hardware AES) on the device,
// node:crypto in tests. This layer only frames bytes. Keys are 16-byte AES-128 keys.

export interface PlcCrypto {
  /** CCM* (IEEE 802.15.4-2006 annex B): returns ciphertext || MIC (micLen 0, 4, 8 or 16). */
  ccmStarEncrypt(key: Uint8Array, nonce13: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, micLen: number): Uint8Array;
  /** Verifies the trailing MIC of `ciphertextAndMic`; returns the plaintext or null. */
  ccmStarDecrypt(key: Uint8Array, nonce13: Uint8Array, aad: Uint8Array, ciphertextAndMic: Uint8Array, micLen: number): Uint8Array | null;
  /** AES-EAX (as used by EAP-PSK, RFC 4764 PCHANNEL): 16-byte tag. */
  eaxEncrypt(key: Uint8Array, nonce: Uint8Array, header: Uint8Array, plaintext: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  eaxDecrypt(key: Uint8Array, nonce: Uint8Array, header: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | null;
  /** AES-CMAC (RFC 4493), 16 bytes. */
  cmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** One AES-128 block encryption. */
  aesBlock(key: Uint8Array, block16: Uint8Array): Uint8Array;
}

/** Random bytes from the platform (RunService misc: random). */
export type RandomSource = (n: number) => Uint8Array;

/** Trace sink. Callers never pass key material: traces name key indexes only. */
export type Trace = (line: string) => void;
