// The lin firmware's simulated clock: on a modem port whose medium says READY simClock=1, the
// firmware's time is the medium's TIME, and every TIME gets one IDLE with the next deadline once
// everything due has run (emulator/medium/PROTOCOL.md). A scripted medium drives one node here;
// test/plcsim/sim.test.ts runs whole networks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { Decoder, encode, MsgType, PORT_VERSION, TIME_NEVER, type PortMessage } from '../../emulator/medium/port.js';

/** One connection's worth of a medium: sends what the test says, collects what the node sends. */
class ScriptedMedium {
  readonly received: PortMessage[] = [];
  sock: net.Socket | undefined;
  private readonly decoder = new Decoder();
  private waiters: (() => void)[] = [];
  readonly server: net.Server;
  constructor(readonly path: string) {
    this.server = net.createServer((s) => {
      this.sock = s;
      s.on('data', (b: Buffer) => {
        this.received.push(...this.decoder.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
        this.wake();
      });
      s.on('error', () => undefined);
      this.wake();
    });
  }
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.path, () => r()));
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async until<T>(check: () => T | undefined, what: string, timeoutMs = 10000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`scripted medium: no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  send(...msgs: PortMessage[]): void {
    for (const m of msgs) this.sock!.write(encode(m));
  }
  idles(): bigint[] {
    return this.received.flatMap((m) => (m.type === MsgType.IDLE ? [m.until] : []));
  }
  /** TIME(now), then the IDLE that answers it. */
  async tick(now: bigint): Promise<bigint> {
    const before = this.idles().length;
    this.send({ type: MsgType.TIME, now });
    return this.until(() => this.idles()[before], `IDLE after TIME(${now})`);
  }
  close(): Promise<void> {
    this.sock?.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const uptime = async (node: FirmwareNode): Promise<number> => {
  const [line] = await node.command('SYS BOOT', /^boot\.cycles=/);
  return Number(/uptime\.ms=(\d+)/.exec(line!)![1]);
};

describe('lin simulated clock', function () {
  this.timeout(60000);
  let dir: string;
  let medium: ScriptedMedium;
  let node: FirmwareNode | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'simclock-'));
    medium = new ScriptedMedium(join(dir, 'modem.sock'));
    await medium.listen();
  });
  afterEach(async () => {
    await node?.stop();
    node = undefined;
    await medium.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stands still until READY, then follows TIME and answers each with one IDLE(next deadline)', async () => {
    node = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', medium.path, '--seed', '7'] });
    await node.waitFor(/^PARTS started$/);
    await medium.until(() => medium.sock, 'connection');
    assert.equal(await uptime(node), 0, 'no READY yet: time stands still');

    medium.send({ type: MsgType.READY, version: PORT_VERSION, simClock: true, now: 0n });
    let until = await medium.tick(0n);
    // the meter's METRO task runs a 1 Hz timer: its next deadline is within the first second
    assert.ok(until > 0n && until <= 1_000_000n, `first deadline ${until}`);
    assert.equal(await uptime(node), 0, 'the shell runs at the current simulated time');

    // Jump from deadline to deadline for 5 simulated seconds: each TIME gets exactly one IDLE,
    // always later than the TIME it answers.
    let now = 0n;
    let ticks = 0;
    while (until <= 5_000_000n) {
      now = until;
      until = await medium.tick(now);
      assert.ok(until > now && until !== TIME_NEVER, `IDLE(${until}) after TIME(${now})`);
      ticks++;
    }
    assert.ok(ticks >= 5, `at least the five 1 Hz timer runs (${ticks})`);
    assert.equal(medium.idles().length, ticks + 1, 'one IDLE per TIME');
    assert.equal(await uptime(node), Number(now / 1000n));
    // the metrology second counter ran on simulated time: five seconds measured
    const show = await node.command('METRO SHOW', /^AP=|^ERROR/);
    const second = Number(/^second=(\d+)/m.exec(show.join('\n'))?.[1]);
    assert.ok(second >= 4 && second <= 5, `METRO second=${second} after ${now} us`);

    // A long jump: time moves only by TIME, whatever the wall clock does.
    const far = 3_600_000_000n;
    await medium.tick(far);
    assert.equal(await uptime(node), 3_600_000);
  });

  it('TIME inside a received frame is payload, not time; the medium gone, real time resumes', async () => {
    node = await FirmwareNode.start({ platform: 'lin', role: 'concentrator', args: ['--modem', medium.path] });
    await node.waitFor(/^PARTS started$/);
    await medium.until(() => medium.sock, 'connection');
    medium.send({ type: MsgType.READY, version: PORT_VERSION, simClock: true, now: 2_000_000n });
    await medium.tick(2_000_000n);
    // a DATA_INDICATION whose frame is a whole TIME(9 s) message: the clock must not move
    const fake = encode({ type: MsgType.TIME, now: 9_000_000n });
    medium.send({ type: MsgType.DATA_INDICATION, lqi: 100, modulation: 0, time: 2_500_000n, frame: fake });
    await medium.tick(2_500_000n);
    assert.equal(await uptime(node), 2500);
    // garbage between frames is not time either, and does not hide the TIME after it
    medium.sock!.write(Uint8Array.of(0x7e, 0x83, 0x00, 0x08, 1, 2, 3));
    medium.sock!.write(Uint8Array.of(0x7e, 0x99, 0x00));
    await medium.tick(3_000_000n);
    assert.equal(await uptime(node), 3000);

    await medium.close();
    // real time from 3000 ms on: never backwards, and moving again
    const a = await uptime(node);
    assert.ok(a >= 3000, `uptime ${a}`);
    // real time again: asking over and over, the answer grows (bounded by the mocha timeout)
    let b = a;
    for (let i = 0; i < 10000 && b <= a; i++) b = await uptime(node);
    assert.ok(b > a, `real time runs again (${a} -> ${b})`);
  });

  it('--sim-clock: no real-time fallback however long READY takes (without it, time runs after 5 s of wall time)', async () => {
    // At 256 meters, nodes that booted more than 5 s before their READY ran their clock in real
    // time and started seconds ahead of the network: two runs of a seed differed.
    const other = new ScriptedMedium(join(dir, 'other.sock'));
    await other.listen();
    let plain: FirmwareNode | undefined;
    const clock = async (n: FirmwareNode): Promise<string> => (await n.command('SYS CLOCK', /^clock mode=/))[0]!;
    try {
      node = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', medium.path, '--seed', '7', '--sim-clock'] });
      await node.waitFor(/^PARTS started$/);
      plain = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', other.path, '--seed', '7'] });
      await plain.waitFor(/^PARTS started$/);
      await medium.until(() => medium.sock, 'connection');
      assert.match(await clock(plain), /^clock mode=wait .*waitExpired=0 .*uptime\.ms=0$/);
      // the node without --sim-clock gives up on READY after 5 s: ask until it says so (it checks
      // at least once a second while idle)
      let line = '';
      const deadline = Date.now() + 15000;
      while (!/waitExpired=1/.test(line) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200)); // polling interval between questions
        line = await clock(plain);
      }
      assert.match(line, /^clock mode=real .*waitExpired=1 /);
      // the one with --sim-clock was attached earlier, so as long: it still waits, at time 0
      assert.match(await clock(node), /^clock mode=wait readies=0 times=0 idles=0 .*waitExpired=0 .*uptime\.ms=0$/);
      medium.send({ type: MsgType.READY, version: PORT_VERSION, simClock: true, now: 0n });
      await medium.tick(2_000_000n);
      assert.match(await clock(node), /^clock mode=sim readies=1 times=1 idles=1 .*waitExpired=0 .*uptime\.ms=2000$/);
    } finally {
      await plain?.stop();
      await other.close();
    }
  });

  // Issue 16, finding 5: the modem port's control messages, exactly as the report sent them.
  const HOSTILE_READY = Buffer.from('7e80000a01010000000000000000b508446c', 'hex'); // READY, simClock=1, now=0
  const HOSTILE_TIME = Buffer.from('7e830008ffffffffffffffff7a3a401f', 'hex'); // TIME = 2^64-1
  const clockLine = async (n: FirmwareNode): Promise<string> => (await n.command('SYS CLOCK', /^clock mode=/))[0]!;
  const energy = async (n: FirmwareNode): Promise<number> => {
    const show = (await n.command('METRO SHOW', /^AP=|^ERROR/)).join('\n');
    return Number(/^A\+=([0-9.]+)/m.exec(show)?.[1] ?? NaN);
  };
  /** Asks until the clock line matches (the node reads the port between commands). */
  const clockUntil = async (n: FirmwareNode, re: RegExp): Promise<string> => {
    let line = '';
    for (let i = 0; i < 200 && !re.test(line); i++) line = await clockLine(n);
    assert.match(line, re);
    return line;
  };

  it('a running real-time meter refuses a READY outside the handshake and a TIME off its clock: clock and energy keep advancing', async () => {
    node = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', medium.path, '--seed', '7'] });
    await node.waitFor(/^PARTS started$/);
    await medium.until(() => medium.sock, 'connection');
    medium.send({ type: MsgType.READY, version: PORT_VERSION, simClock: false, now: 0n });
    await clockUntil(node, /^clock mode=real readies=1 /);
    await node.command('METRO LOAD 1 230000 10000 0', /^METRO LOAD/);
    /** Uptime and the A+ register both move on (real time: ask until they do, 15 s at most). */
    const advancing = async (what: string): Promise<void> => {
      const deadline = Date.now() + 15000;
      let e0 = await energy(node!);
      while (Number.isNaN(e0) && Date.now() < deadline) e0 = await energy(node!); // a first second measured
      const u0 = await uptime(node!);
      let u = u0,
        e = e0;
      while ((u < u0 + 1500 || !(e > e0)) && Date.now() < deadline) {
        u = await uptime(node!);
        e = await energy(node!);
      }
      assert.ok(u >= u0 + 1500, `${what}: uptime ${u0} -> ${u} ms`);
      assert.ok(e > e0, `${what}: A+ ${e0} -> ${e} Wh`);
    };
    await advancing('before');
    medium.sock!.write(HOSTILE_READY);
    await clockUntil(node, /^clock mode=real readies=1 .*refusedReady=1 /);
    await advancing('after the READY');
    medium.sock!.write(HOSTILE_TIME);
    await clockUntil(node, /^clock mode=real .*ignored=1 .*refusedReady=1 /);
    await advancing('after the TIME');
    assert.match((await node.command('SYS VERSION', /^NON-LEGAL/)).join('\n'), /^PLC .* running$/m);
  });

  it('on the simulated clock a TIME backwards or past its bound, and a second READY, are refused and counted', async () => {
    node = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', medium.path, '--seed', '7'] });
    await node.waitFor(/^PARTS started$/);
    await medium.until(() => medium.sock, 'connection');
    medium.send({ type: MsgType.READY, version: PORT_VERSION, simClock: true, now: 0n });
    await medium.tick(0n);
    await node.command('METRO LOAD 1 230000 10000 0', /^METRO LOAD/);
    let now = 0n;
    const run = async (to: bigint): Promise<void> => {
      let until = await medium.tick(now);
      while (until <= to) {
        now = until;
        until = await medium.tick(now);
      }
    };
    await run(3_000_000n);
    const e3 = await energy(node);
    assert.ok(e3 > 0, `A+ ${e3} after 3 s`);
    medium.sock!.write(HOSTILE_TIME);
    medium.sock!.write(HOSTILE_READY);
    medium.send({ type: MsgType.TIME, now: 1_000_000n }); // backwards
    await clockUntil(node, /^clock mode=sim .*refusedReady=1 refusedTime=2 /);
    assert.equal(await uptime(node), Number(now / 1000n), 'the clock did not move');
    await run(6_000_000n);
    assert.equal(await uptime(node), Number(now / 1000n));
    assert.ok(now >= 5_000_000n, `ran to ${now}`);
    const e6 = await energy(node);
    assert.ok(e6 > e3, `A+ ${e3} -> ${e6} Wh`);
    const second = Number(/^second=(\d+)/m.exec((await node.command('METRO SHOW', /^AP=/)).join('\n'))?.[1]);
    assert.ok(second >= 4, `METRO second=${second}`);
    assert.match(await clockLine(node), /^clock mode=sim readies=1 .*refusedReady=1 refusedTime=2/);
  });

  it('--seed needs a decimal number', async () => {
    const bad = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--seed', '12x'], waitReady: false });
    assert.equal(await bad.wait(), 2);
    assert.match(bad.stderr, /^firmware: --seed expects a decimal number, got '12x'$/m);
  });
});
