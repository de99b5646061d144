// NON-LEGAL's IPv6/UDP codec, PLC's ADP data service and NON-LEGAL's TCPIP and APP tasks on the
// real message service (Node): hostile requests to PLC are refused and counted, datagrams
// travel between two stacks joined by a fake ADP link, unknown APP types are counted and dropped.
import assert from 'node:assert/strict';
import { Kernel, type Message } from '../../modules/generic/kernel.js';
import type { RunServiceFn } from '../../modules/generic/services.js';
import {
  X_ADP_REGISTER,
  X_ADP_REGISTER_CONFIRM,
  X_ADP_DATA_REQUEST,
  X_ADP_DATA_CONFIRM,
  X_ADP_DATA_INDICATION,
  X_ADP_DEVICE_REQUEST,
  X_ADP_DEVICE_CONFIRM,
  X_METRO_GET_DATA,
  X_METRO_SET_DATA,
  ADP_SUCCESS,
  ADP_INVALID_REQUEST,
  ADP_NOT_REGISTERED,
  ADP_NO_DEVICE,
} from '../../modules/generic/ids.js';
import { buildUdp, parsePacket, upperLayerChecksum as checksum } from '../../modules/generic/shared/ipv6.js';
import { linkLocalFromLink } from '../../modules/generic/shared/g3-address.js';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, buildEcho, parseEcho } from '../../modules/generic/shared/icmpv6.js';
import { AdpService } from '../../modules/plc/adp-service.js';
import type { G3Stack } from '../../modules/plc/stack.js';
import { ALL_NODES, startTcpip } from '../../modules/nonlegal/net/tcpip.js';
import { startApp, APP_PORT } from '../../modules/nonlegal/app/app.js';

const PAN = 0x1234;

function world() {
  let t = 0;
  const kernel = new Kernel({ now: () => t, wakeAt: () => {} });
  const shell = new Map<string, (p: number[], out: (s: string) => void) => void>();
  const rs = ((name: string, ...a: unknown[]): unknown => {
    switch (name) {
      case 'task.create': {
        const o = a[0] as { name: string; priority: number; queue: number; onMessage: (m: Message) => void };
        return kernel.createTask({ name: o.name, owner: 'x', priority: o.priority, queue: o.queue, handler: o.onMessage });
      }
      case 'task.find':
        return kernel.findTask(a[0] as string);
      case 'msg.send':
        return kernel.send(a[0] as number, a[1] as number, a[2] as number, a[3]);
      case 'timer.create': {
        const o = a[0] as { name: string; period: number; repeat: boolean; onTimer: () => void };
        return kernel.createTimer({ name: o.name, owner: 'x', period: o.period, repeat: o.repeat, callback: o.onTimer });
      }
      case 'timer.start':
        return kernel.startTimer(a[0] as number, a[1] as number | undefined);
      case 'timer.stop':
        return kernel.stopTimer(a[0] as number);
      case 'misc.uptime':
        return t;
      case 'shell.register':
        shell.set(`${a[0]} ${a[1]}`, a[4] as never);
        return undefined;
      case 'trace':
        return undefined;
      default:
        throw new Error(`service ${name}`);
    }
  }) as unknown as RunServiceFn;
  const run = (ms = 0): void => {
    t += ms;
    kernel.tick(t);
    while (kernel.run() > 0);
  };
  return { kernel, rs, shell, run };
}

function fakeStack(short: number) {
  const sent: Uint8Array[] = [];
  const g3 = {
    phase: 'joined',
    lbs: short === 0 ? { devices: new Map([['a', { shortAddress: 7, eui64: new Uint8Array(8).fill(7) }]]) } : null,
    node: {
      shortAddress: short,
      autoEcho: true,
      onIpv6: null as ((p: Uint8Array) => void) | null,
      mac: { pib: { macPANId: PAN }, onData: null as ((i: { lqi: number }) => void) | null },
      sendIpv6: (p: Uint8Array) => {
        sent.push(p);
      },
    },
  };
  return { g3, sent };
}

