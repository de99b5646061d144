import assert from 'node:assert/strict';
import { LoadngType } from '../../modules/plc/loadng-const.js';
import { decodeLoadng, encodeLoadng, linkCost, LoadngRouter, type LoadngParams } from '../../modules/plc/loadng.js';
import { G3Node } from '../../modules/plc/netstack.js';
import type { MacTx } from '../../modules/plc/mac.js';
import { buildEcho, parseEcho } from '../../modules/generic/shared/icmpv6.js';
import { linkLocalFromLink } from '../../modules/generic/shared/g3-address.js';
import { eui, hex, nodeCrypto, toH } from './helpers.js';

const PAN = 0x781d;
const GMK = hex('0f0e0d0c0b0a09080706050403020100');

describe('plc LOADng codecs and link cost', () => {
  it('RREQ/RREP/RERR/RLC round trip with G3 field layout', () => {
    const rreq = {
      type: LoadngType.RREQ,
      destination: 4,
      originator: 1,
      seq: 0x0102,
      routeRepair: false,
      unicast: true,
      metricType: 15,
      routeCost: 0x1234,
      hopCount: 2,
      hopLimit: 6,
      weakLinkCount: 1,
    } as const;
    const b = encodeLoadng(rreq);
    assert.equal(toH(b), '00' + '0004' + '0001' + '0102' + '4f' + '1234' + '26' + '01');
    assert.deepEqual(decodeLoadng(b), rreq);
    const rerr = { type: LoadngType.RERR, destination: 1, originator: 3, errorCode: 0, unreachable: 4, hopLimit: 8 } as const;
    assert.equal(toH(encodeLoadng(rerr)), '020001000300000480');
    assert.deepEqual(decodeLoadng(encodeLoadng(rerr)), rerr);
    const rlc = { type: LoadngType.RLCREP, destination: 1, originator: 2, metricType: 15, linkCost: 9 } as const;
    assert.deepEqual(decodeLoadng(encodeLoadng(rlc)), rlc);
  });
  it('link cost follows the adpK* formula', () => {
    const r = new LoadngRouter({ self: 1, now: () => 0, send: () => {} });
    const p: LoadngParams = r.params;
    assert.equal(linkCost(p, { lqi: 200, modulation: 3 }, null, 0, 64), p.adpKh); // good link: only Kh
    assert.equal(linkCost(p, { lqi: 52, modulation: 3 }, null, 0, 64), p.adpKq + p.adpKh); // at low LQI: full Kq
    assert.equal(linkCost({ ...p, adpKr: 5, adpKm: 2 }, { lqi: 200, modulation: 0 }, null, 0, 64), 5 + 2 * 3 + p.adpKh);
    assert.equal(linkCost({ ...p, adpKrt: 10 }, { lqi: 200, modulation: 3 }, { lqi: 83, modulation: 3 }, 32, 64), 5 + 5 + p.adpKh);
  });
});

/** In-memory line topology: each node hears only its listed neighbours. */
class Line {
  nodes = new Map<number, G3Node>();
  queue: { from: number; tx: MacTx }[] = [];
  t = 0;
  delivered = 0;
  constructor(
    public links: [number, number][],
    public lqi = 100,
  ) {}
  add(short: number): G3Node {
    const n = new G3Node({
      eui64: eui(short),
      crypto: nodeCrypto,
      now: () => this.t,
      panId: PAN,
      shortAddress: short,
      send: (tx) => this.queue.push({ from: short, tx }),
    });
    n.mac.setKey(0, GMK);
    this.nodes.set(short, n);
    return n;
  }
  hears(a: number, b: number): boolean {
    return this.links.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  }
  run(limit = 10_000): void {
    let steps = 0;
    while (this.queue.length > 0) {
      if (++steps > limit) throw new Error('network did not settle');
      const { from, tx } = this.queue.shift() as { from: number; tx: MacTx };
      this.t += 10;
      for (const [s, n] of this.nodes) if (s !== from && this.hears(from, s)) this.delivered++, n.indication(tx.frame, this.lqi, 1);
    }
  }
}

