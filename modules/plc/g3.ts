// The G3-PLC stack running in the firmware: the netstack (upper MAC, ADP, LOADng) over the modem
// driver, bootstrap (LBP device and agent on a meter, LBP server on the concentrator), ICMPv6
// echo, and the PLC shell commands. Loaded by main.ts only where the manifest runs the stack.
import type { RunServiceFn } from '../generic/services.js';
import type { ModemMessage, PlcModemDriver } from '../generic/plcmodem.js';
import type { ShellPrint } from '../generic/shell.js';
import { G3Node } from './netstack.js';
import type { MacTx } from './mac.js';
import type { MacAddr } from './mac-frame.js';
import { LbpDevice, LbpServer, decodeLbp, fromServer, type LbsOutput } from './lbp.js';
import { buildEcho, linkLocalFromLink, parseEcho } from './iphc.js';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, IPV6_HEADER_LENGTH, NEXT_HEADER_ICMPV6 } from './adp-const.js';
import { bytesEqual, hex4, toHex } from './bytes.js';
import { DecodeError, NeedMoreData } from './errors.js';
import { parseProvisioning, type Provisioning } from './provision.js';
import { plcCrypto, seededRandom, type CryptoDriver } from './native-crypto.js';
import type { PlcCrypto, RandomSource } from './crypto.js';
import type { MacFrameDriver } from '../generic/macframe.js';
import { NativeMacCodec } from './mac-native.js';
import { frameCounterStore, type FrameCounterStore } from './fc-store.js';

export interface PlcConfig {
  role: 'meter' | 'concentrator';
  stack: boolean;
  maxDevices: number;
  maxNeighbours: number;
  maxRoutes: number;
  /** 6LoWPAN datagrams reassembled at once (default ADP_DEFAULT_MAX_REASSEMBLIES). */
  maxReassemblies?: number;
  /** LBS (concentrator): half-open JOININGs kept at once and how long; DECLINE token bucket (docs/lbp-flood.md). */
  lbpMaxHalfOpen?: number;
  lbpHalfOpenTimeoutMs?: number;
  lbpDeclineBurst?: number;
  lbpDeclineRefillMs?: number;
}

const COORDINATOR = 0x0000;
const SHORT_NONE = 0xfffe;
const BROADCAST = 0xffff;
/** Housekeeping (table ageing, expiries) at least this often; deadlines get their own wake-up. */
const HOUSEKEEPING_MS = 1000;
/** How long a meter listens for beacons, and the concentrator for other PANs. */
const SCAN_MS = 2500;
const BACKOFF_MIN_MS = 2000;
const BACKOFF_MAX_MS = 120000;
const PING_TIMEOUT_MS = 8000;
/** A join that has not ended by then is abandoned (backoff, then discovery again). */
const JOIN_TIMEOUT_MS = 20000;
/** A meter starts its first discovery at a random time within this after the modem is ready. */
const START_SPREAD_MS = 5000;
/** Beacon answers are spread over this (less than a discovery's SCAN_MS). */
const BEACON_SPREAD_MS = 1500;
/** Join attempts through the agents one discovery found before discovering again. */
const REJOINS_PER_DISCOVERY = 3;
const PING_BYTES = 32;
const REKEY_TIMEOUT_MS = 60000;
/** Largest MPDU sent in ROBO: G.9903 CENELEC-A allows about 130 octets in 252 ROBO symbols. */
const ROBO_MAX_MPDU = 120;
const MODULATIONS = ['ROBO', 'DBPSK', 'DQPSK', 'D8PSK'] as const;

type Phase = 'idle' | 'scan' | 'discover' | 'joining' | 'joined' | 'backoff' | 'coordinator';

