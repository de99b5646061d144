// Test-only helpers (Node allowed here): hex, and AES-128-GCM from node:crypto behind the Gcm interface.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import assert from 'node:assert/strict';
import { concat, fromHex, toHex } from '../../modules/nonlegal/dlms/bytes.js';
import type { Gcm } from '../../modules/nonlegal/dlms/security.js';
import { DecodeError, NeedMoreData } from '../../modules/nonlegal/dlms/errors.js';

export const hex = (s: string): Uint8Array => fromHex(s);
export const toH = (b: Uint8Array): string => toHex(b).toUpperCase();

// @types/node 20 and TypeScript 5.9 disagree on Buffer vs Uint8Array<ArrayBufferLike>: narrow the
// cipher objects to the few methods used here.
interface Aead {
  setAAD(b: Uint8Array): unknown;
  update(b: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(b: Uint8Array): unknown;
}
type AeadFactory = (alg: string, key: Uint8Array, iv: Uint8Array, opts?: { authTagLength: number }) => Aead;
const cipher = createCipheriv as unknown as AeadFactory;
const decipher = createDecipheriv as unknown as AeadFactory;

export const nodeGcm: Gcm = {
  encrypt(key, iv, aad, plaintext) {
    const c = cipher('aes-128-gcm', key, iv);
    c.setAAD(aad);
    const ct = concat(new Uint8Array(c.update(plaintext)), new Uint8Array(c.final()));
    return { ciphertext: ct, tag: new Uint8Array(c.getAuthTag()) };
  },
  decrypt(key, iv, aad, ciphertext, tag) {
    try {
      const d = decipher('aes-128-gcm', key, iv, { authTagLength: tag.length });
      d.setAAD(aad);
      d.setAuthTag(tag);
      return concat(new Uint8Array(d.update(ciphertext)), new Uint8Array(d.final()));
    } catch {
      return null;
    }
  },
};

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

/** Deterministic PRNG (mulberry32) for the random corpus. */
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
