// AES key wrap, RFC 3394 (used by Security setup global_key_transfer, Blue Book 4.4.7).
// The AES block function is injected (hardware or mbed TLS on the device, node:crypto in tests).

export interface AesBlock {
  /** AES-128 encryption of one 16-byte block. */
  encrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
}

const IV = 0xa6; // default initial value A6A6A6A6A6A6A6A6 (RFC 3394 2.2.3.1)

function xorT(a: Uint8Array, t: number): void {
  for (let k = 7; k >= 4 && t > 0; k--, t = Math.floor(t / 256)) a[k] = (a[k] as number) ^ (t & 0xff);
}

/** Wraps `key` (a multiple of 8 bytes, >= 16) under `kek`. Returns key.length + 8 bytes. */
export function aesKeyWrap(aes: AesBlock, kek: Uint8Array, key: Uint8Array): Uint8Array {
  const n = key.length / 8;
  if (!Number.isInteger(n) || n < 2) throw new RangeError('key wrap: key must be 8*n bytes, n >= 2');
  const a = new Uint8Array(8).fill(IV);
  const r = key.slice();
  const b = new Uint8Array(16);
  for (let j = 0; j < 6; j++) {
    for (let i = 0; i < n; i++) {
      b.set(a, 0);
      b.set(r.subarray(i * 8, i * 8 + 8), 8);
      const e = aes.encrypt(kek, b);
      a.set(e.subarray(0, 8));
      xorT(a, n * j + i + 1);
      r.set(e.subarray(8, 16), i * 8);
    }
  }
  const out = new Uint8Array(key.length + 8);
  out.set(a);
  out.set(r, 8);
  return out;
}

/** Unwraps; null if the length is wrong or the integrity check fails. */
export function aesKeyUnwrap(aes: AesBlock, kek: Uint8Array, wrapped: Uint8Array): Uint8Array | null {
  const n = wrapped.length / 8 - 1;
  if (!Number.isInteger(n) || n < 2) return null;
  const a = wrapped.slice(0, 8);
  const r = wrapped.slice(8);
  const b = new Uint8Array(16);
  for (let j = 5; j >= 0; j--) {
    for (let i = n - 1; i >= 0; i--) {
      xorT(a, n * j + i + 1);
      b.set(a, 0);
      b.set(r.subarray(i * 8, i * 8 + 8), 8);
      const d = aes.decrypt(kek, b);
      a.set(d.subarray(0, 8));
      r.set(d.subarray(8, 16), i * 8);
    }
  }
  let bad = 0;
  for (let k = 0; k < 8; k++) bad |= (a[k] as number) ^ IV;
  return bad === 0 ? r : null;
}
