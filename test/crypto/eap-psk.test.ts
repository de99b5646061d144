// EAP-PSK key derivation (RFC 4764 3.1, 3.2: modules/plc/eap-psk.ts) and its EAX protected
// channel (5.3, the native EAX of drivers/crypto).
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { deriveAkKdk, deriveSessionKeys } from '../../modules/plc/eap-psk.js';
import { nodeCrypto } from '../plc/helpers.js';
import { flip, hex, run as native } from './harness.js';

// RFC 4764 publishes no numeric vectors. Two independent checks:
// 1. a reference model written here from the RFC's text, on node:crypto AES-ECB;
// 2. known answers computed with hostap's implementation (src/eap_common/eap_psk_common.c),
//    as recorded in FreeRADIUS's EAP-PSK known-answer tests, eap_psk_tests.c ("hostap commit f541de4"):
//    PSK 00..0f, RAND_S 10..1f, RAND_P 20..2f.
const aes = (key: Buffer, block: Buffer): Buffer => {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
};
// "modified counter mode": X, then E(K, X xor c_i), c_i = i as a 128-bit big-endian integer
const counterBlock = (key: Buffer, x: Buffer, i: number): Buffer => {
  const b = Buffer.from(x);
  b.writeUInt32BE((b.readUInt32BE(12) ^ i) >>> 0, 12);
  return aes(key, b);
};
function model(psk: Buffer, randP: Buffer) {
  const x = aes(psk, Buffer.alloc(16));
  const ak = counterBlock(psk, x, 1),
    kdk = counterBlock(psk, x, 2);
  const y = aes(kdk, randP);
  const blocks = (from: number) => Buffer.concat([0, 1, 2, 3].map((j) => counterBlock(kdk, y, from + j)));
  return { ak, kdk, tek: counterBlock(kdk, y, 1), msk: blocks(2), emsk: blocks(6) };
}

const range = (from: number) => Buffer.from(Array.from({ length: 16 }, (_, i) => from + i));
const PSK = range(0x00),
  RAND_S = range(0x10),
  RAND_P = range(0x20);
const HOSTAP = {
  ak: '18b62d2c84c5e4571afc41a29db71f4d',
  kdk: '97b704350085028363924612565b9b0d',
  tek: '96a00b888b1f6b2f8e201ee96a2277f6',
  msk:
    'e282c7c32f4a3b28f18d75860fa2671c46d071e2f7e509ce2e98ae9ae3349977' + '05f927d184ead271f9bcb1b7a1f92230bf0dc90d946117aae0d784b8355957d5',
  emsk:
    'd20b6b7556339200f04e6530eb7d3c61a7810b5ca93f4c0ba89ea5eedf634a69' + '792920a6caea9d8e7b112d6383dd8588b68b74f6e7c2f8d51ace97067117ac92',
  // protected channel: one byte R=DONE_SUCCESS (0x80), 22-byte header, nonce 0 / 1
  msg3: { hdr: '010200' + '3b2f80' + RAND_S.toString('hex'), nonce: 0, c: '8f', tag: '47d644265cae5a689a40a47ac54ddf80' },
  msg4: { hdr: '020200' + '2b2fc0' + RAND_S.toString('hex'), nonce: 1, c: 'cc', tag: '7a7a71527b1f047a77fbf0efa673f754' },
};
// EAX nonce of the channel: the 4-byte Nonce field, left-padded with zeros to 16 bytes (5.3)
const channelNonce = (n: number) => '00'.repeat(12) + n.toString(16).padStart(8, '0');

// The one derivation (modules/plc/eap-psk.ts, what the stack's peer and server use), over an AES
// block: AK || KDK, then TEK || MSK || EMSK, as hex lines.
function run(cases: string[]): string[] {
  return cases.map((c) => {
    const [op, a, b] = c.split(' ') as [string, string, string?];
    if (op === 'psk') {
      const k = deriveAkKdk(nodeCrypto, Buffer.from(a, 'hex'));
      return `${hex(k.ak)} ${hex(k.kdk)}`;
    }
    const k = deriveSessionKeys(nodeCrypto, Buffer.from(a, 'hex'), Buffer.from(b!, 'hex'));
    return `${hex(k.tek)} ${hex(k.msk)} ${hex(k.emsk)}`;
  });
}

describe('crypto: EAP-PSK (RFC 4764)', () => {
  it('derives AK, KDK, TEK, MSK, EMSK as hostap does', () => {
    const [setup, derive] = run([`psk ${hex(PSK)}`, `pskd ${HOSTAP.kdk} ${hex(RAND_P)}`]);
    assert.equal(setup, `${HOSTAP.ak} ${HOSTAP.kdk}`);
    assert.equal(derive, `${HOSTAP.tek} ${HOSTAP.msk} ${HOSTAP.emsk}`);
  });

  it('agrees with the reference model on random keys', () => {
    const cases: string[] = [],
      want: string[] = [];
    for (let i = 0; i < 8; i++) {
      const psk = randomBytes(16),
        randP = randomBytes(16),
        m = model(psk, randP);
      cases.push(`psk ${hex(psk)}`, `pskd ${hex(m.kdk)} ${hex(randP)}`);
      want.push(`${hex(m.ak)} ${hex(m.kdk)}`, `${hex(m.tek)} ${hex(m.msk)} ${hex(m.emsk)}`);
    }
    assert.deepEqual(run(cases), want);
    const m = model(PSK, RAND_P); // and the model itself agrees with hostap
    assert.equal(hex(m.msk), HOSTAP.msk);
  });

  it('protects the channel of messages 3 and 4 with EAX as hostap does', () => {
    const out = native(
      [HOSTAP.msg3, HOSTAP.msg4].flatMap((m) => [
        `eaxe ${HOSTAP.tek} ${channelNonce(m.nonce)} ${m.hdr} 80 16`,
        `eaxd ${HOSTAP.tek} ${channelNonce(m.nonce)} ${m.hdr} ${m.c} ${m.tag}`,
        `eaxd ${HOSTAP.tek} ${channelNonce(m.nonce)} ${m.hdr} ${m.c} ${flip(m.tag, 5)}`,
        `eaxd ${HOSTAP.tek} ${channelNonce(m.nonce + 1)} ${m.hdr} ${m.c} ${m.tag}`,
      ]),
    );
    assert.deepEqual(out, [
      `${HOSTAP.msg3.c} ${HOSTAP.msg3.tag}`,
      '80',
      'AUTH',
      'AUTH',
      `${HOSTAP.msg4.c} ${HOSTAP.msg4.tag}`,
      '80',
      'AUTH',
      'AUTH',
    ]);
  });
});
