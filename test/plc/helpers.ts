// Test-only helpers (Node allowed): PlcCrypto from node:crypto (AES-128-CCM for CCM*, AES-ECB
// to build CMAC and EAX), deterministic randomness, an in-memory medium, failure assertions.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import assert from 'node:assert/strict';
import type { PlcCrypto, RandomSource } from '../../modules/plc/crypto.js';
import { DecodeError, NeedMoreData } from '../../modules/plc/errors.js';
import { concat, fromHex, toHex } from '../../modules/plc/bytes.js';

export const hex = (s: string): Uint8Array => fromHex(s);
export const toH = (b: Uint8Array): string => toHex(b);

interface Cipher {
  setAAD(b: Uint8Array, o?: { plaintextLength: number }): unknown;
  update(b: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(b: Uint8Array): unknown;
  setAutoPadding(p: boolean): unknown;
}
type Factory = (alg: string, key: Uint8Array, iv: Uint8Array | null, opts?: { authTagLength: number }) => Cipher;
const cipher = createCipheriv as unknown as Factory;
const decipher = createDecipheriv as unknown as Factory;

function aes(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = cipher('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(block));
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) o[i] = (a[i] as number) ^ (b[i] ?? 0);
  return o;
}

function dbl(b: Uint8Array): Uint8Array {
  const o = new Uint8Array(16);
  for (let i = 0; i < 16; i++) o[i] = (((b[i] as number) << 1) | ((b[i + 1] ?? 0) >> 7)) & 0xff;
  if ((b[0] as number) & 0x80) o[15] = (o[15] as number) ^ 0x87;
  return o;
}

/** AES-CMAC, RFC 4493. */
export function cmac(key: Uint8Array, m: Uint8Array): Uint8Array {
  const k1 = dbl(aes(key, new Uint8Array(16))),
    k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(m.length / 16));
  const complete = m.length > 0 && m.length % 16 === 0;
  let last: Uint8Array = m.slice((n - 1) * 16);
  if (complete) last = xor(last, k1);
  else {
    const p = new Uint8Array(16);
    p.set(last);
    p[last.length] = 0x80;
    last = xor(p, k2);
  }
  let x: Uint8Array = new Uint8Array(16);
  for (let i = 0; i < n - 1; i++) x = aes(key, xor(x, m.subarray(i * 16, i * 16 + 16)));
  return aes(key, xor(x, last));
}

function omac(key: Uint8Array, t: number, m: Uint8Array): Uint8Array {
  const b = new Uint8Array(16);
  b[15] = t;
  return cmac(key, concat(b, m));
}

function ctr(key: Uint8Array, iv: Uint8Array, m: Uint8Array): Uint8Array {
  const out = new Uint8Array(m.length);
  const c = iv.slice();
  for (let i = 0; i < m.length; i += 16) {
    const ks = aes(key, c);
    for (let j = 0; j < 16 && i + j < m.length; j++) out[i + j] = (m[i + j] as number) ^ (ks[j] as number);
    for (let j = 15; j >= 0; j--) {
      c[j] = ((c[j] as number) + 1) & 0xff;
      if (c[j] !== 0) break;
    }
  }
  return out;
}

export const nodeCrypto: PlcCrypto = {
  ccmStarEncrypt(key, nonce, aad, plaintext, micLen) {
    const c = cipher('aes-128-ccm', key, nonce, { authTagLength: micLen });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const ct = concat(new Uint8Array(c.update(plaintext)), new Uint8Array(c.final()));
    return concat(ct, new Uint8Array(c.getAuthTag()));
  },
  ccmStarDecrypt(key, nonce, aad, data, micLen) {
    if (data.length < micLen) return null;
    try {
      const d = decipher('aes-128-ccm', key, nonce, { authTagLength: micLen });
      d.setAuthTag(data.subarray(data.length - micLen));
      d.setAAD(aad, { plaintextLength: data.length - micLen });
      const pt = new Uint8Array(d.update(data.subarray(0, data.length - micLen)));
      d.final();
      return pt;
    } catch {
      return null;
    }
  },
  eaxEncrypt(key, nonce, header, plaintext) {
    const n = omac(key, 0, nonce),
      h = omac(key, 1, header);
    const ciphertext = ctr(key, n, plaintext);
    return { ciphertext, tag: xor(xor(n, h), omac(key, 2, ciphertext)) };
  },
  eaxDecrypt(key, nonce, header, ciphertext, tag) {
    const n = omac(key, 0, nonce),
      h = omac(key, 1, header);
    const t = xor(xor(n, h), omac(key, 2, ciphertext));
    if (toHex(t.subarray(0, tag.length)) !== toHex(tag)) return null;
    return ctr(key, n, ciphertext);
  },
  cmac,
  aesBlock: aes,
};

/** Deterministic random source (xorshift32) so runs are reproducible. */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Asserts that f fails with DecodeError or NeedMoreData (never another error, never success). */
export function assertDecodeFailure(f: () => unknown, label = ''): 'decode' | 'more' {
  try {
    f();
  } catch (e) {
    if (e instanceof NeedMoreData) return 'more';
    if (e instanceof DecodeError) return 'decode';
    throw new assert.AssertionError({ message: `${label}: threw ${(e as Error)?.name}: ${(e as Error)?.message}` });
  }
  throw new assert.AssertionError({ message: `${label}: decoded without error` });
}

/** Runs f; only DecodeError/NeedMoreData may escape (success is fine). */
export function assertOnlyDecodeErrors(f: () => unknown, label = ''): void {
  try {
    f();
  } catch (e) {
    if (e instanceof NeedMoreData || e instanceof DecodeError) return;
    throw new assert.AssertionError({ message: `${label}: threw ${(e as Error)?.name}: ${(e as Error)?.message}` });
  }
}

export function eui(n: number): Uint8Array {
  return Uint8Array.of(0x00, 0x80, 0xe1, 0x00, 0x00, 0x00, 0x00, n);
}