interface Ping {
  dst: number;
  count: number;
  seq: number;
  sent: number;
  received: number;
  started: number;
  id: number;
  print: ShellPrint;
}

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
  readonly lbd: LbpDevice | null = null;
  readonly lbs: LbpServer | null = null;
  /** The MAC frame counter's reserved bound in the PLC NVRAM area. */
  readonly fc: FrameCounterStore;
  phase: Phase = 'idle';
  /** Called when the node enters or leaves a PAN (formed, joined, left): ADP indicates it at once. */
  onNetworkChange?: () => void;
  private until = 0;
  private backoffMs = BACKOFF_MIN_MS;
  private heardPans = new Set<number>();
  private readonly crypto: PlcCrypto;
  private readonly random: RandomSource;
  private ping: Ping | null = null;
  private pingId = 0;
  private rekeyUntil = -1;
  // The LBS keeps its GMKs private; the coordinator's MAC learns each one when it is created.
  private readonly gmks: (Uint8Array | null)[] = [null, null];
  readonly counters = {
    errors: 0,
    lbpMalformed: 0,
    lbpSpoofed: 0,
    lbpUnsecured: 0,
    relayedUp: 0,
    relayedDown: 0,
    joins: 0,
    joinFailures: 0,
    left: 0,
    kicked: 0,
    confirmOk: 0,
    confirmNoAck: 0,
    confirmChannel: 0,
    confirmOther: 0,
    modemErrors: 0,
    times: 0,
  };
  private readonly failures = new Map<string, number>();
  private timer = -1;
  private beaconDue = -1;
  /** Join attempts since the last discovery. */
  private rejoins = 0;

  constructor(
    private readonly rs: RunServiceFn,
    private readonly cfg: PlcConfig,
    private readonly prov: Provisioning,
    private readonly modem: PlcModemDriver,
    cryptoDriver: CryptoDriver,
    macDriver: MacFrameDriver,
  ) {
    this.crypto = plcCrypto(cryptoDriver);
    this.random = seededRandom(cryptoDriver, prov.seed, () => rs('misc.random'));
    const now = (): number => rs('misc.uptime');
    const trace = (line: string): void => this.trace(line);
    this.node = new G3Node({
      eui64: prov.eui64,
      crypto: this.crypto,
      now,
      panId: BROADCAST,
      trace,
      shortAddress: cfg.role === 'concentrator' ? COORDINATOR : SHORT_NONE,
      send: (tx) => this.transmit(tx),
      maxAdpFrame: 100,
      macCodec: new NativeMacCodec(macDriver),
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
    this.node.onLbp = (from, body, secured) => this.onLbp(from, body, secured);
    this.node.onIpv6 = (p) => this.onIpv6(p);
    this.node.mac.onBeaconRequest = () => this.onBeaconRequest();
    this.node.mac.onBeacon = (b) => {
      if (this.phase === 'scan') this.heardPans.add(b.panId);
      else if (this.phase === 'discover') this.lbd?.beacon({ panId: b.panId, agent: b.src, lqi: b.lqi, rcCoord: b.rcCoord });
    };
    if (cfg.role === 'concentrator') {
      const gmk = this.random(16);
      this.gmks[0] = gmk.slice();
      const lbs = new LbpServer({
        crypto: this.crypto,
        random: this.random,
        now,
        idS: prov.eui64,
        trace,
        maxDevices: cfg.maxDevices,
        gmk,
        gmkIndex: 0,
        maxList: cfg.maxDevices,
        maxHalfOpen: cfg.lbpMaxHalfOpen,
        halfOpenTimeoutMs: cfg.lbpHalfOpenTimeoutMs,
        declineBurst: cfg.lbpDeclineBurst,
        declineRefillMs: cfg.lbpDeclineRefillMs,
        pskFor: (eui) => {
          const d = prov.devices.get(toHex(eui));
          return d && !d.denied ? d.psk : null;
        },
      });
      for (const d of prov.devices.values()) {
        if (d.denied) lbs.deny(d.eui64);
        else if (prov.listedOnly) lbs.allow(d.eui64);
      }
      lbs.whitelistOnly = prov.listedOnly;
      this.lbs = lbs;
    } else {
      const lbd = new LbpDevice({
        eui64: prov.eui64,
        psk: prov.psk,
        crypto: this.crypto,
        random: this.random,
        now,
        trace,
        joinTimeoutMs: JOIN_TIMEOUT_MS,
      });
      lbd.hooks.setGmk = (i, k) => this.node.mac.setKey(i, k);
      lbd.hooks.activateGmk = (i) => this.node.mac.activateKey(i);
      lbd.hooks.joined = (r) => this.joined(r.panId, r.shortAddress, r.gmkIndex);
      lbd.hooks.left = (why) => this.left(why);
      this.lbd = lbd;
    }
  }

  // ---- plumbing ----

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

  /** Modulation for a frame: the neighbour's link quality decides, ROBO for broadcast. */
  private modulation(dst: MacAddr, length: number): number {
    let m = 0;
    if (typeof dst === 'number' && dst !== BROADCAST) {
      const n = this.node.mac.neighbours.get(dst);
      if (n) {
        const snr = n.lqi / 4 - 10;
        m = snr >= 17 ? 3 : snr >= 13 ? 2 : snr >= 8 ? 1 : 0;
      }
    }
    return m === 0 && length > ROBO_MAX_MPDU ? 1 : m;
  }

  private transmit(tx: MacTx): void {
    const dst = new Uint8Array(8);
    let mode = 0;
    if (typeof tx.dst === 'number') {
      mode = 2;
      dst[6] = (tx.dst >> 8) & 0xff;
      dst[7] = tx.dst & 0xff;
    } else if (tx.dst instanceof Uint8Array) {
      mode = 3;
      dst.set(tx.dst);
    }
    this.modem.request({
      handle: tx.handle,
      modulation: this.modulation(tx.dst, tx.frame.length),
      toneMap: 0x3f,
      flags: tx.ackRequest ? 1 : 0,
      dstMode: mode,
      dst,
      frame: tx.frame,
    });
  }

  start(): void {
    this.modem.open(this.prov.eui64, (m) => {
      try {
        this.onModem(m);
      } catch (e) {
        this.counters.errors++;
        this.rs('trace', 1, `stack error: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.schedule();
    });
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
    if (this.phase === 'scan' || this.phase === 'discover' || this.phase === 'backoff') next = Math.min(next, this.until);
    if (this.phase === 'joining' && this.lbd) next = Math.min(next, this.lbd.nextDeadline());
    if (this.ping) next = Math.min(next, this.ping.started + PING_TIMEOUT_MS);
    if (this.rekeyUntil >= 0) next = Math.min(next, this.rekeyUntil);
    if (this.beaconDue >= 0) next = Math.min(next, this.beaconDue);
    next = Math.min(next, this.node.router.nextDeadline());
    if (this.lbs) next = Math.min(next, this.lbs.nextDeadline());
    this.rs('timer.start', this.timer, Math.max(0, Math.ceil(next - now)));
  }

  private onModem(m: ModemMessage): void {
    switch (m.type) {
      case 'ready':
        if (this.phase === 'idle') {
          this.rs('trace', 3, `modem ready (protocol ${m.version}${m.simClock ? ', sim clock' : ''})`);
          this.begin();
        }
        break;
      case 'indication':
        this.node.indication(m.frame, m.lqi, m.modulation);
        break;
      case 'confirm':
        if (m.status === 0) this.counters.confirmOk++;
        else if (m.status === 0xe9) this.counters.confirmNoAck++;
        else if (m.status === 0xe1) this.counters.confirmChannel++;
        else this.counters.confirmOther++;
        break;
      case 'time':
        this.counters.times++;
        break;
      case 'error':
        this.counters.modemErrors++;
        this.rs('trace', 1, `modem error ${m.code}: ${m.text}`);
        break;
    }
  }

  private begin(): void {
    if (this.cfg.role === 'concentrator') {
      // PAN-id conflict scan: beacon request, then listen for the PANs around.
      this.phase = 'scan';
      this.heardPans.clear();
      this.modem.setAddress(BROADCAST, COORDINATOR);
      this.node.mac.sendBeaconRequest();
      this.until = this.now() + SCAN_MS;
    } else {
      // the first discovery after a random wait: meters powered up together spread out
      this.phase = 'backoff';
      this.until = this.now() + this.jitter(0, START_SPREAD_MS);
    }
  }

  private discover(): void {
    const lbd = this.lbd as LbpDevice;
    this.phase = 'discover';
    this.node.mac.pib.macPANId = BROADCAST;
    this.node.shortAddress = SHORT_NONE;
    this.modem.setAddress(BROADCAST, SHORT_NONE);
    lbd.startDiscovery();
    this.node.mac.sendBeaconRequest();
    this.until = this.now() + this.jitter(SCAN_MS, 1000);
  }

  private formPan(): void {
    let pan = 0;
    for (let i = 0; i < 16; i++) {
      const r = this.random(2);
      pan = (((r[0] as number) << 8) | (r[1] as number)) & 0xfdff; // U/L bit 0 (G3 IID rule)
      if (pan !== 0 && pan !== 0xfdff && !this.heardPans.has(pan)) break;
    }
    const mac = this.node.mac;
    mac.pib.macPANId = pan;
    const lbs = this.lbs as LbpServer;
    // The LBS holds the GMK; the coordinator's MAC uses the same (LBS contentFor sends it).
    mac.setKey(lbs.activeGmkIndex, this.lbsGmk(lbs.activeGmkIndex));
    mac.activateKey(lbs.activeGmkIndex);
    this.modem.setAddress(pan, COORDINATOR);
    this.phase = 'coordinator';
    this.rs('trace', 3, `PAN ${hex4(pan)} formed, ${this.heardPans.size} other PAN(s) heard`);
    this.rs('shell.print', `PLC PAN pan=0x${hex4(pan)} short=0x0000 heard=${this.heardPans.size}\r\n`);
    this.onNetworkChange?.();
  }

  private lbsGmk(i: number): Uint8Array {
    return this.gmks[i] as Uint8Array;
  }

  private backoff(why: string): void {
    this.counters.joinFailures++;
    this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
    this.phase = 'backoff';
    // anywhere in the window, not at its end: meters that failed together (all of them, after
    // a power restoration) must not retry together
    this.until = this.now() + this.jitter(BACKOFF_MIN_MS, this.backoffMs);
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
  }

  private tick(): void {
    try {
      this.node.tick();
      const now = this.now();
      if (this.beaconDue >= 0 && now >= this.beaconDue) {
        this.beaconDue = -1;
        this.sendBeacon();
      }
      const lbd = this.lbd;
      if (this.phase === 'scan' && now >= this.until) this.formPan();
      else if (this.phase === 'discover' && lbd && now >= this.until) this.join(lbd);
      else if (this.phase === 'joining' && lbd) {
        lbd.tick();
        if (lbd.state === 'failed') this.backoff(lbd.failure || 'failed');
      } else if (this.phase === 'backoff' && now >= this.until) {
        // a join that failed is tried again through the agents the last discovery found (the
        // PAN descriptors it gave), a discovery again only every REJOINS_PER_DISCOVERY attempts:
        // a beacon request has every PAN member around answer it
        if (lbd && this.rejoins < REJOINS_PER_DISCOVERY && lbd.candidateCount() > 0) {
          this.rejoins++;
          this.join(lbd);
        } else {
          this.rejoins = 0;
          this.discover();
        }
      }
      if (this.ping && now - this.ping.started >= PING_TIMEOUT_MS) {
        this.ping.print(`PING 0x${hex4(this.ping.dst)} seq=${this.ping.seq} timeout\r\n`);
        this.nextPing();
      }
      if (this.lbs && this.phase === 'coordinator') this.sendLbs(this.lbs.tick());
      if (this.rekeyUntil >= 0 && this.lbs && (this.lbs.rekeyPending() === 0 || now >= this.rekeyUntil)) this.activateRekey();
    } catch (e) {
      this.counters.errors++;
      this.rs('trace', 1, `stack error: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.schedule();
  }

  private join(lbd: LbpDevice): void {
    const j = lbd.join();
    if (!j) {
      this.rejoins = REJOINS_PER_DISCOVERY; // nobody to join through: discover next time
      this.backoff('no agent');
      return;
    }
    this.phase = 'joining';
    this.node.mac.pib.macPANId = j.panId;
    this.modem.setAddress(j.panId, SHORT_NONE);
    this.node.sendLbp(j.to, j.message, false);
  }

  private joined(panId: number, short: number, gmk: number): void {
    this.phase = 'joined';
    this.backoffMs = BACKOFF_MIN_MS;
    this.counters.joins++;
    this.node.shortAddress = short;
    this.node.mac.pib.macPANId = panId;
    this.modem.setAddress(panId, short);
    const a = this.lbd?.agent;
    const agent = a?.agent ?? 0;
    // G3 adpDefaultCoordRouteEnabled: the route to the coordinator is through the bootstrapping
    // agent (whose own route to it exists: it joined before us). Hops: 1 when the agent is the
    // coordinator, else at least 2.
    if (a) this.node.router.setRoute(COORDINATOR, agent, (this.lbd as LbpDevice).score(a), agent === COORDINATOR ? 1 : 2);
    this.rs('shell.print', `PLC JOINED pan=0x${hex4(panId)} short=0x${hex4(short)} agent=0x${hex4(agent)} gmk=${gmk}\r\n`);
    this.onNetworkChange?.();
  }

  private left(why: string): void {
    this.counters.left++;
    if (why === 'kicked') this.counters.kicked++;
    this.rs('shell.print', `PLC LEFT ${why}\r\n`);
    this.rejoins = REJOINS_PER_DISCOVERY; // rediscover: the PAN may have changed
    this.phase = 'backoff';
    this.until = this.now() + this.jitter(BACKOFF_MIN_MS, 1000);
    this.onNetworkChange?.();
  }

  /** Leaves the PAN (KICK from LBD to the coordinator); the node then rejoins after a backoff. */
  leave(): void {
    const lbd = this.lbd;
    if (!lbd || this.phase !== 'joined') throw new Error('not joined');
    this.node.sendLbpRouted(COORDINATOR, lbd.leave());
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

  // ---- bootstrap traffic ----

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
      if (this.lbs && this.phase === 'coordinator') {
        const via = typeof from === 'number' && secured ? from : COORDINATOR;
        const before = this.lbs.counters.joined;
        this.sendLbs(this.lbs.input(via, body));
        if (this.lbs.counters.joined > before) {
          const d = this.lbs.devices.get(toHex(m.lbd));
          if (d) this.rs('shell.print', `PLC DEVICE JOINED eui=${toHex(d.eui64)} short=0x${hex4(d.shortAddress)}\r\n`);
        }
      } else if (this.phase === 'joined' && !secured) {
        // agent: a one-hop LBD's message goes to the LBS through the mesh, secured
        this.counters.relayedUp++;
        this.node.sendLbpRouted(COORDINATOR, body);
      }
      return;
    }
    // T=1: from the LBS
    if (bytesEqual(m.lbd, self)) {
      const lbd = this.lbd;
      if (!lbd) return;
      if (!secured && this.phase !== 'joining') {
        this.counters.lbpUnsecured++;
        this.trace(`lbp: drop unsecured server message while ${this.phase}`);
        return;
      }
      const wasJoining = this.phase === 'joining';
      const reply = lbd.input(body);
      if (reply) {
        if (wasJoining && lbd.agent) this.node.sendLbp(lbd.agent.agent, reply, false);
        else this.node.sendLbpRouted(COORDINATOR, reply);
      }
      if (wasJoining && lbd.state === 'failed') this.backoff(lbd.failure || 'failed');
    } else if (this.phase === 'joined' && secured) {
      // agent: the LBS answers a device we relay for, by its extended address, unsecured
      this.counters.relayedDown++;
      this.node.sendLbp(m.lbd, body, false);
    }
  }

  private sendLbs(outs: LbsOutput[]): void {
    for (const o of outs) {
      if (o.to === COORDINATOR) {
        // the LBD is our own neighbour: answer it directly by its extended address
        const m = decodeLbp(o.message);
        this.node.sendLbp(m.lbd, o.message, false);
      } else this.node.sendLbpRouted(o.to, o.message);
    }
  }

  // ---- ICMPv6 echo ----

  private selfAddress(): Uint8Array {
    return linkLocalFromLink(this.node.shortAddress, this.node.mac.pib.macPANId);
  }

  private onIpv6(p: Uint8Array): void {
    const ping = this.ping;
    if (!ping || p.length <= IPV6_HEADER_LENGTH || p[6] !== NEXT_HEADER_ICMPV6 || p[IPV6_HEADER_LENGTH] !== ICMPV6_ECHO_REPLY) return;
    let e: ReturnType<typeof parseEcho>['echo'];
    try {
      e = parseEcho(p).echo;
    } catch (err) {
      if (err instanceof DecodeError || err instanceof NeedMoreData) return;
      throw err;
    }
    if (e.identifier !== ping.id || e.sequence !== ping.seq) return;
    ping.received++;
    ping.print(`PING 0x${hex4(ping.dst)} seq=${ping.seq} bytes=${e.data.length} time=${this.now() - ping.started} ms\r\n`);
    this.nextPing();
  }

  startPing(dst: number, count: number, print: ShellPrint): void {
    if (this.ping) throw new Error('a ping is running');
    if (this.phase !== 'joined' && this.phase !== 'coordinator') throw new Error('not in a PAN');
    if (!(dst >= 0 && dst < SHORT_NONE) || dst === this.node.shortAddress) throw new RangeError('short address 0..0xFFFD, not our own');
    if (!(count >= 1 && count <= 100)) throw new RangeError('count 1..100');
    this.pingId = (this.pingId + 1) & 0xffff;
    this.ping = { dst, count, seq: 0, sent: 0, received: 0, started: 0, id: this.pingId, print };
    this.nextPing();
    this.schedule();
  }

  private nextPing(): void {
    const p = this.ping;
    if (!p) return;
    if (p.sent >= p.count) {
      p.print(`PING 0x${hex4(p.dst)} sent=${p.sent} received=${p.received}\r\n`);
      this.ping = null;
      return;
    }
    p.seq++;
    p.sent++;
    p.started = this.now();
    const data = new Uint8Array(PING_BYTES);
    for (let i = 0; i < data.length; i++) data[i] = i;
    const dst = linkLocalFromLink(p.dst, this.node.mac.pib.macPANId);
    this.node.sendIpv6(buildEcho(this.selfAddress(), dst, { type: ICMPV6_ECHO_REQUEST, identifier: p.id, sequence: p.seq, data }));
  }

  // ---- concentrator management ----

  kick(short: number, print: ShellPrint): void {
    const lbs = this.lbs;
    if (!lbs) throw new Error('concentrator only');
    let eui: Uint8Array | null = null;
    for (const d of lbs.devices.values()) if (d.shortAddress === short) eui = d.eui64;
    if (!eui) throw new RangeError(`no device 0x${hex4(short)}`);
    this.sendLbs(lbs.kick(eui));
    print(`KICKED eui=${toHex(eui)} short=0x${hex4(short)}\r\n`);
  }

  rekey(print: ShellPrint): void {
    const lbs = this.lbs;
    if (!lbs || this.phase !== 'coordinator') throw new Error('concentrator only, once the PAN is formed');
    if (this.rekeyUntil >= 0) throw new Error('a rekey is running');
    const gmk = this.random(16);
    const slot = lbs.activeGmkIndex ^ 1;
    this.gmks[slot] = gmk;
    const outs = lbs.startRekey(gmk);
    this.node.mac.setKey(slot, gmk);
    this.sendLbs(outs);
    this.rekeyUntil = this.now() + REKEY_TIMEOUT_MS;
    this.schedule();
    print(`REKEY started gmk=${slot} devices=${outs.length}\r\n`);
  }

  private activateRekey(): void {
    const lbs = this.lbs as LbpServer;
    const pending = lbs.rekeyPending();
    this.rekeyUntil = -1;
    const outs = lbs.activateRekey();
    this.node.mac.activateKey(lbs.activeGmkIndex);
    this.sendLbs(outs);
    this.rs('shell.print', `PLC REKEY activated gmk=${lbs.activeGmkIndex} devices=${outs.length} missed=${pending}\r\n`);
  }

  // ---- shell output ----

  neighbours(out: ShellPrint): void {
    const now = this.now();
    let text = '';
    for (const n of this.node.mac.neighbours.values()) {
      text += `NEIGHBOUR 0x${hex4(n.shortAddress)} lqi=${n.lqi} mod=${MODULATIONS[n.modulation] ?? n.modulation} age.ms=${now - n.lastSeen}\r\n`;
    }
    out(`${text}neighbours=${this.node.mac.neighbours.size}\r\n`);
  }

  routes(out: ShellPrint): void {
    const now = this.now();
    let text = '';
    let n = 0;
    for (const r of this.node.router.routes.values()) {
      if (r.validUntil <= now) continue;
      n++;
      text += `ROUTE 0x${hex4(r.destination)} via=0x${hex4(r.nextHop)} cost=${r.routeCost} hops=${r.hopCount} valid.ms=${r.validUntil - now}\r\n`;
    }
    out(`${text}routes=${n}\r\n`);
  }

  stats(out: ShellPrint): void {
    const kv = (o: { [k: string]: number }): string =>
      Object.keys(o)
        .map((k) => `${k}=${o[k]}`)
        .join(' ');
    const c = this.counters;
    const mac = this.node.mac;
    let text =
      `state=${this.phase} short=0x${hex4(this.node.shortAddress)} pan=0x${hex4(mac.pib.macPANId)} gmk=${mac.activeKeyIndex} fc=${mac.pib.macFrameCounter}` +
      ` fc.bound=${this.fc.counter.bound} fc.nv=${this.fc.source} fc.writes=${this.fc.counter.writes}\r\n`;
    text += `mac ${kv(mac.stats)} ${kv(mac.drops)}\r\n`;
    text += `adp ${kv(this.node.drops)}\r\n`;
    text += `reassembly ${kv(this.node.reassembler.drops)}\r\n`;
    text += `loadng ${kv(this.node.router.drops)} routes=${this.node.router.routes.size} learned=${this.node.router.stats.learned}\r\n`;
    text += `loadng.sent ${kv(this.node.router.sent)}\r\n`;
    text += `lbp malformed=${c.lbpMalformed} spoofed=${c.lbpSpoofed} unsecured=${c.lbpUnsecured} relayed.up=${c.relayedUp} relayed.down=${c.relayedDown}\r\n`;
    if (this.lbs) text += `lbs ${kv(this.lbs.counters)}\r\n`;
    else {
      let f = '';
      for (const [k, v] of this.failures) f += ` failed.${k.replace(/[^A-Za-z0-9_]+/g, '_')}=${v}`;
      text += `lbd joins=${c.joins} failures=${c.joinFailures} left=${c.left} kicked=${c.kicked}${f}\r\n`;
    }
    const s = this.modem.stats();
    text +=
      `modem frames=${s.frames} sent=${s.sent} droppedBytes=${s.droppedBytes} badCrc=${s.badCrc} badLength=${s.badLength} unknownType=${s.unknownType} uartDropped=${s.uartDropped}` +
      ` confirm.ok=${c.confirmOk} confirm.noAck=${c.confirmNoAck} confirm.channelAccess=${c.confirmChannel} confirm.other=${c.confirmOther} errors=${c.modemErrors}\r\n`;
    out(text + `stack errors=${c.errors}\r\n`);
  }

  devices(out: ShellPrint): void {
    const lbs = this.lbs;
    if (!lbs) throw new Error('concentrator only');
    const now = this.now();
    let text = '';
    for (const d of lbs.devices.values()) {
      text += `DEVICE ${toHex(d.eui64)} short=0x${hex4(d.shortAddress)} state=${d.state} gmk=${d.gmkIndex} via=0x${hex4(d.via)} seen.ms=${now - d.lastSeen}\r\n`;
    }
    out(`${text}devices=${lbs.devices.size} max=${this.cfg.maxDevices} gmk.active=${lbs.activeGmkIndex}\r\n`);
  }
}

/** Reads the provisioning record, builds the stack, registers the PLC shell commands. */
export function startStack(rs: RunServiceFn, cfg: PlcConfig): G3Stack | null {
  const record = (rs('driver.get', 'provision') as { read(): Uint8Array | string }).read();
  if (typeof record === 'string') {
    rs('trace', 2, `PLC stack not started: provisioning ${record}`);
    return null;
  }
  let prov: Provisioning;
  try {
    prov = parseProvisioning(record, cfg.role === 'concentrator' ? cfg.maxDevices : 0);
  } catch (e) {
    rs('trace', 1, `PLC stack not started: provisioning ${e instanceof Error ? e.message : String(e)}`);
    rs('shell.print', `PLC not provisioned: ${e instanceof Error ? e.message : String(e)}\r\n`);
    return null;
  }
  const modem = rs('driver.get', 'plcmodem') as PlcModemDriver;
  const crypto = rs('driver.get', 'plccrypto') as CryptoDriver;
  const g3 = new G3Stack(rs, cfg, prov, modem, crypto, rs('driver.get', 'macframe') as MacFrameDriver);
  const reg = (command: string, params: number | [number, number], help: string, h: (p: number[], out: ShellPrint) => void): void =>
    rs('shell.register', 'PLC', command, params, help, h);
  reg('NEIGHBOURS', 0, '- MAC neighbour table: short address, LQI, modulation, age', (_p, out) => g3.neighbours(out));
  reg('ROUTES', 0, '- LOADng route table: destination, next hop, cost, hops, validity', (_p, out) => g3.routes(out));
  reg('STATS', 0, '- state, frame counts and drop counters by reason, per layer', (_p, out) => g3.stats(out));
  reg('PING', 2, '<short address> <count 1..100> - ICMPv6 echo over the PAN', (p, out) => g3.startPing(p[0]!, p[1]!, out));
  if (cfg.role === 'concentrator') {
    reg('DEVICES', 0, '- device table: EUI-64, short address, state, GMK index', (_p, out) => g3.devices(out));
    reg('KICK', 1, '<short address> - remove a device from the PAN', (p, out) => g3.kick(p[0]!, out));
    reg('REKEY', 0, '- distribute a new GMK to every device, then activate it', (_p, out) => g3.rekey(out));
  } else {
    reg('LEAVE', 0, '- leave the PAN (the meter rejoins after a backoff)', (_p, out) => {
      g3.leave();
      out('PLC LEAVE sent\r\n');
    });
  }
  g3.start();
  return g3;
}
