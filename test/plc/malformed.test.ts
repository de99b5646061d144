// Corpus replay (STYLE.md): valid frames, every truncation, bit flips and random bytes go into
// every decoder and every stateful input; only DecodeError / NeedMoreData may come out.
import assert from 'node:assert/strict';
import { MacFrameType } from '../../modules/plc/mac-const.js';
import { decodeBeaconPayload, decodeMacFrame, encodeBeaconRequest, encodeMacFrame } from '../../modules/plc/mac-frame.js';
import { decodeAdpFrame, encodeEsc, encodeFragHeader, encodeMeshHeader } from '../../modules/plc/adp.js';
import { compressIphc, decompressIphc } from '../../modules/plc/iphc.js';
import { buildEcho, parseEcho } from '../../modules/generic/shared/icmpv6.js';
import { buildUdp, decodeIpv6 } from '../../modules/generic/shared/ipv6.js';
import { linkLocalFromLink } from '../../modules/generic/shared/g3-address.js';
import { decodeLoadng, encodeLoadng, LoadngRouter } from '../../modules/plc/loadng.js';
import { LoadngType } from '../../modules/plc/loadng-const.js';
import { decodeEap, decodePsk, encodeEap, encodePsk, PskPeer, PskServer } from '../../modules/plc/eap-psk.js';
import { EapCode, LbpCode, PskResult } from '../../modules/plc/lbp-const.js';
import { decodeLbp, decodeParams, encodeLbp, encodeParams, param } from '../../modules/plc/lbp-codec.js';
import { LbpDevice } from '../../modules/plc/lbp-device.js';
import { LbpServer } from '../../modules/plc/lbp-server.js';
import { G3Node } from '../../modules/plc/netstack.js';
import { concat } from '../../modules/plc/bytes.js';
import { assertOnlyDecodeErrors, assertDecodeFailure, eui, hex, nodeCrypto, prng, seededRandom } from './helpers.js';

const PAN = 0x781d;
const KEY = hex('000102030405060708090a0b0c0d0e0f');

function seeds(): Uint8Array[] {
  const ll1 = linkLocalFromLink(1, PAN),
    ll2 = linkLocalFromLink(2, PAN);
  const udp = buildUdp(ll1, ll2, 0xf0b1, 0xf0b2, hex('0102030405'));
  const c = compressIphc(udp, 1, 2, { panId: PAN });
  const iphcFrame = concat(c.header, udp.subarray(c.consumed));
  const rreq = encodeLoadng({
    type: LoadngType.RREQ,
    destination: 4,
    originator: 1,
    seq: 1,
    routeRepair: false,
    unicast: false,
    metricType: 15,
    routeCost: 0,
    hopCount: 0,
    hopLimit: 8,
    weakLinkCount: 0,
  });
  const m1 = encodeEap({
    code: EapCode.REQUEST,
    identifier: 1,
    type: 47,
    data: encodePsk({ t: 0, randS: new Uint8Array(16), idS: hex('01') }),
  });
  const m3 = encodeEap({
    code: EapCode.REQUEST,
    identifier: 2,
    type: 47,
    data: encodePsk({
      t: 2,
      randS: new Uint8Array(16),
      macS: new Uint8Array(16),
      pchannel: { nonce: 0, tag: new Uint8Array(16), encrypted: hex('80') },
    }),
  });
  return [
    encodeMacFrame({ type: MacFrameType.DATA, seq: 1, dstPan: PAN, dst: 2, src: 1, payload: iphcFrame }),
    encodeMacFrame({
      type: MacFrameType.DATA,
      seq: 2,
      dstPan: PAN,
      dst: 2,
      src: eui(1),
      payload: iphcFrame,
      security: { level: 5, keyIdMode: 1, frameCounter: 9, keyIndex: 0 },
      mic: hex('01020304'),
    }),
    encodeBeaconRequest(3),
    iphcFrame,
    concat(
      encodeMeshHeader({ hopsLeft: 4, originator: 1, final: 2 }),
      encodeFragHeader({ first: true, datagramSize: 200, tag: 1, offset: 0 }),
      iphcFrame,
    ),
    concat(encodeFragHeader({ first: false, datagramSize: 200, tag: 1, offset: 4 }), hex('0102030405060708')),
    encodeEsc(1, rreq),
    rreq,
    udp,
    buildEcho(ll1, ll2, { type: 128, identifier: 1, sequence: 1, data: hex('00') }),
    m1,
    m3,
    encodeEap({ code: EapCode.SUCCESS, identifier: 1, data: new Uint8Array(0) }),
    encodeLbp({ code: LbpCode.CHALLENGE, lbd: eui(5), data: m1 }),
    encodeLbp({ code: LbpCode.ACCEPTED, lbd: eui(5), data: encodeParams([param.gmkActivation(1), param.shortAddr(3)]) }),
    encodeParams([param.gmk(0, KEY)]),
  ];
}