describe('NON-LEGAL IPv6/UDP codec', () => {
  it('builds UDP that parses back; corrupted, truncated and mislabelled packets get a reason', () => {
    const src = linkLocalFromLink(1, PAN),
      dst = linkLocalFromLink(7, PAN);
    const p = buildUdp(src, dst, APP_PORT, APP_PORT, Uint8Array.of(1, 2, 3));
    const ok = parsePacket(p);
    assert.ok(typeof ok !== 'string');
    assert.deepEqual([...ok.upper.subarray(8)], [1, 2, 3]);
    assert.equal(checksum(src, dst, 17, ok.upper), 0);
    // G3 IID: PAN with the U/L bit cleared, then 00ff:fe00:short
    assert.deepEqual([...linkLocalFromLink(7, 0x0200 | PAN).subarray(8)], [0x10, 0x34, 0, 0xff, 0xfe, 0, 0, 7]);
    const bad = p.slice();
    bad[p.length - 1]! ^= 1;
    assert.equal(parsePacket(bad), 'checksum');
    assert.equal(parsePacket(p.subarray(0, 30)), 'short');
    assert.equal(parsePacket(p.subarray(0, p.length - 1)), 'length');
    const v4 = p.slice();
    v4[0] = 0x45;
    assert.equal(parsePacket(v4), 'version');
    const nh = p.slice();
    nh[6] = 6;
    assert.equal(parsePacket(nh), 'nextHeader');
    const ul = p.slice();
    ul[45] = 99;
    assert.equal(parsePacket(ul), 'udpLength');
  });
});

describe('PLC ADP data service', () => {
  it('serves only the registered task and refuses, counts and confirms every bad request', () => {
    const w = world();
    const { g3, sent } = fakeStack(5);
    const adp = new AdpService(w.rs, g3 as unknown as G3Stack);
    const got: Message[] = [];
    const client = w.kernel.createTask({ name: 'C', owner: 'nonlegal', priority: 4, queue: 32, handler: (m) => got.push(m) });
    const good = buildUdp(linkLocalFromLink(5, PAN), linkLocalFromLink(9, PAN), 1, 2, new Uint8Array(4));
    w.kernel.send(client, adp.task, X_ADP_DATA_REQUEST, { handle: 1, dst: 9, packet: good });
    w.run();
    assert.deepEqual(got.pop()?.payload, { handle: 1, status: ADP_NOT_REGISTERED });
    w.kernel.send(client, adp.task, X_ADP_REGISTER, {});
    w.run();
    const reg = got.pop()!;
    assert.equal(reg.id, X_ADP_REGISTER_CONFIRM);
    assert.deepEqual(reg.payload, { status: ADP_SUCCESS, short: 5, panId: PAN });
    assert.equal(g3.node.autoEcho, false);
    const hostile: [unknown, string][] = [
      ['junk', 'badPayload'],
      [{ handle: 300, dst: 9, packet: good }, 'badHandle'],
      [{ handle: 2, dst: 0x8000, packet: good }, 'badDst'],
      [{ handle: 3, dst: 9, packet: new Uint8Array(2000) }, 'badLength'],
      [{ handle: 4, dst: 9, packet: 'x' }, 'badLength'],
      [{ handle: 5, dst: 9, packet: good.subarray(0, good.length - 1) }, 'badHeader'],
      [{ handle: 6, dst: 9, packet: buildUdp(linkLocalFromLink(6, PAN), linkLocalFromLink(9, PAN), 1, 2, new Uint8Array(4)) }, 'badSource'],
      [{ handle: 7, dst: 8, packet: good }, 'badDestination'],
    ];
    for (const [payload] of hostile) w.kernel.send(client, adp.task, X_ADP_DATA_REQUEST, payload as never);
    w.run();
    for (const [, why] of hostile) assert.equal(adp.refused[why as keyof typeof adp.refused] >= 1, true, why);
    assert.equal(
      got.filter((m) => m.id === X_ADP_DATA_CONFIRM && (m.payload as { status: number }).status === ADP_INVALID_REQUEST).length,
      hostile.length,
    );
    assert.equal(sent.length, 0);
    w.kernel.send(client, adp.task, X_ADP_DATA_REQUEST, { handle: 9, dst: 9, packet: good });
    w.run();
    assert.deepEqual(got.pop()?.payload, { handle: 9, status: ADP_SUCCESS });
    assert.deepEqual(sent[0], good);
    // an impostor cannot take the service over while the client lives
    const other = w.kernel.createTask({ name: 'D', owner: 'nonlegal', priority: 4, queue: 4, handler: (m) => got.push(m) });
    w.kernel.send(other, adp.task, X_ADP_REGISTER, {});
    w.run();
    assert.equal((got.find((m) => m.to === other)?.payload as { status: number } | undefined)?.status, ADP_NOT_REGISTERED);
    // indications: the packet, the source short address from its IID, the LQI
    g3.node.mac.onData?.({ lqi: 77 });
    g3.node.onIpv6?.(buildUdp(linkLocalFromLink(9, PAN), linkLocalFromLink(5, PAN), 2, 1, new Uint8Array(1)));
    w.run();
    const ind = got.find((m) => m.id === X_ADP_DATA_INDICATION)!;
    assert.equal((ind.payload as { src: number; lqi: number }).src, 9);
    assert.equal((ind.payload as { lqi: number }).lqi, 77);
  });

  it('answers device-table requests by index on the coordinator', () => {
    const w = world();
    const { g3 } = fakeStack(0);
    const adp = new AdpService(w.rs, g3 as unknown as G3Stack);
    const got: Message[] = [];
    const c = w.kernel.createTask({ name: 'C', owner: 'nonlegal', priority: 4, queue: 8, handler: (m) => got.push(m) });
    w.kernel.send(c, adp.task, X_ADP_DEVICE_REQUEST, { req: 11, index: 0 });
    w.kernel.send(c, adp.task, X_ADP_DEVICE_REQUEST, { req: 12, index: 1 });
    w.kernel.send(c, adp.task, X_ADP_DEVICE_REQUEST, { req: 13, index: 'x' });
    w.kernel.send(c, adp.task, X_ADP_DEVICE_REQUEST, { index: 0 }); // no request id: cannot be answered
    w.run();
    assert.deepEqual(
      got.map((m) => [m.id, (m.payload as { req: number }).req, (m.payload as { status: number }).status]),
      [
        [X_ADP_DEVICE_CONFIRM, 11, ADP_SUCCESS],
        [X_ADP_DEVICE_CONFIRM, 12, ADP_NO_DEVICE],
        [X_ADP_DEVICE_CONFIRM, 13, ADP_INVALID_REQUEST],
      ],
    );
    assert.equal((got[0]!.payload as { short: number }).short, 7);
    assert.equal(adp.refused.badPayload, 1);
  });
});

