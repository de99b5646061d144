// The G3-PLC stack running in the firmware, wired: the netstack (upper MAC, ADP, LOADng) over
// the modem (modem-adapter.ts), the MAC frame counter's store, bootstrap traffic dispatched to
// the meter's join state machine (join.ts), the concentrator's LBS (coordinator.ts) or, on an
// agent, relayed by the LBA rule (lbp-device.ts agentRelay), beacons, PING (ping.ts), and one
// timer armed for the earliest deadline. Built by start.ts; its shell commands are shell.ts.
import type { RunServiceFn } from '../generic/services.js';
import type { PlcModemDriver } from 'drivers/plcmodem/plcmodem';
import type { MacFrameDriver, MacRxTxDriver } from 'drivers/macframe/macframe';
import type { PlcCryptoDriver } from 'drivers/crypto/crypto';
import type { ShellPrint } from '../generic/shell.js';
import { G3Node } from './netstack.js';
import type { MacAddr } from './mac-frame.js';
import { decodeLbp, fromServer } from './lbp-codec.js';
import { agentRelay } from './lbp-device.js';
import type { LbpServer } from './lbp-server.js';
import { bytesEqual, hex4, toHex } from './bytes.js';
import { DecodeError, NeedMoreData } from './errors.js';
import type { Provisioning } from './provision.js';
import { plcCrypto, seededRandom } from './native-crypto.js';
import type { PlcCrypto, RandomSource } from './crypto.js';
import { NativeMacCodec } from './mac-native.js';
import { frameCounterStore, type FrameCounterStore } from './fc-store.js';
import { ModemAdapter } from './modem-adapter.js';
import { DeviceJoin } from './join.js';
import { Coordinator } from './coordinator.js';
import { Ping } from './ping.js';
import { BROADCAST, COORDINATOR, SHORT_NONE, type Phase, type PlcConfig, type StackContext } from './stack-context.js';

/** Housekeeping (table ageing, expiries) at least this often; deadlines get their own wake-up. */
const HOUSEKEEPING_MS = 1000;
/** Beacon answers are spread over this (less than a discovery's SCAN_MS). */
const BEACON_SPREAD_MS = 1500;

function safeLbp(body: Uint8Array): ReturnType<typeof decodeLbp> | null {
  try {
    return decodeLbp(body);
  } catch (e) {
    if (e instanceof DecodeError || e instanceof NeedMoreData) return null;
    throw e;
  }
}

export class G3Stack {
  readonly node: G3Node;
  readonly modem: ModemAdapter;
  /** The meter's join state machine (null on the concentrator). */
  readonly join: DeviceJoin | null = null;
  /** The concentrator's PAN and LBS (null on a meter). */
  readonly coordinator: Coordinator | null = null;
  /** The MAC frame counter's reserved bound in the PLC NVRAM area. */
  readonly fc: FrameCounterStore;
  /** Called when the node enters or leaves a PAN (formed, joined, left): ADP indicates it at once. */
  onNetworkChange?: () => void;
  private readonly crypto: PlcCrypto;
  private readonly random: RandomSource;
  private readonly ping: Ping;
  readonly counters = { errors: 0, lbpMalformed: 0, lbpSpoofed: 0, lbpUnsecured: 0, relayedUp: 0, relayedDown: 0 };
  private timer = -1;
  private beaconDue = -1;

