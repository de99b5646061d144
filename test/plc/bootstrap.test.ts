import assert from 'node:assert/strict';
import { PskPeer, PskServer, decodeEap, deriveAkKdk, encodePsk, decodePsk } from '../../modules/plc/eap-psk.js';
import { EapCode, LbpCode, PskResult } from '../../modules/plc/lbp-const.js';
import { decodeLbp, decodeParams, encodeLbp, encodeParams, param } from '../../modules/plc/lbp-codec.js';
import { LbpDevice, agentRelay, type JoinResult } from '../../modules/plc/lbp-device.js';
import { LbpServer, type LbsOutput } from '../../modules/plc/lbp-server.js';
import { eui, hex, nodeCrypto, seededRandom, toH } from './helpers.js';

const PSK = hex('ab10341145111bc3c12de8ff11142204');
const GMK0 = hex('af4d6dccf1fe1bbc3ad6c8b4c8000a01');
const GMK1 = hex('11223344556677881122334455667788');
const ID_S = hex('0000000000000001');

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

/** LBD -- agent -- LBS wired in memory through the agent relay rule. */
function world(opts: { blacklist?: boolean } = {}) {
  const t = { now: 0 };
  const traces: string[] = [];
  const trace = (l: string): void => void traces.push(l);
  const server = new LbpServer({
    crypto: nodeCrypto,
    random: seededRandom(11),
    now: () => t.now,
    idS: ID_S,
    pskFor: () => PSK,
    gmk: GMK0,
    trace,
  });
  const lbdEui = eui(0x42);
  if (opts.blacklist) server.deny(lbdEui);
  const dev = new LbpDevice({ eui64: lbdEui, psk: PSK, crypto: nodeCrypto, random: seededRandom(12), now: () => t.now, trace });
  const keys = new Map<number, Uint8Array>();
  let active = -1;
  let joined: JoinResult | null = null;
  dev.hooks.setGmk = (i, k) => void keys.set(i, k);
  dev.hooks.activateGmk = (i) => void (active = i);
  dev.hooks.joined = (r) => void (joined = r);
  const AGENT = 0x0007,
    AGENT_EUI = eui(7);
  /** Device -> agent (one hop, unsecured) -> server; server -> agent -> device. */
  const pump = (fromDevice: Uint8Array | null): void => {
    let up = fromDevice;
    for (let i = 0; i < 20 && up; i++) {
      const rel = agentRelay(up, AGENT_EUI);
      assert.ok(rel?.toServer);
      const outs: LbsOutput[] = server.input(AGENT, up);
      up = null;
      for (const o of outs) up = deliver(o) ?? up;
    }
  };
  const deliver = (o: LbsOutput): Uint8Array | null => {
    const rel = agentRelay(o.message, AGENT_EUI);
    assert.ok(rel && !rel.toServer, 'agent forwards down to the LBD');
    assert.equal(toH(rel.lbd), toH(lbdEui));
    return dev.input(o.message);
  };
  return {
    t,
    server,
    dev,
    keys,
    get active() {
      return active;
    },
    get joined() {
      return joined;
    },
    pump,
    deliver,
    traces,
    lbdEui,
    AGENT,
  };
}

