// EAP-PSK (RFC 4764, modules/plc/eap-psk.ts): message codecs, key derivation, the peer and server
// state machines exchanging in memory.
import assert from 'node:assert/strict';
import { PskPeer, PskServer, decodeEap, deriveAkKdk, encodePsk, decodePsk } from '../../modules/plc/eap-psk.js';
import { EapCode, PskResult } from '../../modules/plc/lbp-const.js';
import { eui, hex, nodeCrypto, seededRandom, toH } from './helpers.js';
import { GMK0, ID_S, PSK } from './lbp-world.js';

describe('plc EAP-PSK (RFC 4764)', () => {
  it('message codecs round-trip', () => {
    const r = seededRandom(1);
    const m2 = { t: 1 as const, randS: r(16), randP: r(16), macP: r(16), idP: eui(5) };
    assert.deepEqual(decodePsk(encodePsk(m2)), m2);
    const m3 = { t: 2 as const, randS: r(16), macS: r(16), pchannel: { nonce: 7, tag: r(16), encrypted: hex('8002aa') } };
    assert.deepEqual(decodePsk(encodePsk(m3)), m3);
  });
  it('AK and KDK differ and depend on the PSK', () => {
    const a = deriveAkKdk(nodeCrypto, PSK),
      b = deriveAkKdk(nodeCrypto, GMK0);
    assert.notEqual(toH(a.ak), toH(a.kdk));
    assert.notEqual(toH(a.ak), toH(b.ak));
  });
  function exchange(peerPsk: Uint8Array): { peer: PskPeer; server: PskServer; last: Uint8Array } {
    const peer = new PskPeer({
      crypto: nodeCrypto,
      random: seededRandom(2),
      psk: peerPsk,
      idP: eui(5),
      onExtension: (e) => ({ result: PskResult.DONE_SUCCESS, ext: { type: e.type, payload: hex('01') } }),
    });
    const server = new PskServer({
      crypto: nodeCrypto,
      random: seededRandom(3),
      idS: ID_S,
      pskFor: (id) => (toH(id) === toH(eui(5)) ? PSK : null),
    });
    const content = () => ({ result: PskResult.DONE_SUCCESS, ext: { type: 2, payload: hex('1d020001') } });
    let toServer = peer.input(server.start()) as Uint8Array;
    let toPeer = server.input(toServer, content);
    if (server.state === 'failed') return { peer, server, last: toPeer };
    toServer = peer.input(toPeer) as Uint8Array;
    toPeer = server.input(toServer, content);
    peer.input(toPeer);
    return { peer, server, last: toPeer };
  }
  it('full exchange: both sides done, same MSK, peer result carried back', () => {
    const { peer, server, last } = exchange(PSK);
    assert.equal(decodeEap(last).code, EapCode.SUCCESS);
    assert.equal(peer.state, 'done');
    assert.equal(server.state, 'done');
    assert.equal(toH(peer.msk as Uint8Array), toH(server.msk as Uint8Array));
    assert.equal(toH(server.peerResult?.ext?.payload as Uint8Array), '01');
  });
  it('a wrong PSK is refused with EAP-Failure', () => {
    const { peer, server, last } = exchange(hex('00000000000000000000000000000000'));
    assert.equal(server.state, 'failed');
    assert.match(server.failure, /MAC_P/);
    assert.equal(decodeEap(last).code, EapCode.FAILURE);
    peer.input(last);
    assert.equal(peer.state, 'failed');
  });
});