  constructor(
    private readonly rs: RunServiceFn,
    readonly cfg: PlcConfig,
    private readonly prov: Provisioning,
    modem: PlcModemDriver,
    cryptoDriver: PlcCryptoDriver,
    macDriver: MacFrameDriver & MacRxTxDriver,
  ) {
    this.crypto = plcCrypto(cryptoDriver);
    this.random = seededRandom(cryptoDriver, prov.seed, () => rs('misc.random'));
    const now = (): number => rs('misc.uptime');
    const trace = (line: string): void => this.trace(line);
    const log = (level: number, line: string): void => rs('trace', level, line);
    const adapter = (this.modem = new ModemAdapter(modem, (s) => this.node.mac.neighbours.get(s)?.lqi, log));
    this.node = new G3Node({
      eui64: prov.eui64,
      crypto: this.crypto,
      now,
      panId: BROADCAST,
      trace,
      shortAddress: cfg.role === 'concentrator' ? COORDINATOR : SHORT_NONE,
      send: (tx) => adapter.transmit(tx),
      maxAdpFrame: 100,
      macCodec: new NativeMacCodec(macDriver),
      // the receive and transmit paths in one native call each (drivers/macframe/macrx.c)
      macRxTx: macDriver,
      // the concentrator's tables hold every device (manifest: bounds per role)
      maxNeighbours: cfg.maxNeighbours,
      maxRoutes: cfg.maxRoutes,
      maxSources: 2 * cfg.maxDevices,
      ...(cfg.maxReassemblies ? { maxReassemblies: cfg.maxReassemblies } : {}),
    });
    // the MAC frame counter restarts above every one used before a reset (fc-store.ts)
    const fc = (this.fc = frameCounterStore(rs, () => new DataView(this.random(4).buffer).getUint32(0)));
    this.node.mac.pib.macFrameCounter = fc.start;
    this.node.mac.reserveFrameCounter = (n) => fc.counter.reserve(n);
    this.ping = new Ping(this.node, now);
    this.node.onLbp = (from, body, secured) => this.onLbp(from, body, secured);
    this.node.onIpv6 = (p) => this.ping.onIpv6(p);
    this.node.mac.onBeaconRequest = () => this.onBeaconRequest();
    this.node.mac.onBeacon = (b) => {
      this.coordinator?.onBeacon(b.panId);
      this.join?.onBeacon(b);
    };
    const x: StackContext = {
      node: this.node,
      modem: adapter,
      random: this.random,
      now,
      jitter: (base, spread) => this.jitter(base, spread),
      trace,
      log,
      print: (text) => rs('shell.print', text),
      networkChanged: () => this.onNetworkChange?.(),
      schedule: () => this.schedule(),
    };
    if (cfg.role === 'concentrator') this.coordinator = new Coordinator(x, prov, cfg, this.crypto);
    else this.join = new DeviceJoin(x, prov, this.crypto);
  }

  /** The concentrator's bootstrap server (null on a meter). */
  get lbs(): LbpServer | null {
    return this.coordinator ? this.coordinator.lbs : null;
  }

  /** Where the node is: joining (meter), forming (concentrator), in a PAN. */
  get phase(): Phase {
    return this.coordinator ? this.coordinator.phase : (this.join as DeviceJoin).phase;
  }

  private trace(line: string): void {
    // refusals and failures are warnings (always counted, printed at the default level)
    const warn = /drop|declin|fail|refus|timeout|kicked|spoof/.test(line) && !/drop notForUs/.test(line);
    this.rs('trace', warn ? 2 : 4, line);
  }

  private now(): number {
    return this.rs('misc.uptime');
  }

  private jitter(base: number, spread: number): number {
    return base + ((this.rs('misc.random') >>> 0) % spread);
  }

  private error(e: unknown): void {
    this.counters.errors++;
    this.rs('trace', 1, `stack error: ${e instanceof Error ? e.message : String(e)}`);
  }

  start(): void {
    this.modem.open(
      this.prov.eui64,
      {
        ready: (version, simClock) => {
          if (this.phase !== 'idle') return;
          this.rs('trace', 3, `modem ready (protocol ${version}${simClock ? ', sim clock' : ''})`);
          this.coordinator?.begin();
          this.join?.begin();
        },
        indication: (frame, lqi, modulation) => this.node.indication(frame, lqi, modulation),
      },
      (e) => this.error(e),
      () => this.schedule(),
    );
    this.timer = this.rs('timer.create', { name: 'G3', period: HOUSEKEEPING_MS, repeat: false, onTimer: () => this.tick() });
    this.schedule();
  }

  /**
   * Arms the G3 timer for the earliest thing due: the end of a scan, discovery or backoff, a
   * join, ping or rekey timeout, a route discovery retry, else housekeeping. A node with nothing
   * pending wakes once a second, not on a fixed fast tick (on the simulated clock every wake-up
   * of every node is a step of the whole network).
   */
  private schedule(): void {
    if (this.timer < 0) return;
    const now = this.now();
    // on a whole-second grid: nodes with nothing pending wake together (one network step)
    let next = (Math.floor(now / HOUSEKEEPING_MS) + 1) * HOUSEKEEPING_MS;
    if (this.join) next = Math.min(next, this.join.deadline());
    next = Math.min(next, this.ping.deadline());
    if (this.coordinator) next = Math.min(next, this.coordinator.deadline());
    if (this.beaconDue >= 0) next = Math.min(next, this.beaconDue);
    next = Math.min(next, this.node.router.nextDeadline());
    this.rs('timer.start', this.timer, Math.max(0, Math.ceil(next - now)));
  }