function corpus(): Uint8Array[] {
  const rnd = prng(42);
  const out: Uint8Array[] = [new Uint8Array(0), hex('ff'), new Uint8Array(2000).fill(0xff), new Uint8Array(300)];
  for (const s of seeds()) {
    out.push(s);
    for (let n = 0; n < s.length; n++) out.push(s.slice(0, n));
    for (let k = 0; k < 40; k++) {
      const m = s.slice();
      const flips = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < flips && m.length > 0; i++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      out.push(m);
    }
  }
  for (let k = 0; k < 300; k++) out.push(new Uint8Array(Math.floor(rnd() * 80)).map(() => Math.floor(rnd() * 256)));
  return out;
}

describe('plc hostile corpus', () => {
  const frames = corpus();
  const iphcOpts = { panId: PAN, contexts: [hex('20010db8000000010000000000000000')] };
  const decoders: [string, (b: Uint8Array) => unknown][] = [
    ['mac', decodeMacFrame],
    ['beacon', decodeBeaconPayload],
    ['adp', decodeAdpFrame],
    ['iphc', (b) => decompressIphc(b, 1, 2, iphcOpts)],
    ['iphc-frag', (b) => decompressIphc(b, eui(1), null, iphcOpts, 100)],
    ['ipv6', decodeIpv6],
    ['echo', parseEcho],
    ['loadng', decodeLoadng],
    ['eap', decodeEap],
    ['psk', decodePsk],
    ['lbp', decodeLbp],
    ['params', (b) => decodeParams(b)],
  ];
  it(`every decoder throws only DecodeError/NeedMoreData (${frames.length} inputs)`, () => {
    for (const [name, dec] of decoders)
      frames.forEach((f, i) => {
        assertOnlyDecodeErrors(() => dec(f), `${name}#${i}`);
      });
  });
  it('truncations of valid frames are NeedMoreData or DecodeError', () => {
    for (const s of seeds().slice(0, 3))
      for (let n = 0; n < 3; n++) assertDecodeFailure(() => decodeMacFrame(s.slice(0, n)), `mac trunc ${n}`);
    assertDecodeFailure(() => decodeLoadng(hex('00000400')), 'loadng trunc');
    assertDecodeFailure(() => decodeEap(hex('0101')), 'eap trunc');
  });
  it('stateful inputs (MAC, node, LOADng, EAP-PSK, LBP) never throw anything else', () => {
    const t = { now: 0 };
    const node = new G3Node({ eui64: eui(2), crypto: nodeCrypto, now: () => t.now, panId: PAN, shortAddress: 2, send: () => {} });
    node.mac.setKey(0, KEY);
    node.mac.pib.macSecurityEnabled = false; // let unsecured frames reach ADP too
    const router = new LoadngRouter({ self: 2, now: () => t.now, send: () => {} });
    const peer = new PskPeer({ crypto: nodeCrypto, random: seededRandom(1), psk: KEY, idP: eui(2) });
    const server = new PskServer({ crypto: nodeCrypto, random: seededRandom(2), idS: hex('01'), pskFor: () => KEY });
    server.start();
    const dev = new LbpDevice({ eui64: eui(5), psk: KEY, crypto: nodeCrypto, random: seededRandom(3), now: () => t.now });
    const lbs = new LbpServer({
      crypto: nodeCrypto,
      random: seededRandom(4),
      now: () => t.now,
      idS: hex('01'),
      pskFor: () => KEY,
      gmk: KEY,
    });
    for (const [i, f] of frames.entries()) {
      t.now += 5;
      node.indication(f, 100); // catches internally, counts drops
      if (f.length < 380)
        node.indication(encodeMacFrame({ type: MacFrameType.DATA, seq: i & 0xff, dstPan: PAN, dst: 2, src: 1, payload: f }), 100);
      assertOnlyDecodeErrors(() => router.input(1, { lqi: 100, modulation: 1 }, f), `router#${i}`);
      assertOnlyDecodeErrors(() => peer.input(f), `peer#${i}`);
      assertOnlyDecodeErrors(() => server.input(f, () => ({ result: PskResult.DONE_SUCCESS })), `server#${i}`);
      assertOnlyDecodeErrors(() => dev.input(f), `lbd#${i}`);
      assertOnlyDecodeErrors(() => lbs.input(7, f), `lbs#${i}`);
    }
    assert.ok(node.mac.drops.malformed + node.mac.drops.truncated > 0);
    assert.ok(node.drops.malformed > 0);
  });
});