describe('plc LBP (G.9903 annex E)', () => {
  it('codecs: header and configuration parameters', () => {
    const m = encodeLbp({ code: LbpCode.CHALLENGE, lbd: eui(1), data: hex('01') });
    assert.equal(toH(m.subarray(0, 2)), 'a000');
    assert.deepEqual(decodeLbp(m), { code: LbpCode.CHALLENGE, reserved: 0, lbd: eui(1), data: hex('01') });
    const p = encodeParams([param.shortAddr(0x0102), param.gmkActivation(1)]);
    assert.equal(toH(p), '1d020102' + '2b0101');
    assert.deepEqual(
      decodeParams(p).map((x) => x.id),
      [7, 10],
    );
  });
  it('device discovers, picks the best agent by LQI and route cost, joins via the agent', () => {
    const w = world();
    w.dev.startDiscovery();
    w.dev.beacon({ panId: 0x781d, agent: 0x0009, lqi: 60, rcCoord: 40 });
    w.dev.beacon({ panId: 0x781d, agent: w.AGENT, lqi: 200, rcCoord: 20 });
    w.dev.beacon({ panId: 0x781d, agent: 0x0000, lqi: 20, rcCoord: 0 });
    const j = w.dev.join();
    assert.ok(j);
    assert.equal(j.to, w.AGENT);
    w.pump(j.message);
    assert.equal(w.dev.failure, '');
    assert.equal(w.dev.state, 'joined');
    const jr = w.joined as JoinResult | null;
    assert.ok(jr);
    assert.equal(jr.shortAddress, 0x0001);
    assert.equal(jr.gmkIndex, 0);
    assert.equal(toH(w.keys.get(0) as Uint8Array), toH(GMK0));
    assert.equal(w.active, 0);
    const d = w.server.devices.get(toH(w.lbdEui));
    assert.equal(d?.state, 'joined');
    assert.equal(d?.shortAddress, 1);
    assert.equal(w.server.counters.joined, 1);
    for (const t of w.traces) for (const k of [PSK, GMK0]) assert.ok(!t.includes(toH(k)), `key in trace: ${t}`);
  });
  it('a lost challenge is retransmitted; a duplicate gets the same response, which the LBS discards', () => {
    const w = world();
    w.dev.startDiscovery();
    w.dev.beacon({ panId: 0x781d, agent: w.AGENT, lqi: 200, rcCoord: 20 });
    const joining = (w.dev.join() as { message: Uint8Array }).message;
    const [lost] = w.server.input(w.AGENT, joining) as [LbsOutput];
    assert.equal(w.server.nextDeadline(), 5000);
    w.t.now = 4999;
    assert.deepEqual(w.server.tick(), [], 'not yet');
    w.t.now = 5000;
    const again = w.server.tick();
    assert.equal(again.length, 1);
    assert.equal(toH(again[0]!.message), toH(lost.message), 'the same challenge');
    assert.equal(w.server.counters.retransmitted, 1);
    const r1 = w.deliver(again[0]!) as Uint8Array;
    const r2 = w.deliver(again[0]!) as Uint8Array; // the first copy arrives late
    assert.equal(toH(r2), toH(r1), 'same response to a duplicate request');
    const next = w.server.input(w.AGENT, r1);
    assert.equal(next.length, 1);
    assert.deepEqual(w.server.input(w.AGENT, r2), [], 'duplicate response discarded');
    assert.equal(w.server.counters.duplicate, 1);
    w.pump(w.deliver(next[0]!));
    assert.equal(w.dev.state, 'joined');
    assert.equal(w.server.nextDeadline(), Infinity);
    // unanswered: at most LBP_MAX_RETRANSMITS more copies, then the LBS waits for a new JOINING
    const v = world();
    v.dev.startDiscovery();
    v.dev.beacon({ panId: 0x781d, agent: v.AGENT, lqi: 200, rcCoord: 20 });
    v.server.input(v.AGENT, (v.dev.join() as { message: Uint8Array }).message);
    let copies = 0;
    for (let i = 1; i <= 5; i++) {
      v.t.now = i * 5000;
      copies += v.server.tick().length;
    }
    assert.equal(copies, 2);
    assert.equal(v.server.nextDeadline(), Infinity);
  });
  it('a blacklisted EUI-64 is declined', () => {
    const w = world({ blacklist: true });
    w.dev.startDiscovery();
    w.dev.beacon({ panId: 0x781d, agent: w.AGENT, lqi: 200, rcCoord: 20 });
    w.pump((w.dev.join() as { message: Uint8Array }).message);
    assert.equal(w.dev.state, 'failed');
    assert.equal(w.dev.failure, 'declined');
    assert.equal(w.server.counters.blacklisted, 1);
    assert.equal(w.server.devices.size, 0);
  });
  it('a device with the wrong PSK is declined', () => {
    const w = world();
    const bad = new LbpDevice({ eui64: w.lbdEui, psk: GMK1, crypto: nodeCrypto, random: seededRandom(5), now: () => 0 });
    bad.startDiscovery();
    bad.beacon({ panId: 0x781d, agent: w.AGENT, lqi: 200, rcCoord: 20 });
    let up: Uint8Array | null = (bad.join() as { message: Uint8Array }).message;
    for (let i = 0; i < 5 && up; i++) {
      const outs = w.server.input(w.AGENT, up);
      up = null;
      for (const o of outs) up = bad.input(o.message) ?? up;
    }
    assert.equal(bad.state, 'failed');
    assert.equal(w.server.counters.declined, 1);
  });
  it('re-keying: new GMK distributed with EAP-PSK, then activated; kick and leave', () => {
    const w = world();
    w.dev.startDiscovery();
    w.dev.beacon({ panId: 0x781d, agent: w.AGENT, lqi: 200, rcCoord: 20 });
    w.pump((w.dev.join() as { message: Uint8Array }).message);
    const outs = w.server.startRekey(GMK1);
    assert.equal(outs.length, 1);
    w.pump(w.deliver(outs[0] as LbsOutput));
    assert.equal(toH(w.keys.get(1) as Uint8Array), toH(GMK1));
    assert.equal(w.active, 0, 'not active before activation');
    assert.equal(w.server.rekeyPending(), 0);
    const act = w.server.activateRekey();
    w.pump(w.deliver(act[0] as LbsOutput));
    assert.equal(w.active, 1);
    assert.equal(w.server.devices.get(toH(w.lbdEui))?.gmkIndex, 1);
    for (const t of w.traces) for (const k of [PSK, GMK0, GMK1]) assert.ok(!t.includes(toH(k)), `key in trace: ${t}`);
    const kick = w.server.kick(w.lbdEui);
    assert.equal(kick[0]?.to, 1);
    w.dev.input((kick[0] as LbsOutput).message);
    assert.equal(w.dev.state, 'idle');
    assert.equal(w.server.devices.size, 0);
  });
  it('short addresses are unique and the device table is bounded', () => {
    const server = new LbpServer({
      crypto: nodeCrypto,
      random: seededRandom(1),
      now: () => 0,
      idS: ID_S,
      pskFor: () => PSK,
      gmk: GMK0,
      maxDevices: 2,
    });
    const shorts = new Set<number>();
    for (let n = 1; n <= 3; n++) {
      const out = server.input(7, encodeLbp({ code: LbpCode.JOINING, lbd: eui(n), data: new Uint8Array(0) }));
      const m = decodeLbp((out[0] as LbsOutput).message);
      if (n <= 2) assert.equal(m.code, LbpCode.CHALLENGE);
      else assert.equal(m.code, LbpCode.DECLINE);
    }
    for (const d of server.devices.values()) shorts.add(d.shortAddress);
    assert.equal(shorts.size, 2);
    assert.equal(server.counters.tableFull, 1);
  });
});
