// The meter's join state machine (device side of G.9903 annex E bootstrapping): a first
// discovery at a random time, beacons collected as candidate agents, JOINING through the best
// one, backoff after a failure, rejoin through the same agents before discovering again, and
// leaving (LEAVE, or KICK from the coordinator). The LBP exchange itself, re-keying included,
// is the LbpDevice's (lbp-device.ts).
import type { BeaconNotify } from './mac.js';
import type { PlcCrypto } from './crypto.js';
import { LbpDevice } from './lbp-device.js';
import { hex4 } from './bytes.js';
import type { Provisioning } from './provision.js';
import { COORDINATOR, SCAN_MS, SHORT_NONE, BROADCAST, type StackContext } from './stack-context.js';

const BACKOFF_MIN_MS = 2000;
const BACKOFF_MAX_MS = 120000;
/** A join that has not ended by then is abandoned (backoff, then discovery again). */
const JOIN_TIMEOUT_MS = 20000;
/** A meter starts its first discovery at a random time within this after the modem is ready. */
const START_SPREAD_MS = 5000;
/** Join attempts through the agents one discovery found before discovering again. */
const REJOINS_PER_DISCOVERY = 3;

export type DevicePhase = 'idle' | 'discover' | 'joining' | 'joined' | 'backoff';

export class DeviceJoin {
  phase: DevicePhase = 'idle';
  readonly lbd: LbpDevice;
  readonly counters = { joins: 0, joinFailures: 0, left: 0, kicked: 0 };
  /** Failed joins by reason (PLC STATS `failed.<reason>`). */
  readonly failures = new Map<string, number>();
  private until = 0;
  private backoffMs = BACKOFF_MIN_MS;
  /** Join attempts since the last discovery. */
  private rejoins = 0;

  constructor(
    private readonly x: StackContext,
    prov: Provisioning,
    crypto: PlcCrypto,
  ) {
    const lbd = new LbpDevice({
      eui64: prov.eui64,
      psk: prov.psk,
      crypto,
      random: x.random,
      now: () => x.now(),
      trace: (line) => x.trace(line),
      joinTimeoutMs: JOIN_TIMEOUT_MS,
    });
    const mac = x.node.mac;
    lbd.hooks.setGmk = (i, k) => mac.setKey(i, k);
    lbd.hooks.activateGmk = (i) => mac.activateKey(i);
    lbd.hooks.joined = (r) => this.joined(r.panId, r.shortAddress, r.gmkIndex);
    lbd.hooks.left = (why) => this.left(why);
    this.lbd = lbd;
  }

  /** The modem is ready: the first discovery after a random wait (meters powered up together spread out). */
  begin(): void {
    this.phase = 'backoff';
    this.until = this.x.now() + this.x.jitter(0, START_SPREAD_MS);
  }

  onBeacon(b: BeaconNotify): void {
    if (this.phase === 'discover') this.lbd.beacon({ panId: b.panId, agent: b.src, lqi: b.lqi, rcCoord: b.rcCoord });
  }

  /** When tick() has something to do (ms), Infinity when nothing is due. */
  deadline(): number {
    if (this.phase === 'discover' || this.phase === 'backoff') return this.until;
    if (this.phase === 'joining') return this.lbd.nextDeadline();
    return Infinity;
  }

  tick(now: number): void {
    const lbd = this.lbd;
    if (this.phase === 'discover' && now >= this.until) this.join();
    else if (this.phase === 'joining') {
      lbd.tick();
      if (lbd.state === 'failed') this.backoff(lbd.failure || 'failed');
    } else if (this.phase === 'backoff' && now >= this.until) {
      // a join that failed is tried again through the agents the last discovery found (the
      // PAN descriptors it gave), a discovery again only every REJOINS_PER_DISCOVERY attempts:
      // each discovery costs a beacon from every PAN member that hears it and answers it
      if (this.rejoins < REJOINS_PER_DISCOVERY && lbd.candidateCount() > 0) {
        this.rejoins++;
        this.join();
      } else {
        this.rejoins = 0;
        this.discover();
      }
    }
  }

  private discover(): void {
    const node = this.x.node;
    this.phase = 'discover';
    node.mac.pib.macPANId = BROADCAST;
    node.shortAddress = SHORT_NONE;
    this.x.modem.setAddress(BROADCAST, SHORT_NONE);
    this.lbd.startDiscovery();
    node.mac.sendBeaconRequest();
    this.until = this.x.now() + this.x.jitter(SCAN_MS, 1000);
  }

  private join(): void {
    const j = this.lbd.join();
    if (!j) {
      this.rejoins = REJOINS_PER_DISCOVERY; // nobody to join through: discover next time
      this.backoff('no agent');
      return;
    }
    this.phase = 'joining';
    this.x.node.mac.pib.macPANId = j.panId;
    this.x.modem.setAddress(j.panId, SHORT_NONE);
    this.x.node.sendLbp(j.to, j.message, false);
  }

  private backoff(why: string): void {
    this.counters.joinFailures++;
    this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
    this.phase = 'backoff';
    // anywhere in the window, not at its end: meters that failed together (all of them, after
    // a power restoration) must not retry together
    this.until = this.x.now() + this.x.jitter(BACKOFF_MIN_MS, this.backoffMs);
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
  }

  private joined(panId: number, short: number, gmk: number): void {
    const node = this.x.node;
    this.phase = 'joined';
    this.backoffMs = BACKOFF_MIN_MS;
    this.counters.joins++;
    node.shortAddress = short;
    node.mac.pib.macPANId = panId;
    this.x.modem.setAddress(panId, short);
    const a = this.lbd.agent;
    const agent = a?.agent ?? 0;
    // G3 adpDefaultCoordRouteEnabled: the route to the coordinator is through the bootstrapping
    // agent (whose own route to it exists: it joined before us). Hops: 1 when the agent is the
    // coordinator, else at least 2.
    if (a) node.router.setRoute(COORDINATOR, agent, this.lbd.score(a), agent === COORDINATOR ? 1 : 2);
    this.x.print(`PLC JOINED pan=0x${hex4(panId)} short=0x${hex4(short)} agent=0x${hex4(agent)} gmk=${gmk}\r\n`);
    this.x.networkChanged();
  }

  private left(why: string): void {
    this.counters.left++;
    if (why === 'kicked') this.counters.kicked++;
    this.x.print(`PLC LEFT ${why}\r\n`);
    this.rejoins = REJOINS_PER_DISCOVERY; // rediscover: the PAN may have changed
    this.phase = 'backoff';
    this.until = this.x.now() + this.x.jitter(BACKOFF_MIN_MS, 1000);
    this.x.networkChanged();
  }

  /** A message from the LBS for us (checked by the stack): the reply goes back the way it came. */
  input(body: Uint8Array): void {
    const lbd = this.lbd;
    const wasJoining = this.phase === 'joining';
    const reply = lbd.input(body);
    if (reply) {
      if (wasJoining && lbd.agent) this.x.node.sendLbp(lbd.agent.agent, reply, false);
      else this.x.node.sendLbpRouted(COORDINATOR, reply);
    }
    if (wasJoining && lbd.state === 'failed') this.backoff(lbd.failure || 'failed');
  }

  /** Leaves the PAN (KICK from LBD to the coordinator); the node then rejoins after a backoff. */
  leave(): void {
    if (this.phase !== 'joined') throw new Error('not joined');
    this.x.node.sendLbpRouted(COORDINATOR, this.lbd.leave());
  }
}
