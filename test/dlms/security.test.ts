import assert from 'node:assert/strict';
import {
  AuthenticationFailed,
  decryptApdu,
  encryptApdu,
  hlsGmac,
  protect,
  unprotect,
  verifyHlsGmac,
  encodeSecurityControl,
  decodeSecurityControl,
} from '../../modules/nonlegal/dlms/security.js';
import { decodeApdu, encodeApdu } from '../../modules/nonlegal/dlms/xdlms.js';
import { hex, nodeGcm, toH } from './helpers.js';

// Green Book worked example keys (Table 40 "glo-get-request", AARQ with glo-initiateRequest,
// HLS-GMAC example): as used in u9n/dlms-cosem tests/test_security.py and test_initiate.py.
const keys = { encryptionKey: hex('000102030405060708090A0B0C0D0E0F'), authenticationKey: hex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const serverTitle = hex('4D4D4D0000BC614E');
const clientTitle = hex('4D4D4D0000000001');
const IC = 0x01234567;

describe('security suite 0 (AES-GCM through the injected Gcm)', () => {
  it('Green Book Table 40: glo-get-request, byte exact', () => {
    const plain = hex('C0010000080000010000FF0200');
    const apdu = encryptApdu(nodeGcm, keys, serverTitle, 0x30, IC, plain);
    assert.equal(toH(apdu), 'C81E300123456741' + '1312FF935A475668' + '27C467BC7D825C3B' + 'E4A77C3FCC056B6B');
    const { apdu: framed, plaintext } = decryptApdu(nodeGcm, keys, serverTitle, apdu);
    assert.equal(toH(plaintext), toH(plain));
    assert.deepStrictEqual(decodeApdu(apdu), framed);
    assert.equal(toH(encodeApdu(framed)), toH(apdu));
  });

  it('Green Book AARQ user-information: glo-initiateRequest with dedicated key, byte exact', () => {
    const ir = hex('01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0');
    const apdu = encryptApdu(nodeGcm, keys, serverTitle, 0x30, IC, ir);
    assert.equal(toH(apdu), '21303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855');
    assert.equal(toH(decryptApdu(nodeGcm, keys, serverTitle, apdu).plaintext), toH(ir));
  });

  it('Green Book HLS-GMAC example: f(StoC) by the client', () => {
    const f = hlsGmac(nodeGcm, keys, clientTitle, 1, hex('503677524A323146'));
    assert.equal(toH(f), '10' + '00000001' + '1A52FE7DD3E72748973C1E28');
    assert.equal(verifyHlsGmac(nodeGcm, keys, clientTitle, hex('503677524A323146'), f), 1);
    assert.equal(verifyHlsGmac(nodeGcm, keys, serverTitle, hex('503677524A323146'), f), null);
    const bad = f.slice();
    bad[16]! ^= 1;
    assert.equal(verifyHlsGmac(nodeGcm, keys, clientTitle, hex('503677524A323146'), bad), null);
  });

  it('f(CtoS) by the server verifies at the client (round trip)', () => {
    const f = hlsGmac(nodeGcm, keys, serverTitle, IC, hex('4B35366956616759'));
    assert.equal(verifyHlsGmac(nodeGcm, keys, serverTitle, hex('4B35366956616759'), f), IC);
  });

  it('round-trips every protection level and rejects tampering', () => {
    const plain = hex('C401C1000600001391');
    for (const sc of [0x00, 0x10, 0x20, 0x30]) {
      const info = protect(nodeGcm, keys, serverTitle, sc, 7, plain);
      assert.equal(toH(unprotect(nodeGcm, keys, serverTitle, sc, 7, info)), toH(plain), `sc ${sc}`);
      if (sc & 0x10) {
        const t = info.slice();
        t[0]! ^= 0x80;
        assert.throws(() => unprotect(nodeGcm, keys, serverTitle, sc, 7, t), AuthenticationFailed);
        assert.throws(() => unprotect(nodeGcm, keys, serverTitle, sc, 8, info), AuthenticationFailed);
      }
    }
  });

  it('dedicated ciphering and general-glo-ciphering framing', () => {
    const plain = hex('C001C100080000010000FF0200');
    const ded = encryptApdu(nodeGcm, keys, clientTitle, 0x30, 2, plain, true);
    assert.equal(ded[0], 0xd0);
    assert.equal(toH(decryptApdu(nodeGcm, keys, clientTitle, ded).plaintext), toH(plain));
    // general-glo-ciphering carried in a DLMS/UDP datagram (dlms-cosem tests/test_udp_message.py):
    const g = hex(
      'DB082F192291991641033B30000001E5025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BECF282DFE49C08F5BE6DC8400',
    );
    const a = decodeApdu(g);
    assert.equal(a.kind, 'general-ciphering');
    if (a.kind !== 'general-ciphering') return;
    assert.equal(toH(a.systemTitle), '2F19229199164103');
    assert.equal(a.securityControl, 0x30);
    assert.equal(a.invocationCounter, 0x1e5);
    assert.equal(toH(encodeApdu(a)), toH(g));
  });

  it('security control byte', () => {
    const sc = { suite: 0, authenticated: true, encrypted: true, broadcastKey: false, compressed: false };
    assert.equal(encodeSecurityControl(sc), 0x30);
    assert.deepStrictEqual(decodeSecurityControl(0x30), sc);
  });
});
