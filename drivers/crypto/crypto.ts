// Symmetric crypto for the PLC and DLMS stacks: typed wrappers over drivers/crypto (xs_crypto.c).
// Every function takes and returns Uint8Array; an open/decrypt whose tag does not verify
// returns undefined. Sizes are checked in C (RangeError).

type Bytes = Uint8Array;

const aesBlock = native<(key: Bytes, block: Bytes) => ArrayBuffer>('xs_crypto_aes_block');
const ccmSealNative = native<(key: Bytes, nonce: Bytes, level: number, header: Bytes, payload: Bytes) => ArrayBuffer>('xs_crypto_ccm_seal');
const ccmOpenNative =
  native<(key: Bytes, nonce: Bytes, level: number, header: Bytes, payload: Bytes, mic: Bytes) => ArrayBuffer | undefined>(
    'xs_crypto_ccm_open',
  );
const cmacNative = native<(key: Bytes, message: Bytes) => ArrayBuffer>('xs_crypto_cmac');
const cmacVerifyNative = native<(key: Bytes, message: Bytes, mac: Bytes) => boolean>('xs_crypto_cmac_verify');
const eaxEncryptNative =
  native<(key: Bytes, nonce: Bytes, header: Bytes, plaintext: Bytes, tagLength: number) => ArrayBuffer>('xs_crypto_eax_encrypt');
const eaxDecryptNative =
  native<(key: Bytes, nonce: Bytes, header: Bytes, ciphertext: Bytes, tag: Bytes) => ArrayBuffer | undefined>('xs_crypto_eax_decrypt');
const gcmEncryptNative =
  native<(key: Bytes, iv: Bytes, aad: Bytes, plaintext: Bytes, tagLength: number) => ArrayBuffer>('xs_crypto_gcm_encrypt');
const gcmDecryptNative =
  native<(key: Bytes, iv: Bytes, aad: Bytes, ciphertext: Bytes, tag: Bytes) => ArrayBuffer | undefined>('xs_crypto_gcm_decrypt');
const gmacNative = native<(key: Bytes, iv: Bytes, aad: Bytes, tagLength: number) => ArrayBuffer>('xs_crypto_gmac');
const gmacVerifyNative = native<(key: Bytes, iv: Bytes, aad: Bytes, tag: Bytes) => boolean>('xs_crypto_gmac_verify');
const sha256Native = native<(data: Bytes) => ArrayBuffer>('xs_crypto_sha256');
const sha256Create = native<() => object>('xs_crypto_sha256_create');
const sha256Update = native<(hash: object, data: Bytes) => void>('xs_crypto_sha256_update');
const sha256Finish = native<(hash: object) => ArrayBuffer>('xs_crypto_sha256_finish');

const opt = (b: ArrayBuffer | undefined): Bytes | undefined => (b === undefined ? undefined : new Uint8Array(b));

export interface Sealed {
  ciphertext: Bytes;
  tag: Bytes;
}

/** Driver "plccrypto" (granted to PLC): the part of this module the G3-PLC stack uses. */
export interface PlcCryptoDriver {
  aes128EncryptBlock(key: Bytes, block: Bytes): Bytes;
  ccmSeal(key: Bytes, nonce: Bytes, level: number, header: Bytes, payload: Bytes): Bytes;
  ccmOpen(key: Bytes, nonce: Bytes, level: number, header: Bytes, payload: Bytes, mic: Bytes): Bytes | undefined;
  cmac(key: Bytes, message: Bytes): Bytes;
  eaxEncrypt(key: Bytes, nonce: Bytes, header: Bytes, plaintext: Bytes, tagLength?: number): Sealed;
  eaxDecrypt(key: Bytes, nonce: Bytes, header: Bytes, ciphertext: Bytes, tag: Bytes): Bytes | undefined;
}
function split(b: ArrayBuffer, tagLength: number): Sealed {
  const all = new Uint8Array(b);
  return { ciphertext: all.subarray(0, all.length - tagLength), tag: all.subarray(all.length - tagLength) };
}

/** AES-128 encryption of one 16-byte block. */
export function aes128EncryptBlock(key: Bytes, block: Bytes): Bytes {
  return new Uint8Array(aesBlock(key, block));
}

