// Test-only: an LBP device (modules/plc/lbp-device.ts), an agent relaying with agentRelay and the
// bootstrap server (modules/plc/lbp-server.ts) wired in memory, shared by lbp-device.test.ts and
// lbp-server.test.ts.
import assert from 'node:assert/strict';
import { LbpDevice, agentRelay, type JoinResult } from '../../modules/plc/lbp-device.js';
import { LbpServer, type LbsOutput } from '../../modules/plc/lbp-server.js';
import { eui, hex, nodeCrypto, seededRandom, toH } from './helpers.js';

export const PSK = hex('ab10341145111bc3c12de8ff11142204');
export const GMK0 = hex('af4d6dccf1fe1bbc3ad6c8b4c8000a01');
export const GMK1 = hex('11223344556677881122334455667788');
export const ID_S = hex('0000000000000001');

/** LBD -- agent -- LBS wired in memory through the agent relay rule. */
export function world(opts: { blacklist?: boolean } = {}) {
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
