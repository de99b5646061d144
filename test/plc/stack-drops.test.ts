// Refusals on the PLC stack (G3Node: MAC + ADP + reassembly) between two nodes on an in-memory
// link the test controls frame by frame: a replayed secured frame is refused, counted and
// traced (and a forged frame counter fails its MIC without moving the replay state); hostile
// and truncated fragments are dropped and counted; a datagram that lost a fragment times out,
// its buffer is freed, and the retransmitted datagram then reassembles.
import assert from 'node:assert/strict';
import { G3Node } from '../../modules/plc/netstack.js';
import type { MacTx } from '../../modules/plc/mac.js';
import { buildUdp } from '../../modules/generic/shared/ipv6.js';
import { linkLocalFromLink } from '../../modules/generic/shared/g3-address.js';
import { encodeFragHeader } from '../../modules/plc/adp.js';
import { ADP_DEFAULT_REASSEMBLY_TIMEOUT_MS } from '../../modules/plc/adp-const.js';
import { concat } from '../../modules/plc/bytes.js';
import { eui, hex, toH, nodeCrypto } from './helpers.js';

const PAN = 0x781d;
const GMK = hex('0f0e0d0c0b0a09080706050403020100');

/** Nodes 1 and 2 hearing each other; frames wait in `air` until the test delivers them. */
class Pair {
  t = 1000;
  air: { from: number; tx: MacTx }[] = [];
  traces = new Map<number, string[]>();
  received: Uint8Array[] = [];
  a = this.node(1);
  b = this.node(2);
  constructor() {
    this.b.onIpv6 = (p) => this.received.push(p);
  }
  private node(short: number): G3Node {
    const lines: string[] = [];
    this.traces.set(short, lines);
    const n = new G3Node({
      eui64: eui(short),
      crypto: nodeCrypto,
      now: () => this.t,
      panId: PAN,
      shortAddress: short,
      send: (tx) => this.air.push({ from: short, tx }),
      trace: (l) => lines.push(l),
    });
    n.mac.setKey(0, GMK);
    n.mac.activateKey(0);
    return n;
  }
  deliver(f: { from: number; tx: MacTx }): void {
    this.t += 5;
    (f.from === 1 ? this.b : this.a).indication(f.tx.frame, 120, 1);
  }
  /** Delivers everything in the air (and what that causes), except frames `drop` picks. */
  settle(drop: (f: { from: number; tx: MacTx }, i: number) => boolean = () => false): void {
    for (let i = 0; this.air.length > 0; i++) {
      if (i > 1000) throw new Error('link did not settle');
      const f = this.air.shift() as { from: number; tx: MacTx };
      if (!drop(f, i)) this.deliver(f);
    }
  }
  /** Node 1 learns its route to node 2 (LOADng RREQ/RREP) with a first small datagram. */
  route(): void {
    this.a.sendIpv6(udp(8));
    this.settle();
    assert.equal(this.received.length, 1, 'first datagram delivered');
    this.received.length = 0;
  }
}

function udp(n: number): Uint8Array {
  return buildUdp(
    linkLocalFromLink(1, PAN),
    linkLocalFromLink(2, PAN),
    0xf0b1,
    0xf0b2,
    new Uint8Array(n).map((_, i) => (i * 7) & 0xff),
  );
}

