import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from '../../emulator/medium/channel.js';
import { MAC_ACK_US, MAC_RIFS_US, MacStatus } from '../../emulator/medium/mac-const.js';
import { Medium, type MediumOptions } from '../../emulator/medium/medium.js';
import { Modulation } from '../../emulator/medium/phy-const.js';
import { AddrMode, encode, MsgType, NodeKind, PortError, type DataConfirm } from '../../emulator/medium/port.js';
import { Prng } from '../../emulator/medium/prng.js';
import { dataRequest, FakeNode, macFrame, type FakeNodeOptions } from './fake-node.js';

const hex = (n: number): string => '0x' + n.toString(16).padStart(16, '0');
const payload = (n: number, fill = 0xa5): Uint8Array => new Uint8Array(n).fill(fill);

/** Feeder line: node i at positions[i] metres, same transformer unless told. */
function line(positions: number[], extra: Partial<Topology> = {}, transformers?: string[]): Topology {
  return {
    noiseDbuv: 30,
    nodes: positions.map((p, i) => ({ eui64: hex(i + 1), positionM: p, transformer: transformers?.[i] ?? 'T1' })),
    ...extra,
  };
}

describe('medium: nodes over sockets', function () {
  this.timeout(20_000);
  let dir: string;
  let seq = 0;
  const media: Medium[] = [];
  const nodes: FakeNode[] = [];

  before(() => (dir = mkdtempSync(join(tmpdir(), 'medium-'))));
  afterEach(async () => {
    for (const n of nodes.splice(0)) n.close();
    for (const m of media.splice(0)) await m.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function start(opts: MediumOptions): Promise<{ medium: Medium; path: string }> {
    const medium = new Medium(opts);
    media.push(medium);
    const path = join(dir, `m${seq++}.sock`);
    await medium.listen(path);
    return { medium, path };
  }

  /** Sim-clock run: connect scripted nodes, resolve when nothing is left to do. */
  async function simRun(opts: MediumOptions, specs: FakeNodeOptions[]): Promise<{ medium: Medium; fakes: FakeNode[] }> {
    const { medium, path } = await start({ ...opts, simClock: true, expectNodes: specs.length });
    const done = once(medium, 'quiescent');
    const fakes = specs.map((s, i) => new FakeNode(BigInt(i + 1), s));
    nodes.push(...fakes);
    for (const f of fakes) await f.connect(path);
    await done;
    return { medium, fakes };
  }

  it('delivers a frame with the LQI of the link and confirms after the ACK (real time)', async () => {
    // 1000 m: 10 dB coupling + 50 dB cable -> 50 dBuV over 30 dBuV noise: SNR 20 dB, LQI (20+10)x4 = 120.
    const { path } = await start({ topology: line([0, 1000]), seed: 3 });
    const a = new FakeNode(1n, { kind: NodeKind.BOARD });
    const b = new FakeNode(2n, { kind: NodeKind.BOARD });
    nodes.push(a, b);
    const ready = await a.connect(path);
    assert.equal(ready.type, MsgType.READY);
    await b.connect(path);
    b.send({ type: MsgType.SET_ADDRESS, panId: 0x781d, shortAddr: 2 });
    const frame = macFrame(9, 2, 1, payload(60));
    a.send(dataRequest(frame, { handle: 0x42, ackRequested: true, dst: 2n }));
    const conf = (await a.waitFor((m) => m.type === MsgType.DATA_CONFIRM)) as DataConfirm;
    const ind = b.indications[0]!;
    assert.equal(conf.handle, 0x42);
    assert.equal(conf.status, MacStatus.SUCCESS);
    assert.equal(conf.retries, 0);
    assert.equal(ind.lqi, 120);
    assert.equal(ind.modulation, Modulation.DQPSK);
    assert.deepEqual([...ind.frame], [...frame]);
    assert.ok(conf.time - ind.time >= BigInt(MAC_RIFS_US + MAC_ACK_US));
  });

  it('counts a hidden-terminal collision and retries until NO_ACK (sim clock)', async () => {
    // A (0 m) and C (2000 m) cannot hear each other (SNR -30 dB); both reach B (1000 m) at 20 dB.
    const toB = (h: number) => dataRequest(macFrame(h, 2, h, payload(40)), { handle: h, ackRequested: true, dst: 2n });
    const { medium, fakes } = await simRun({ topology: line([0, 1000, 2000]), seed: 1 }, [
      { script: [{ atUs: 0, msgs: [toB(1)] }] },
      { script: [{ atUs: 0, msgs: [{ type: MsgType.SET_ADDRESS, panId: 1, shortAddr: 2 }] }] },
      { script: [{ atUs: 0, msgs: [toB(3)] }] },
    ]);
    const s = medium.stats();
    assert.equal(fakes[1]!.indications.length, 0);
    assert.equal(s.framesSent, 12); // 1 + 5 retries each
    assert.equal(s.lost.collision, 12);
    assert.equal(s.perNode[hex(2).slice(2)]!.lost.collision, 12);
    assert.equal(s.lost.attenuation, 12); // A never hears C, nor C A
    assert.equal(s.retries, 10);
    assert.equal(s.noAck, 2);
    for (const f of [fakes[0]!, fakes[2]!]) {
      assert.deepEqual(
        f.confirms.map((c) => [c.status, c.retries]),
        [[MacStatus.NO_ACK, 5]],
      );
    }
  });

  it('lets the high-priority frame through first, without collision, when nodes hear each other', async () => {
    const { medium, fakes } = await simRun({ topology: line([0, 100, 200]), seed: 5 }, [
      { script: [{ atUs: 0, msgs: [dataRequest(macFrame(1, 0xffff, 1, payload(30)), { highPriority: false })] }] },
      { script: [{ atUs: 0, msgs: [dataRequest(macFrame(2, 0xffff, 2, payload(30)), { highPriority: true })] }] },
      {},
    ]);
    const s = medium.stats();
    assert.equal(s.lost.collision, 0);
    assert.deepEqual(
      fakes[2]!.indications.map((i) => i.frame[2]),
      [2, 1],
    );
    // C at 100 m from B: 110 - 10 - 5 = 95 dBuV over 30: SNR 65 dB, LQI saturates at 255.
    assert.deepEqual(
      fakes[2]!.indications.map((i) => i.lqi),
      [255, 255],
    );
  });

  it("passes a unicast frame only to its destination's host (address filter), broadcasts to all", async () => {
    const addr = (short: number) => ({ atUs: 0, msgs: [{ type: MsgType.SET_ADDRESS, panId: 1, shortAddr: short } as const] });
    const { medium, fakes } = await simRun({ topology: line([0, 100, 200]), seed: 4 }, [
      {
        script: [
          addr(1),
          { atUs: 1000, msgs: [dataRequest(macFrame(1, 2, 1, payload(20)), { ackRequested: true, dst: 2n })] },
          { atUs: 500_000, msgs: [dataRequest(macFrame(2, 0xffff, 1, payload(20)), { dst: 0xffffn })] },
        ],
      },
      { script: [addr(2)] },
      { script: [addr(3)] },
    ]);
    const s = medium.stats();
    assert.deepEqual(
      fakes[1]!.indications.map((i) => i.frame[2]),
      [1, 2],
    );
    assert.deepEqual(
      fakes[2]!.indications.map((i) => i.frame[2]),
      [2],
      'C heard the unicast to B, its modem kept it',
    );
    assert.equal(s.filtered, 1);
    assert.equal(s.perNode[hex(3).slice(2)]!.filtered, 1);
    assert.deepEqual(
      fakes[0]!.confirms.map((c) => c.status),
      [MacStatus.SUCCESS, MacStatus.SUCCESS],
    );
  });

  it('does not pass a transformer: blocked, then NO_ACK', async () => {
    const { medium, fakes } = await simRun({ topology: line([0, 10], {}, ['T1', 'T2']), seed: 2 }, [
      { script: [{ atUs: 0, msgs: [dataRequest(macFrame(1, 2, 1, payload(20)), { ackRequested: true, dst: 2n })] }] },
      { script: [{ atUs: 0, msgs: [{ type: MsgType.SET_ADDRESS, panId: 1, shortAddr: 2 }] }] },
    ]);
    const s = medium.stats();
    assert.equal(fakes[1]!.indications.length, 0);
    assert.equal(s.lost.blocked, 6);
    assert.equal(s.delivered, 0);
    assert.deepEqual(
      fakes[0]!.confirms.map((c) => [c.status, c.retries]),
      [[MacStatus.NO_ACK, 5]],
    );
  });

  it('loses a frame in a noise burst at the receiver, counted as SNR', async () => {
    const topo = line([0, 1000], { noiseBursts: [{ startMs: 0, durationMs: 100, levelDbuv: 62, nodes: [hex(2)] }] });
    const { medium, fakes } = await simRun({ topology: topo, seed: 2 }, [
      {
        script: [
          { atUs: 0, msgs: [dataRequest(payload(20))] },
          { atUs: 200_000, msgs: [dataRequest(payload(20))] },
        ],
      },
      {},
    ]);
    const s = medium.stats();
    assert.equal(s.lost.snr, 1);
    assert.equal(fakes[1]!.indications.length, 1);
  });

  it('is deterministic: same seed, same pcap bytes; another seed, other bytes', async () => {
    async function run(seed: number, file: string): Promise<Uint8Array> {
      const prng = new Prng(1234); // the traffic itself is fixed
      const specs: FakeNodeOptions[] = [];
      for (let i = 0; i < 6; i++) {
        const script = [{ atUs: 0, msgs: [{ type: MsgType.SET_ADDRESS, panId: 0x781d, shortAddr: i + 1 } as const] }];
        for (let k = 0; k < 4; k++) {
          const dst = i === 0 ? 2 + prng.int(5) : 1;
          script.push({
            atUs: 1000 * prng.int(400),
            msgs: [
              dataRequest(macFrame(k, dst, i + 1, payload(10 + prng.int(80), k)), {
                handle: k,
                ackRequested: true,
                dst: BigInt(dst),
                modulation: prng.int(4),
              }) as never,
            ],
          });
        }
        specs.push({ script });
      }
      const topo = line([0, 200, 400, 600, 800, 1000], { randomLoss: 0.2 });
      await simRun({ topology: topo, seed, pcap: file }, specs);
      for (const n of nodes.splice(0)) n.close();
      await media.splice(0)[0]!.close();
      return new Uint8Array(readFileSync(file));
    }
    const a = await run(7, join(dir, 'a.pcap'));
    const b = await run(7, join(dir, 'b.pcap'));
    const c = await run(8, join(dir, 'c.pcap'));
    assert.ok(a.length > 24 + 24 * 16);
    const same = (x: Uint8Array, y: Uint8Array): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
    assert.ok(same(a, b), 'same seed must give identical pcap bytes');
    assert.ok(!same(a, c), 'another seed should give another run');
  });

  it('counts garbage on a port as drops and keeps serving', async () => {
    const { medium, path } = await start({ seed: 1 });
    const a = new FakeNode(1n, { kind: NodeKind.BOARD });
    const b = new FakeNode(2n, { kind: NodeKind.BOARD });
    nodes.push(a, b);
    await b.connect(path);
    await a.connect(path, false);
    a.raw(new Uint8Array([0x00, 0xff, 0x7e, 0x7e, 0x01, 0x02, 0x03]));
    a.send({ type: MsgType.HELLO, version: 1, kind: NodeKind.BOARD, eui64: 1n });
    await a.waitFor((m) => m.type === MsgType.READY);
    // A corrupted request (bad CRC), a modem->node message sent by a node, then a good one.
    const bad = encode(dataRequest(payload(10)));
    bad[bad.length - 1]! ^= 0xff;
    a.raw(bad);
    a.send({ type: MsgType.TIME, now: 5n });
    a.send(dataRequest(payload(12, 0x11)));
    await b.waitFor((m) => m.type === MsgType.DATA_INDICATION);
    // A stranger that only ever sends noise.
    const noise = net.connect(path);
    await once(noise, 'connect');
    const rng = new Prng(5);
    const junk = new Uint8Array(20_000);
    for (let i = 0; i < junk.length; i++) junk[i] = rng.int(256);
    noise.write(junk);
    await new Promise((r) => setTimeout(r, 100));
    const s = medium.stats();
    noise.destroy();
    assert.equal(b.indications.length, 1);
    assert.ok(s.port.droppedBytes >= 7 + 20_000 - 2000, `dropped ${s.port.droppedBytes}`);
    assert.ok(s.port.droppedFrames >= 1);
    assert.ok(s.port.ignored >= 1);
    assert.equal(s.requests, 1);
  });

  it('enforces max nodes and max pending frames per node', async () => {
    const { medium, path } = await start({ maxNodes: 2, maxPendingPerNode: 2 });
    const a = new FakeNode(1n, { kind: NodeKind.BOARD });
    const b = new FakeNode(2n, { kind: NodeKind.BOARD });
    const c = new FakeNode(3n, { kind: NodeKind.BOARD });
    nodes.push(a, b, c);
    await a.connect(path);
    await b.connect(path);
    const refused = await c.connect(path);
    assert.equal(refused.type, MsgType.ERROR);
    assert.equal(refused.type === MsgType.ERROR && refused.code, PortError.TOO_MANY_NODES);
    for (let h = 1; h <= 4; h++) a.send(dataRequest(payload(10), { handle: h, modulation: Modulation.D8PSK }));
    await a.waitFor(() => a.confirms.length === 4);
    const byHandle = new Map(a.confirms.map((c) => [c.handle, c.status]));
    assert.deepEqual([...byHandle.entries()].sort(), [
      [1, MacStatus.SUCCESS],
      [2, MacStatus.SUCCESS],
      [3, MacStatus.TRANSACTION_OVERFLOW],
      [4, MacStatus.TRANSACTION_OVERFLOW],
    ]);
    const s = medium.stats();
    assert.equal(s.queueFull, 2);
    assert.equal(s.port.refused, 1);
    // Too long for ROBO, and a bad modulation, are refused at once.
    a.send(dataRequest(payload(200), { handle: 9, modulation: Modulation.ROBO }));
    a.send(dataRequest(payload(10), { handle: 10, modulation: 9 }));
    await a.waitFor(() => a.confirms.length === 6);
    assert.deepEqual(
      a.confirms.slice(4).map((c) => c.status),
      [MacStatus.FRAME_TOO_LONG, MacStatus.INVALID_PARAMETER],
    );
  });

  it('runs 150 lin nodes faster than real time on the sim clock', async () => {
    const prng = new Prng(77);
    const specs: FakeNodeOptions[] = [];
    for (let i = 0; i < 150; i++) {
      specs.push({ script: [{ atUs: prng.int(20_000_000), msgs: [dataRequest(payload(40), { modulation: Modulation.D8PSK })] }] });
    }
    const t0 = performance.now();
    const positions = specs.map((_, i) => (i % 10) * 50);
    const { medium } = await simRun({ topology: line(positions), seed: 1 }, specs);
    const wallMs = performance.now() - t0;
    const s = medium.stats();
    assert.equal(s.framesSent, 150);
    assert.equal(s.confirms.SUCCESS, 150);
    assert.ok(medium.time > 15_000_000);
    assert.ok(wallMs < medium.time / 1000, `wall ${wallMs} ms for ${medium.time / 1000} ms simulated`);
    assert.equal(s.delivered + s.lost.collision + s.lost.snr + s.lost.attenuation, 150 * 149);
  });

  it('refuses board nodes on the sim clock and duplicate EUI-64s', async () => {
    const { path } = await start({ simClock: true, expectNodes: 5 });
    const a = new FakeNode(1n, { kind: NodeKind.BOARD });
    const b = new FakeNode(2n);
    const c = new FakeNode(2n);
    nodes.push(a, b, c);
    const ra = await a.connect(path);
    assert.equal(ra.type === MsgType.ERROR && ra.code, PortError.NOT_SUPPORTED);
    assert.equal((await b.connect(path)).type, MsgType.READY);
    const rc = await c.connect(path);
    assert.equal(rc.type === MsgType.ERROR && rc.code, PortError.DUPLICATE_NODE);
    assert.equal(AddrMode.SHORT, 2);
  });
});
