// The one G3 address mapping (modules/generic/shared/g3-address.ts), both directions: PAN id and
// short address -> IID and link-local address (G.9903 9.4, RFC 4944 6), IPv6 address -> short
// address, and the addresses that carry no short address.
import assert from 'node:assert/strict';
import {
  SHORT_NONE,
  addressFromPrefix,
  iidFromLink,
  linkLocalFromLink,
  panShortBytes,
  shortFromAddress,
} from '../../modules/generic/shared/g3-address.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const addr = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

describe('G3 address mapping', () => {
  it('PAN id and short address -> IID and fe80:: address, U/L bit of the PAN id cleared', () => {
    assert.equal(hex(iidFromLink(0x0009, 0x781d)), '781d00fffe000009');
    assert.equal(hex(iidFromLink(0x0009, 0x7a1d)), '781d00fffe000009');
    assert.equal(hex(iidFromLink(0x0009, 0x781d, 'rfc6282')), '000000fffe000009');
    assert.equal(hex(linkLocalFromLink(0xabcd, 0x1234)), 'fe80000000000000103400fffe00abcd');
    assert.equal(hex(addressFromPrefix(addr('20010db800000001ffff'), 3, 0x1234)), '20010db800000001103400fffe000003');
    // the MAC nonce's source keeps the PAN id as it is
    assert.equal(hex(panShortBytes(0x7a1d, 0x0009)), '7a1d00fffe000009');
  });

  it('an EUI-64 gives its IID with the U/L bit inverted', () => {
    assert.equal(hex(iidFromLink(addr('0080e10000000001'), 0x1234)), '0280e10000000001');
  });

  it('IPv6 address -> short address, and back to the same address', () => {
    for (const [short, pan] of [
      [0, 0x1234],
      [1, 0x781d],
      [0x7fff, 0xfdff],
      [0xabcd, 0xffff],
    ] as const) {
      assert.equal(shortFromAddress(linkLocalFromLink(short, pan)), short);
      assert.equal(shortFromAddress(linkLocalFromLink(short, pan, 'rfc6282')), short);
      assert.equal(hex(linkLocalFromLink(shortFromAddress(linkLocalFromLink(short, pan)), pan)), hex(linkLocalFromLink(short, pan)));
    }
    // any prefix: the IID carries the short address (context-based addresses, RFC 6282 3.1.1)
    assert.equal(shortFromAddress(addressFromPrefix(addr('20010db800000001'), 0x0042, 0x1234)), 0x0042);
  });

  it('no short address behind a non-G3 address', () => {
    for (const h of [
      'fe800000000000000280e1fffe000001', // EUI-64 IID whose bytes 11..13 look like ff:fe:00 but byte 10 is not 0
      'fe800000000000000280e10000000001', // EUI-64 IID
      'fe80000000000000123400fffe01abcd', // ..:fe01:.. not fe00
      'fe80000000000000123400fefe00abcd', // ..:00fe:.. not 00ff
      'ff020000000000000000000000000001', // all-nodes multicast
      '00000000000000000000000000000001', // ::1
      '00000000000000000000000000000000', // ::
    ])
      assert.equal(shortFromAddress(addr(h)), SHORT_NONE, h);
    assert.equal(shortFromAddress(new Uint8Array(8)), SHORT_NONE, 'not 16 bytes');
  });
});