// ---- CCM* (IEEE 802.15.4-2006 7.6.2.2.1, table 95): bit 2 = ENC, bits 1..0 = MIC 0/4/8/16 ----
export const SecurityLevel = {
  NONE: 0,
  MIC32: 1,
  MIC64: 2,
  MIC128: 3,
  ENC: 4,
  ENC_MIC32: 5,
  ENC_MIC64: 6,
  ENC_MIC128: 7,
} as const;
export const micLength = (level: number): number => [0, 4, 8, 16][level & 3]!;

/** CCM* nonce (7.6.3.2): source EUI-64 (MSB first) || frame counter (big-endian) || level. */
export function ccmNonce(eui64: Bytes, frameCounter: number, level: number): Bytes {
  if (eui64.length !== 8) throw new RangeError('eui64: 8 bytes');
  const n = new Uint8Array(13);
  n.set(eui64, 0);
  new DataView(n.buffer).setUint32(8, frameCounter >>> 0);
  n[12] = level;
  return n;
}

/** Secures a MAC frame: returns header || payload (encrypted when the level has ENC) || MIC. */
export function ccmSeal(key: Bytes, nonce: Bytes, level: number, header: Bytes, payload: Bytes): Bytes {
  return new Uint8Array(ccmSealNative(key, nonce, level, header, payload));
}

/** Checks the MIC and returns the clear payload, or undefined. */
export function ccmOpen(key: Bytes, nonce: Bytes, level: number, header: Bytes, payload: Bytes, mic: Bytes): Bytes | undefined {
  return opt(ccmOpenNative(key, nonce, level, header, payload, mic));
}

// ---- CMAC (RFC 4493) and EAX ----
export function cmac(key: Bytes, message: Bytes): Bytes {
  return new Uint8Array(cmacNative(key, message));
}
/** Constant-time check of a (possibly truncated, 1..16 bytes) MAC. */
export function cmacVerify(key: Bytes, message: Bytes, mac: Bytes): boolean {
  return cmacVerifyNative(key, message, mac);
}

export function eaxEncrypt(key: Bytes, nonce: Bytes, header: Bytes, plaintext: Bytes, tagLength = 16): Sealed {
  return split(eaxEncryptNative(key, nonce, header, plaintext, tagLength), tagLength);
}
export function eaxDecrypt(key: Bytes, nonce: Bytes, header: Bytes, ciphertext: Bytes, tag: Bytes): Bytes | undefined {
  return opt(eaxDecryptNative(key, nonce, header, ciphertext, tag));
}

// ---- GCM / GMAC: DLMS security suite 0, 12-byte IV (system title || invocation counter) ----
export const DLMS_TAG_LENGTH = 12;

export function gcmEncrypt(key: Bytes, iv: Bytes, aad: Bytes, plaintext: Bytes, tagLength = DLMS_TAG_LENGTH): Sealed {
  return split(gcmEncryptNative(key, iv, aad, plaintext, tagLength), tagLength);
}
export function gcmDecrypt(key: Bytes, iv: Bytes, aad: Bytes, ciphertext: Bytes, tag: Bytes): Bytes | undefined {
  return opt(gcmDecryptNative(key, iv, aad, ciphertext, tag));
}
export function gmac(key: Bytes, iv: Bytes, aad: Bytes, tagLength = DLMS_TAG_LENGTH): Bytes {
  return new Uint8Array(gmacNative(key, iv, aad, tagLength));
}
export function gmacVerify(key: Bytes, iv: Bytes, aad: Bytes, tag: Bytes): boolean {
  return gmacVerifyNative(key, iv, aad, tag);
}

// ---- SHA-256 ----
export function sha256(data: Bytes): Bytes {
  return new Uint8Array(sha256Native(data));
}

/** Incremental SHA-256; the state lives in C, digest() ends it. */
export class Sha256 {
  #hash = sha256Create();
  update(data: Bytes): this {
    sha256Update(this.#hash, data);
    return this;
  }
  digest(): Bytes {
    return new Uint8Array(sha256Finish(this.#hash));
  }
}