describe('plc stack refusals (two nodes, frame by frame)', () => {
  it('a replayed secured frame is refused, counted and traced; a forged frame counter fails its MIC', () => {
    const p = new Pair();
    p.route();
    p.a.sendIpv6(udp(20));
    const frame = p.air[0] as { from: number; tx: MacTx };
    p.settle();
    assert.equal(p.received.length, 1);
    const before = { ...p.b.mac.drops };
    // the same bytes again, after the duplicate window: its frame counter is not new
    p.t += p.b.mac.pib.macDuplicateDetectionTTLms + 1;
    p.deliver(frame);
    assert.equal(p.received.length, 1, 'the replay is not delivered');
    assert.equal(p.b.mac.drops.replay, before.replay + 1);
    assert.ok(
      (p.traces.get(2) as string[]).some((l) => /^mac: drop replay s0001 fc \d+ <= \d+$/.test(l)),
      'replay traced',
    );
    // a higher frame counter written into the replayed frame: the MIC covers it
    const forged = frame.tx.frame.slice();
    forged[10] = (forged[10] as number) + 100; // frame counter, byte 0 (after FCF, DSN, PAN, dst, src, security control)
    p.deliver({ from: 1, tx: { ...frame.tx, frame: forged } });
    assert.equal(p.b.mac.drops.micFailure, before.micFailure + 1);
    assert.equal(p.received.length, 1);
    // the forgery did not move the replay state: the sender's next frame still gets through
    p.a.sendIpv6(udp(20));
    p.settle();
    assert.equal(p.received.length, 2);
    assert.equal(p.b.mac.drops.replay, before.replay + 1);
  });

  it('hostile and truncated fragments are dropped and counted, and the node goes on', () => {
    const p = new Pair();
    p.route();
    const send = (adp: Uint8Array): void => {
      p.a.mac.dataRequest({ dst: 2, payload: adp });
      p.settle();
    };
    const malformed = p.b.drops.malformed,
      r = p.b.reassembler.drops;
    const before = { ...r };
    send(encodeFragHeader({ first: false, datagramSize: 200, tag: 7, offset: 4 })); // FRAGN without payload
    send(concat(encodeFragHeader({ first: true, datagramSize: 200, tag: 8, offset: 0 }), hex('7a'))); // FRAG1, IPHC cut
    assert.equal(p.b.drops.malformed, malformed + 2);
    send(concat(encodeFragHeader({ first: false, datagramSize: 200, tag: 9, offset: 30 }), new Uint8Array(16))); // past the datagram
    send(concat(encodeFragHeader({ first: false, datagramSize: 2000, tag: 10, offset: 1 }), new Uint8Array(8))); // > 1280 bytes
    assert.equal(r.oversize, before.oversize + 2);
    send(concat(encodeFragHeader({ first: false, datagramSize: 200, tag: 11, offset: 2 }), new Uint8Array(16)));
    send(concat(encodeFragHeader({ first: false, datagramSize: 200, tag: 11, offset: 3 }), new Uint8Array(16))); // overlaps bytes 24..32
    assert.equal(r.overlap, before.overlap + 1);
    assert.equal(p.b.reassembler.active, 0, 'no buffer left behind');
    const traces = p.traces.get(2) as string[];
    assert.ok(traces.some((l) => l.startsWith('adp: drop malformed')) && traces.some((l) => l.startsWith('adp: reassembly drop oversize')));
    p.a.sendIpv6(udp(300));
    p.settle();
    assert.equal(p.received.length, 1, 'a good fragmented datagram still reassembles');
  });

  it('a datagram that lost a fragment times out and frees its buffer; the retransmission reassembles', () => {
    const p = new Pair();
    p.route();
    const packet = udp(600);
    p.a.sendIpv6(packet);
    const fragments = p.air.length;
    assert.ok(fragments >= 4, `${fragments} fragments`);
    const started = p.t + 5; // the first fragment arrives at the next step
    p.settle((_f, i) => i === 2); // the third fragment is lost
    assert.equal(p.received.length, 0);
    assert.equal(p.b.reassembler.active, 1, 'partial datagram held');
    p.t = started + ADP_DEFAULT_REASSEMBLY_TIMEOUT_MS - 1;
    p.b.tick();
    assert.equal(p.b.reassembler.active, 1, 'still within its timeout');
    p.t = started + ADP_DEFAULT_REASSEMBLY_TIMEOUT_MS;
    p.b.tick();
    assert.equal(p.b.reassembler.active, 0, 'buffer freed');
    assert.equal(p.b.reassembler.drops.timeout, 1);
    assert.ok((p.traces.get(2) as string[]).some((l) => l.startsWith('adp: reassembly drop timeout')));
    p.a.sendIpv6(packet); // the upper layer sends it again (a new datagram tag)
    p.settle();
    assert.equal(p.received.length, 1);
    assert.equal(toH(p.received[0] as Uint8Array), toH(packet));
    assert.equal(p.b.reassembler.active, 0);
  });
});

describe('plc reassembly bound (manifest parts.plc.maxReassemblies)', () => {
  it('datagrams beyond the configured number at once are refused and counted busy', () => {
    const n = new G3Node({
      eui64: eui(3),
      crypto: nodeCrypto,
      now: () => 0,
      panId: PAN,
      shortAddress: 3,
      send: () => {},
      maxReassemblies: 1,
    });
    for (let tag = 0; tag < 3; tag++) n.reassembler.input(1, 3, { first: false, datagramSize: 200, tag, offset: 5 }, new Uint8Array(16), 0);
    assert.equal(n.reassembler.active, 1);
    assert.equal(n.reassembler.drops.busy, 2);
  });
});