describe('NON-LEGAL TCPIP and APP over a fake ADP link', () => {
  it('GET_DATA_STREAM, test datagrams, unknown types, bad checksums, closed ports', () => {
    const w = world();
    const conc = fakeStack(0),
      meter = fakeStack(7);
    // One kernel plays both nodes. TCPIP finds PLC's task by the name ADP, so each side's
    // NON-LEGAL is started while only its own ADP task carries that name.
    const adpC = new AdpService(w.rs, conc.g3 as unknown as G3Stack);
    const tcpC = startTcpip(w.rs);
    const appTaskC = w.kernel.createTask({ name: 'APPC', owner: 'nonlegal', priority: 4, queue: 32, handler: (m) => appC.onMessage(m) });
    const appC = startApp(w.rs, appTaskC, tcpC);
    w.run();
    const shellC = new Map(w.shell);
    w.kernel.deleteTask(adpC.task); // frees the name for the meter's side
    const adpM = new AdpService(w.rs, meter.g3 as unknown as G3Stack);
    const tcpM = startTcpip(w.rs);
    const appTaskM = w.kernel.createTask({ name: 'APPM', owner: 'nonlegal', priority: 4, queue: 32, handler: (m) => appM.onMessage(m) });
    const appM = startApp(w.rs, appTaskM, tcpM);
    // METRO on the meter: records computed from a constant 1000 W
    const metro = w.kernel.createTask({
      name: 'METRO',
      owner: 'legal',
      priority: 6,
      queue: 8,
      handler: (m) => {
        if (m.id !== X_METRO_GET_DATA) return;
        const { req, n } = m.payload as { req: number; n: number };
        const records = Array.from({ length: Math.min(n, 5) }, (_, i) => ({
          time: 1000 * (i + 1),
          p: 1000,
          q: 10,
          s: 1000.05,
          aImp: (1000 * (i + 1)) / 3600,
          aExp: 0,
          rImp: i,
          rExp: 0,
          app: 0,
        }));
        w.kernel.send(metro, m.from, X_METRO_SET_DATA, { req, records });
      },
    });
    w.run();
    assert.ok(tcpM.joined && tcpM.short === 7);
    const link = (): void => {
      // carry what each fake stack sent to the other side's NON-LEGAL as an indication
      for (const [from, tcp] of [
        [conc, tcpM],
        [meter, tcpC],
      ] as const) {
        while (from.sent.length) {
          const p = from.sent.shift()!;
          tcp.input(p, (p[22]! << 8) | p[23]!, false);
        }
      }
    };
    // the coordinator's side gets a new ADP service (its first was deleted) and registers again
    const adpC2 = new AdpService(w.rs, conc.g3 as unknown as G3Stack);
    (tcpC as unknown as { adp: number }).adp = adpC2.task;
    w.kernel.send(tcpC.task, adpC2.task, X_ADP_REGISTER, {});
    w.run();
    const out: string[] = [];
    shellC.get('APP GET_DATA_STREAM')!([3, 7], (s) => out.push(s));
    for (let i = 0; i < 5; i++) {
      w.run();
      link();
    }
    const text = out.join('');
    const lines = text.trim().split('\r\n');
    assert.equal(lines.length, 4, text);
    assert.match(lines[0]!, /^DATA 1 t=1000 P=1000\.0000 Q=10\.0000 A\+=0\.277778 A-=0\.000000 R\+=0\.000000 R-=0\.000000$/);
    assert.match(lines[3]!, /^APP GET_DATA_STREAM meter=0x0007 datasets=3 requested=3 ms=\d+$/);
    out.length = 0;
    shellC.get('APP TEST')!([7, 4, 200], (s) => out.push(s));
    for (let i = 0; i < 12; i++) {
      w.run();
      link();
    }
    assert.match(out.join(''), /^APP TEST meter=0x0007 sent=4 ok=4 bad=0 lost=0 ms=\d+\r\n$/);
    // an unknown type, a bad checksum, a closed port
    const src = linkLocalFromLink(0, PAN),
      dst = linkLocalFromLink(7, PAN);
    tcpM.input(buildUdp(src, dst, APP_PORT, APP_PORT, Uint8Array.of(0x7f, 1)), 0, false);
    const bad = buildUdp(src, dst, APP_PORT, APP_PORT, Uint8Array.of(3, 0, 0, 0, 0));
    bad[48]! ^= 0xff;
    tcpM.input(bad, 0, false);
    tcpM.input(buildUdp(src, dst, 1, 9999, Uint8Array.of(1)), 0, false);
    tcpM.input(buildUdp(src, ALL_NODES, 1, 9999, Uint8Array.of(1)), 0, false);
    w.run();
    assert.equal(appM.counters.unknownType, 1);
    assert.equal(tcpM.drops.checksum, 1);
    assert.equal(tcpM.drops.noPort, 2);
    assert.equal(tcpM.counters.icmpErrorsOut, 1); // none for a multicast destination
    assert.equal(adpM.counters.sent >= 1, true);
    // ICMPv6 echo: answered with the shared echo codec's reply, from the address asked
    meter.sent.length = 0;
    const data = Uint8Array.of(1, 2, 3);
    tcpM.input(buildEcho(src, dst, { type: ICMPV6_ECHO_REQUEST, identifier: 0x1234, sequence: 7, data }), 0, false);
    w.run();
    assert.equal(meter.sent.length, 1);
    const pong = parseEcho(meter.sent[0]!);
    assert.deepEqual(pong.echo, { type: ICMPV6_ECHO_REPLY, identifier: 0x1234, sequence: 7, data });
    assert.deepEqual([pong.ip.src, pong.ip.dst, pong.ip.hopLimit], [dst, src, 64]);
    assert.deepEqual([tcpM.counters.echoIn, tcpM.counters.echoOut], [1, 1]);
  });
});

describe('TCPIP socket table bound from the manifest (parts.nonlegal.tcpipMaxSockets)', () => {
  it('a bind beyond the configured table is refused', () => {
    const w = world();
    const task = w.rs('task.create', { name: 'T', priority: 1, queue: 4, onMessage: () => {} }) as number;
    const ip = startTcpip(w.rs, { maxSockets: 1 });
    ip.bind(100, task);
    assert.throws(() => ip.bind(101, task), /socket table full/);
    const wide = startTcpip(world().rs, { maxSockets: 2 });
    wide.bind(100, task);
    wide.bind(101, task);
  });
});
