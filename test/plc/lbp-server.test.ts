// The LBP bootstrap server (coordinator side, modules/plc/lbp-server.ts): retransmission and
// duplicates, blacklist, wrong PSK, the bounded device table.
import assert from 'node:assert/strict';
import { LbpCode } from '../../modules/plc/lbp-const.js';
import { decodeLbp, encodeLbp } from '../../modules/plc/lbp-codec.js';
import { LbpDevice } from '../../modules/plc/lbp-device.js';
import { LbpServer, type LbsOutput } from '../../modules/plc/lbp-server.js';
import { eui, nodeCrypto, seededRandom, toH } from './helpers.js';
import { GMK0, GMK1, ID_S, PSK, world } from './lbp-world.js';

describe('plc LBP server (G.9903 annex E)', () => {
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