  private tick(): void {
    try {
      this.node.tick();
      const now = this.now();
      if (this.beaconDue >= 0 && now >= this.beaconDue) {
        this.beaconDue = -1;
        this.sendBeacon();
      }
      this.coordinator?.tick(now);
      this.join?.tick(now);
      this.ping.tick(now);
      this.coordinator?.housekeeping(now);
    } catch (e) {
      this.error(e);
    }
    this.schedule();
  }

  /**
   * A beacon request is answered after a random delay within BEACON_SPREAD_MS (well inside the
   * requester's scan): the answers of all the PAN members that heard it do not collide, and one
   * beacon answers every request heard before it goes out.
   */
  private onBeaconRequest(): void {
    if (this.phase !== 'coordinator' && this.phase !== 'joined') return;
    if (this.beaconDue >= 0) return;
    this.beaconDue = this.now() + this.jitter(0, BEACON_SPREAD_MS);
    this.schedule();
  }

  private sendBeacon(): void {
    if (this.phase === 'coordinator') this.node.mac.sendBeacon(0, true);
    else if (this.phase === 'joined') {
      const r = this.node.router.route(COORDINATOR);
      const n = this.node.mac.neighbours.get(COORDINATOR);
      // RC_COORD: the route cost to the coordinator, or the one-hop link cost when adjacent
      const cost = r ? r.routeCost : n ? 255 - n.lqi : 0x7fff;
      this.node.mac.sendBeacon(Math.min(0xffff, cost), false);
    }
  }

  /**
   * Bootstrap traffic: a device's message (T=0) to the LBS on the concentrator, the LBS's
   * message (T=1) for us to the join state machine, anything else relayed by the agent rule.
   */
  private onLbp(from: MacAddr, body: Uint8Array, secured: boolean): void {
    const m = safeLbp(body);
    if (!m) {
      this.counters.lbpMalformed++;
      this.trace(`lbp: drop malformed message`);
      return;
    }
    const self = this.prov.eui64;
    if (!fromServer(m.code)) {
      // T=0: from a device (LBD), or relayed by an agent (secured, mesh)
      if (!secured && !(from instanceof Uint8Array && bytesEqual(from, m.lbd))) {
        this.counters.lbpSpoofed++;
        this.trace(`lbp: drop spoofed JOINING for ${toHex(m.lbd)}`);
        return;
      }
      if (this.coordinator) {
        if (this.coordinator.phase === 'coordinator') this.coordinator.input(from, secured, body, m.lbd);
        return;
      }
    } else if (bytesEqual(m.lbd, self)) {
      // T=1 for us, from the LBS
      const join = this.join;
      if (!join) return;
      if (!secured && join.phase !== 'joining') {
        this.counters.lbpUnsecured++;
        this.trace(`lbp: drop unsecured server message while ${join.phase}`);
        return;
      }
      join.input(body);
      return;
    }
    if (this.phase !== 'joined') return;
    // agent (LBA): a one-hop LBD's message goes to the LBS through the mesh, secured; the LBS's
    // answer to a device we relay for goes to it by its extended address, unsecured
    const relay = agentRelay(m, self);
    if (relay?.toServer && !secured) {
      this.counters.relayedUp++;
      this.node.sendLbpRouted(COORDINATOR, body);
    } else if (relay && !relay.toServer && secured) {
      this.counters.relayedDown++;
      this.node.sendLbp(relay.lbd, body, false);
    }
  }

  /** PING: ICMPv6 echo to a short address of the PAN (ping.ts). */
  startPing(dst: number, count: number, print: ShellPrint): void {
    this.ping.start(dst, count, print, this.phase === 'joined' || this.phase === 'coordinator');
    this.schedule();
  }

  /** Leaves the PAN (meter); it rejoins after a backoff. */
  leave(): void {
    if (!this.join) throw new Error('not joined');
    this.join.leave();
  }

  kick(short: number, print: ShellPrint): void {
    if (!this.coordinator) throw new Error('concentrator only');
    const eui = this.coordinator.kick(short);
    print(`KICKED eui=${toHex(eui)} short=0x${hex4(short)}\r\n`);
  }

  rekey(print: ShellPrint): void {
    if (!this.coordinator) throw new Error('concentrator only, once the PAN is formed');
    const r = this.coordinator.rekey();
    print(`REKEY started gmk=${r.slot} devices=${r.devices}\r\n`);
  }
}
