// The LBP device (bootstrap client, modules/plc/lbp-device.ts) joining and re-keyed through an
// agent by the bootstrap server, all in memory (lbp-world.ts).
import assert from 'node:assert/strict';
import type { JoinResult } from '../../modules/plc/lbp-device.js';
import type { LbsOutput } from '../../modules/plc/lbp-server.js';
import { toH } from './helpers.js';
import { GMK0, GMK1, PSK, world } from './lbp-world.js';

describe('plc LBP device (G.9903 annex E)', () => {
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
});