describe('plc LOADng route discovery in a 4-node line (A-B-C-D)', () => {
  it('discovers a 3-hop route and a ping crosses it both ways', () => {
    const net = new Line([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    const [A, , C, D] = [1, 2, 3, 4].map((s) => net.add(s)) as [G3Node, G3Node, G3Node, G3Node];
    assert.ok(!net.hears(1, 3), 'A cannot hear C');
    const replies: Uint8Array[] = [];
    A.onIpv6 = (p) => replies.push(p);
    const req = buildEcho(linkLocalFromLink(1, PAN), linkLocalFromLink(4, PAN), {
      type: 128,
      identifier: 0x77,
      sequence: 1,
      data: hex('70696e67'),
    });
    A.sendIpv6(req);
    net.run();
    const rA = A.router.route(4);
    assert.ok(rA, 'A has a route to D');
    assert.equal(rA.nextHop, 2);
    assert.equal(rA.hopCount, 3);
    assert.equal(D.router.route(1)?.nextHop, 3);
    assert.equal(C.router.route(1)?.nextHop, 2);
    assert.equal(replies.length, 1, 'echo reply came back');
    const e = parseEcho(replies[0] as Uint8Array);
    assert.equal(e.echo.type, 129);
    assert.equal(e.echo.identifier, 0x77);
    assert.equal(toH(e.echo.data), '70696e67');
    assert.equal(toH(e.ip.src), toH(linkLocalFromLink(4, PAN)));
  });
  it('large datagrams are fragmented across the mesh', () => {
    const net = new Line([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    const [A, , , D] = [1, 2, 3, 4].map((s) => net.add(s)) as [G3Node, G3Node, G3Node, G3Node];
    const got: Uint8Array[] = [];
    D.onIpv6 = (p) => got.push(p);
    D.autoEcho = false;
    const req = buildEcho(linkLocalFromLink(1, PAN), linkLocalFromLink(4, PAN), {
      type: 128,
      identifier: 1,
      sequence: 2,
      data: new Uint8Array(700).fill(0x5a),
    });
    A.sendIpv6(req);
    net.run();
    assert.equal(got.length, 1);
    assert.equal(toH(got[0] as Uint8Array), toH(req));
  });
  it('routes from traffic: a default route to the coordinator, reverse routes from mesh frames, no RREQ', () => {
    const net = new Line([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    const nodes = [1, 2, 3, 4].map((s) => net.add(s)) as [G3Node, G3Node, G3Node, G3Node];
    const [A, B, C, D] = nodes;
    // each node joined through the one before it (adpDefaultCoordRouteEnabled): A is the coordinator
    B.router.setRoute(1, 1, 10, 1);
    C.router.setRoute(1, 2, 20, 2);
    D.router.setRoute(1, 3, 30, 2);
    const replies: Uint8Array[] = [];
    D.onIpv6 = (p) => replies.push(p);
    D.sendIpv6(buildEcho(linkLocalFromLink(4, PAN), linkLocalFromLink(1, PAN), { type: 128, identifier: 5, sequence: 1, data: hex('01') }));
    net.run();
    assert.equal(replies.length, 1, 'A answered through the route it learned');
    for (const n of nodes) assert.equal(n.router.sent.rreq + n.router.sent.rreqRelayed, 0, 'no route request');
    const back = A.router.route(4);
    assert.equal(back?.nextHop, 2);
    assert.equal(back?.hopCount, 3, 'as far as the frame came');
    assert.equal(B.router.route(4)?.nextHop, 3);
    assert.equal(D.router.route(1)?.hopCount, 3, 'the default route takes the hop count the reply showed');
    assert.ok(A.router.stats.learned >= 2);
    // a learned route never replaces one that exists through another neighbour
    assert.equal(A.router.learn(4, 9, 1, { lqi: 200, modulation: 3 }), false);
    assert.equal(A.router.route(4)?.nextHop, 2);
  });
  it('RREQ floods are suppressed (each node rebroadcasts once) and hop limit bounds them', () => {
    const net = new Line([
      [1, 2],
      [2, 3],
      [3, 4],
      [1, 4],
      [2, 4],
    ]);
    const [A, B, C, D] = [1, 2, 3, 4].map((s) => net.add(s)) as G3Node[] as [G3Node, G3Node, G3Node, G3Node];
    A.router.discover(9); // nobody has 9
    net.run();
    const dup = B.router.drops.duplicate + C.router.drops.duplicate + D.router.drops.duplicate + B.router.drops.stale;
    assert.ok(dup > 0);
    net.t += 120_000;
    let failed = false;
    A.router.onRouteFailed = () => (failed = true);
    A.tick();
    assert.ok(failed);
  });
  it('a broken link produces a RERR to the originator', () => {
    const net = new Line([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    const [A, B, C] = [1, 2, 3, 4].map((s) => net.add(s)) as [G3Node, G3Node, G3Node];
    A.sendIpv6(
      buildEcho(linkLocalFromLink(1, PAN), linkLocalFromLink(4, PAN), { type: 128, identifier: 1, sequence: 1, data: new Uint8Array(0) }),
    );
    net.run();
    assert.ok(A.router.route(4));
    let reported = -1;
    A.router.onRouteError = (u) => (reported = u);
    C.router.linkFailed(4); // C lost D
    A.sendIpv6(
      buildEcho(linkLocalFromLink(1, PAN), linkLocalFromLink(4, PAN), { type: 128, identifier: 1, sequence: 2, data: new Uint8Array(0) }),
    );
    net.run();
    assert.equal(reported, 4);
    assert.equal(C.router.drops.noRoute, 1);
    void B;
  });
});
