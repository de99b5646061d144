// npm run sim: its command line, the generated topology, reproducible runs on the simulated
// clock, and the medium's pcap decoded by Wireshark's tshark.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Channel, parseEui64 } from '../../emulator/medium/channel.js';
import { Medium } from '../../emulator/medium/medium.js';
import { MsgType, AddrMode } from '../../emulator/medium/port.js';
import { generateTopology, parseSimArgs, runSim, UsageError } from '../../emulator/sim.js';
import { compressIphc } from '../../modules/plc/iphc.js';
import { buildEcho } from '../../modules/generic/shared/icmpv6.js';
import { linkLocalFromLink } from '../../modules/generic/shared/g3-address.js';
import { encodeMacFrame } from '../../modules/plc/mac-frame.js';
import { MacFrameType } from '../../modules/plc/mac-const.js';
import { ICMPV6_ECHO_REQUEST } from '../../modules/plc/adp-const.js';
import { FakeNode, dataRequest } from '../medium/fake-node.js';

describe('npm run sim: command line', () => {
  const cases: [string[], RegExp][] = [
    [[], /^sim: --meters is required/],
    [['--meters', '0'], /^sim: --meters expects an integer 1\.\.1000, got '0'/],
    [['--meters', '5', '--board', '6'], /^sim: --board 6 is more than --meters 5/],
    [['--meters', '5', '--until', 'soon'], /^sim: --until expects 'joined' or simulated seconds/],
    [['--meters', '5', '--verbose'], /^sim: unknown option '--verbose'/],
    [['--meters', '5', '--seed'], /^sim: --seed needs a value/],
    [['--meters', '5', '--meters', '6'], /^sim: --meters given twice/],
    [['--meters', '5', '--hours', '0'], /^sim: --hours expects simulated hours/],
    [['--meters', '5', '--hours', '1', '--until', '60'], /^sim: --hours and --until are the same limit/],
    [['--meters', '5', '--soak'], /^sim: --soak runs lin meters for --hours H or --until S/],
    [['--meters', '5', '--hours', '1', '--soak', '--soak'], /^sim: --soak given twice/],
    [['--meters', '5', '--renode', 'two'], /^sim: --renode expects an integer 0\.\.1000, got 'two'/],
    [['--meters', '5', '--renode', '1'], /^sim: --renode: the STM32F405 meter image has no PLC stack .*, so it cannot join;/],
    [['--meters', '5', '--concentrator', 'qemu'], /^sim: --concentrator expects lin, board or renode, got 'qemu'/],
    [['--meters', '5', '--hours', '1', '--soak', '--concentrator', 'renode'], /^sim: --soak runs lin meters for --hours H or --until S/],
  ];
  for (const [args, error] of cases) {
    it(`${args.join(' ') || '(nothing)'}: one line, exit 2`, () => {
      const r = spawnSync('node', ['--import', 'tsx', 'emulator/sim.ts', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, error);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    });
  }
  it('--hours H is H*3600 simulated seconds', () => {
    assert.equal(parseSimArgs(['--meters', '3', '--hours', '1.5']).until, 5400);
  });
  it('parses the documented flags', () => {
    assert.deepEqual(parseSimArgs(['--meters', '12', '--board', '2', '--seed', '9', '--until', '30.5', '--pcap', 'a', '--json', 'b']), {
      meters: 12,
      board: 2,
      seed: 9,
      until: 30.5,
      pcap: 'a',
      json: 'b',
    });
    assert.throws(() => parseSimArgs(['--meters', '1e3']), UsageError);
    assert.deepEqual(parseSimArgs(['--meters', '3', '--renode', '0', '--concentrator', 'renode']), {
      meters: 3,
      board: 0,
      renode: 0,
      concentrator: 'renode',
      seed: 1,
      until: 'joined',
    });
    assert.equal(parseSimArgs(['--meters', '8', '--soak', '--hours', '2']).soak, true);
  });
});

describe('npm run sim: generated topology', () => {
  it('every meter has a path of good links to the concentrator, and far meters need more than one hop', () => {
    const topo = generateTopology(64, 3);
    const ch = new Channel(topo);
    const nodes = topo.nodes!;
    const snr = (a: string, b: string): number => {
      const l = ch.link(parseEui64(a), parseEui64(b));
      return l.blocked ? -Infinity : ch.txLevel(parseEui64(a)) - l.attenuationDb - ch.backgroundNoise(parseEui64(b));
    };
    const conc = nodes[0]!.eui64;
    const hops = new Map<string, number>([[conc, 0]]);
    let frontier = [conc];
    while (frontier.length) {
      const next: string[] = [];
      for (const a of frontier)
        for (const b of nodes) {
          if (!hops.has(b.eui64) && snr(a, b.eui64) >= 6) {
            hops.set(b.eui64, hops.get(a)! + 1);
            next.push(b.eui64);
          }
        }
      frontier = next;
    }
    assert.equal(hops.size, nodes.length, 'all reachable');
    const far = nodes.filter((n) => snr(conc, n.eui64) < ch.params.detectSnrDb);
    assert.ok(far.length > 0, 'some meters cannot hear the concentrator at all');
    assert.ok(Math.max(...hops.values()) >= 2);
    assert.deepEqual(new Set(nodes.slice(1).map((n) => n.phase)), new Set(['L1', 'L2', 'L3']));
  });
});

describe('npm run sim: simulated clock', function () {
  this.timeout(120000);
  it('10 lin meters, twice with the same seed: identical summaries', async () => {
    // meters start discovering within 5 s of READY: by 8 s every node has transmitted
    const o = { meters: 10, board: 0, seed: 5, until: 8 as const };
    const a = await runSim(o, () => undefined);
    const b = await runSim(o, () => undefined);
    assert.equal(a.clock, 'simulated');
    assert.equal(a.stoppedAtS, 8);
    assert.ok(a.frames.sent >= 11, `every node transmitted (${a.frames.sent} frames)`);
    assert.ok(a.pan, 'the concentrator formed its PAN');
    assert.deepEqual(b, a);
  });

  it('256 lin meters, twice with the same seed: identical summaries, every clock simulated from the start', async function () {
    // Booting 257 processes takes seconds of wall time on 2 cores: before lin nodes waited for
    // READY without a wall-time limit (--sim-clock), those not answered within 5 s ran their
    // clock in real time and started ahead of the network, and two runs of this differed.
    this.timeout(180000);
    const o = { meters: 256, board: 0, seed: 1, until: 8 as const };
    const a = await runSim(o, () => undefined);
    const b = await runSim(o, () => undefined);
    assert.equal(a.stoppedAtS, 8);
    assert.ok(a.frames.sent >= 257, `every node transmitted (${a.frames.sent} frames)`);
    assert.deepEqual(a.nodeClocks, { modes: { sim: 257 }, waitExpired: 0, holdOverflow: 0, asleepRequests: 0, reporting: 257 });
    assert.equal(a.plcStats.metersReporting, 256);
    assert.deepEqual(b, a);
  });
});

describe('npm run sim: PAN formation on the simulated clock', function () {
  this.timeout(120000);
  // Before the XS stack was bounds-checked and sized from what the stack needs, the concentrator
  // wrote below its XS stack once meters joined (heap corrupted, then SIGSEGV) and no run
  // reached `joined`.
  it('10 lin meters all join, some through another meter, and every hop chain ends at the concentrator', async () => {
    const s = await runSim({ meters: 10, board: 0, seed: 1, until: 'joined' }, () => undefined);
    assert.equal(s.allJoined, true, JSON.stringify(s.joinTimeS));
    assert.equal(s.joined, 10);
    assert.ok(s.joinTimeS.total! > 0 && s.joinTimeS.total! <= s.stoppedAtS, `${s.joinTimeS.total}`);
    const hops = Object.values(s.hops.perMeter);
    assert.ok(
      hops.every((h) => h !== null && h >= 1),
      JSON.stringify(s.hops),
    );
    assert.ok(s.hops.max >= 2, "the generated topology puts some meters out of the concentrator's reach");
    assert.ok(s.frames.filtered > 0, 'unicast frames for other nodes stop in their modems');
    const stack = s.concentratorXsStack!;
    assert.ok(stack.peak > 384 && stack.peak < stack.slots, `concentrator XS stack ${stack.peak} of ${stack.slots} slots`);
  });
});

describe('medium pcap in tshark', function () {
  this.timeout(60000);
  const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
  let dir: string;
  before(function () {
    if (!tshark) {
      console.log('    (tshark is not installed: apt-get install tshark; tools/setup.mjs does it as root)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'simpcap-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // G3 beacons carry a 2-byte payload (the route cost to the coordinator, G.9903), which
  // Wireshark's ZigBee and Thread beacon dissectors would claim and call malformed: off, as in
  // README (Network simulation)
  const decode = (file: string): string[] =>
    execFileSync(
      'tshark',
      [
        '-r',
        file,
        '--disable-protocol',
        'zbee_beacon',
        '--disable-protocol',
        'zbip_beacon',
        '--disable-protocol',
        'thread_bcn',
        '-o',
        '6lowpan.context0:0000:0000:0000:0000::',
        '-T',
        'fields',
        '-e',
        'frame.protocols',
        '-e',
        '_ws.malformed',
        '-e',
        '_ws.expert.severity',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
      .trim()
      .split('\n');

  it('an ICMPv6 echo between two modems: 802.15.4 + 6LoWPAN + IPv6 + ICMPv6, nothing malformed', async () => {
    const pcap = join(dir, 'echo.pcap');
    const medium = new Medium({ pcap, seed: 1 });
    const sock = join(dir, 'm.sock');
    await medium.listen(sock);
    const a = new FakeNode(0x10n);
    const b = new FakeNode(0x11n);
    try {
      await a.connect(sock);
      await b.connect(sock);
      const pan = 0x781d;
      for (const [n, short] of [
        [a, 1],
        [b, 2],
      ] as const)
        n.send({ type: MsgType.SET_ADDRESS, panId: pan, shortAddr: short });
      const packet = buildEcho(linkLocalFromLink(1, pan), linkLocalFromLink(2, pan), {
        type: ICMPV6_ECHO_REQUEST,
        identifier: 7,
        sequence: 1,
        data: new TextEncoder().encode('meterfw'),
      });
      const c = compressIphc(packet, 1, 2, { panId: pan });
      const payload = new Uint8Array([...c.header, ...packet.subarray(c.consumed)]);
      const frame = encodeMacFrame({ type: MacFrameType.DATA, ackRequest: true, seq: 1, dstPan: pan, dst: 2, src: 1, payload });
      a.send(dataRequest(frame, { dstMode: AddrMode.SHORT, dst: 2n, ackRequested: true }));
      await b.waitFor((m) => m.type === MsgType.DATA_INDICATION);
      await a.waitFor((m) => m.type === MsgType.DATA_CONFIRM);
    } finally {
      a.close();
      b.close();
      await medium.close();
    }
    const rows = decode(pcap);
    const data = rows.filter((r) => r.includes('icmpv6'));
    assert.equal(data.length, 1, rows.join('\n'));
    assert.match(data[0]!, /^eth|wpan.*6lowpan:ipv6:icmpv6/);
    for (const r of rows) assert.doesNotMatch(r, /malformed|\t.*Error/i, r);
  });

  it("a sim run's pcap decodes with nothing malformed", async () => {
    const pcap = join(dir, 'sim.pcap');
    // meters start discovery within their first 5 s: 10 simulated seconds give joins' traffic
    await runSim({ meters: 4, board: 0, seed: 2, until: 10, pcap }, () => undefined);
    const rows = decode(pcap);
    assert.ok(rows.length >= 5, `${rows.length} frames`);
    for (const r of rows) {
      assert.match(r, /^wpan/, r);
      assert.doesNotMatch(r, /malformed/i, r);
    }
  });
});
