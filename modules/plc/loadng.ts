// LOADng (G3 profile): message codecs and the routing logic (route table, RREQ flooding with
// duplicate suppression, RREP, RERR, link cost, mesh forwarding). I/O-free: messages leave
// through `send(nextHop, body)`, time comes from `now`.
import { ByteReader, ByteWriter, hex4 } from './bytes.js';
import { EncodeError } from './errors.js';
import type { Trace } from './crypto.js';
import {
  LOADNG_DEFAULTS,
  LOADNG_FLAG_R,
  LOADNG_FLAG_U,
  LOADNG_MAX_HOPS,
  LOADNG_METRIC_COMPOSITE,
  LOADNG_RERR_NO_ROUTE,
  LoadngType,
  MAX_TONES,
  MOD_KM,
  RERR_LENGTH,
  RLCREP_LENGTH,
  RLCREQ_LENGTH,
  ROUTE_COST_MAX,
  RREQ_LENGTH,
} from './loadng-const.js';

export interface RouteMessage {
  type: LoadngType.RREQ | LoadngType.RREP;
  destination: number;
  originator: number;
  seq: number;
  routeRepair: boolean;
  unicast: boolean;
  metricType: number;
  routeCost: number;
  hopCount: number;
  hopLimit: number;
  weakLinkCount: number;
}

export interface RerrMessage {
  type: LoadngType.RERR;
  destination: number;
  originator: number;
  errorCode: number;
  unreachable: number;
  hopLimit: number;
}

export interface RlcMessage {
  type: LoadngType.RLCREQ | LoadngType.RLCREP;
  destination: number;
  originator: number;
  metricType: number;
  /** RLCREP only. */
  linkCost?: number;
}

export type LoadngMessage = RouteMessage | RerrMessage | RlcMessage;

const nib = (v: number, what: string): number => {
  if (v < 0 || v > 15 || !Number.isInteger(v)) throw new EncodeError(`loadng: ${what} is 4 bits`);
  return v;
};

export function encodeLoadng(m: LoadngMessage): Uint8Array {
  const w = new ByteWriter(16);
  w.u8(m.type).u16be(m.destination).u16be(m.originator);
  switch (m.type) {
    case LoadngType.RREQ:
    case LoadngType.RREP:
      if (m.routeCost < 0 || m.routeCost > ROUTE_COST_MAX) throw new EncodeError('loadng: route cost');
      w.u16be(m.seq & 0xffff)
        .u8((((m.routeRepair ? LOADNG_FLAG_R : 0) | (m.unicast ? LOADNG_FLAG_U : 0)) << 4) | nib(m.metricType, 'metric type'))
        .u16be(m.routeCost)
        .u8((nib(m.hopCount, 'hop count') << 4) | nib(m.hopLimit, 'hop limit'))
        .u8(nib(m.weakLinkCount, 'weak link count'));
      break;
    case LoadngType.RERR:
      w.u8(m.errorCode)
        .u16be(m.unreachable)
        .u8(nib(m.hopLimit, 'hop limit') << 4);
      break;
    case LoadngType.RLCREQ:
      w.u8(nib(m.metricType, 'metric type'));
      break;
    case LoadngType.RLCREP:
      w.u8(nib(m.metricType, 'metric type')).u8((m.linkCost ?? 0) & 0xff);
      break;
  }
  return w.finish();
}

export function decodeLoadng(b: Uint8Array): LoadngMessage {
  const r: ByteReader = new ByteReader(b);
  const type = r.u8('loadng.type');
  const expected =
    type === LoadngType.RREQ || type === LoadngType.RREP
      ? RREQ_LENGTH
      : type === LoadngType.RERR
        ? RERR_LENGTH
        : type === LoadngType.RLCREQ
          ? RLCREQ_LENGTH
          : type === LoadngType.RLCREP
            ? RLCREP_LENGTH
            : -1;
  if (expected < 0) r.fail('loadng.type', `unsupported message type 0x${type.toString(16)}`, 0);
  r.need(expected - 1, 'loadng.body');
  if (b.length > expected) r.fail('loadng.length', `${b.length} bytes, expected ${expected}`, expected);
  const destination = r.u16be('loadng.destination');
  const originator = r.u16be('loadng.originator');
  if (type === LoadngType.RREQ || type === LoadngType.RREP) {
    const seq = r.u16be('loadng.seq');
    const fm = r.u8('loadng.flags');
    const routeCost = r.u16be('loadng.routeCost');
    const hh = r.u8('loadng.hops');
    const weakLinkCount = r.u8('loadng.weakLinkCount') & 0x0f;
    return {
      type,
      destination,
      originator,
      seq,
      routeRepair: ((fm >> 4) & LOADNG_FLAG_R) !== 0,
      unicast: ((fm >> 4) & LOADNG_FLAG_U) !== 0,
      metricType: fm & 0x0f,
      routeCost,
      hopCount: hh >> 4,
      hopLimit: hh & 0x0f,
      weakLinkCount,
    };
  }
  if (type === LoadngType.RERR) {
    const errorCode = r.u8('loadng.errorCode');
    const unreachable = r.u16be('loadng.unreachable');
    const hopLimit = r.u8('loadng.hopLimit') >> 4;
    return { type, destination, originator, errorCode, unreachable, hopLimit };
  }
  const metricType = r.u8('loadng.metricType') & 0x0f;
  if (type === LoadngType.RLCREQ) return { type, destination, originator, metricType };
  return { type: LoadngType.RLCREP, destination, originator, metricType, linkCost: r.u8('loadng.linkCost') };
}

// ---------------- link cost ----------------

export type LoadngParams = {
  -readonly [K in keyof typeof LOADNG_DEFAULTS]: (typeof LOADNG_DEFAULTS)[K] extends boolean ? boolean : number;
};

export interface LinkQuality {
  lqi: number;
  /** 0 ROBO, 1 DBPSK, 2 DQPSK, 3 D8PSK. */
  modulation: number;
  /** Active carriers (CENELEC-A: 36 when all are used). */
  activeTones?: number;
}

/** Directional cost of one link (G.9903 annex: Kr·MOD_KR + Km·MOD_KM + Kc·tones + Kq·LQI term). */
export function directionalLinkCost(p: LoadngParams, q: LinkQuality): number {
  const modKr = q.modulation === 0 ? 1 : 0;
  const modKm = MOD_KM[Math.min(Math.max(q.modulation, 0), MOD_KM.length - 1)] as number;
  const tones = q.activeTones ?? MAX_TONES;
  const kc = (MAX_TONES - Math.min(tones, MAX_TONES)) / MAX_TONES;
  const span = p.adpHighLQIValue - p.adpLowLQIValue;
  const kq = span <= 0 ? 0 : Math.min(1, Math.max(0, (p.adpHighLQIValue - q.lqi) / span));
  return Math.round(p.adpKr * modKr + p.adpKm * modKm + p.adpKc * kc + p.adpKq * kq);
}

/** Composite link cost: max of both directions + Krt·(active routes / table size) + Kh. */
export function linkCost(
  p: LoadngParams,
  forward: LinkQuality,
  reverse: LinkQuality | null,
  activeRoutes: number,
  maxRoutes: number,
): number {
  const fwd = directionalLinkCost(p, forward);
  const rev = reverse ? directionalLinkCost(p, reverse) : fwd + p.adpAddRevLinkCost;
  const krt = maxRoutes > 0 ? Math.round((p.adpKrt * activeRoutes) / maxRoutes) : 0;
  return Math.min(ROUTE_COST_MAX, Math.max(fwd, rev) + krt + p.adpKh);
}

// ---------------- routing logic ----------------

export interface RouteEntry {
  destination: number;
  nextHop: number;
  routeCost: number;
  hopCount: number;
  weakLinkCount: number;
  validUntil: number;
  seq: number;
}

export type ForwardDecision =
  | { action: 'deliver' }
  | { action: 'forward'; nextHop: number; hopsLeft: number }
  | { action: 'drop'; reason: 'hopLimit' | 'noRoute' };

export interface LoadngOptions {
  self: number;
  now: () => number;
  /** Sends a LOADng message body (without ESC) to a neighbour; 0xFFFF = broadcast. */
  send: (nextHop: number, body: Uint8Array) => void;
  /** Reverse-direction link quality known from the MAC neighbour table, if any. */
  neighbourQuality?: (neighbour: number) => LinkQuality | null;
  params?: Partial<LoadngParams>;
  maxRoutes?: number;
  maxDiscoveries?: number;
  maxRreqLog?: number;
  trace?: Trace;
}

export type LoadngDrop = 'duplicate' | 'stale' | 'hopLimit' | 'noRoute' | 'ownMessage' | 'tableFull';

interface Discovery {
  dst: number;
  seq: number;
  deadline: number;
  retries: number;
}

const BROADCAST = 0xffff;

/** seq a newer than b in 16-bit serial arithmetic (RFC 1982 style). */
export function seqNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

export class LoadngRouter {
  readonly params: LoadngParams;
  readonly routes = new Map<number, RouteEntry>();
  readonly drops: Record<LoadngDrop, number> = { duplicate: 0, stale: 0, hopLimit: 0, noRoute: 0, ownMessage: 0, tableFull: 0 };
  /** Messages sent, by kind (RREQs this node started and ones it relayed, RREPs, RERRs). */
  readonly sent = { rreq: 0, rreqRelayed: 0, rrep: 0, rrepRelayed: 0, rerr: 0 };
  /** Routes learned from traffic (learn()), not from a discovery. */
  readonly stats = { learned: 0 };
  /** Called when a discovery this node started has found a route, or failed. */
  onRouteFound: ((dst: number, route: RouteEntry) => void) | null = null;
  onRouteFailed: ((dst: number) => void) | null = null;
  /** Called when a RERR addressed to this node arrives. */
  onRouteError: ((unreachable: number, reporter: number) => void) | null = null;
  self: number;

  private seq = 0;
  private readonly now: () => number;
  private readonly send: (nextHop: number, body: Uint8Array) => void;
  private readonly neighbourQuality: (n: number) => LinkQuality | null;
  private readonly maxRoutes: number;
  private readonly maxDiscoveries: number;
  private readonly maxRreqLog: number;
  private readonly trace: Trace;
  private readonly discoveries = new Map<number, Discovery>();
  /** Best (seq, cost) seen per RREQ/RREP originator, for duplicate suppression. */
  private readonly rreqLog = new Map<number, { seq: number; cost: number; time: number }>();

  constructor(o: LoadngOptions) {
    this.self = o.self;
    this.now = o.now;
    this.send = o.send;
    this.neighbourQuality = o.neighbourQuality ?? (() => null);
    this.params = { ...LOADNG_DEFAULTS, ...o.params } as LoadngParams;
    this.maxRoutes = o.maxRoutes ?? 64;
    this.maxDiscoveries = o.maxDiscoveries ?? 8;
    this.maxRreqLog = o.maxRreqLog ?? 64;
    this.trace = o.trace ?? (() => {});
  }

  private drop(reason: LoadngDrop, detail: string): void {
    this.drops[reason]++;
    this.trace(`loadng: drop ${reason} ${detail}`);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  /** A valid route to dst, refreshed (G3 refreshes the valid time of used routes), or null. */
  route(dst: number): RouteEntry | null {
    const r = this.routes.get(dst);
    const now = this.now();
    if (!r) return null;
    if (r.validUntil <= now) {
      this.routes.delete(dst);
      return null;
    }
    return r;
  }

  private install(e: RouteEntry): boolean {
    const cur = this.routes.get(e.destination);
    if (cur && cur.validUntil > this.now()) {
      // Keep the current route unless the new information is fresher or cheaper.
      if (!seqNewer(e.seq, cur.seq) && !(e.seq === cur.seq && e.routeCost < cur.routeCost) && cur.nextHop !== e.nextHop) return false;
    }
    if (!cur && this.routes.size >= this.maxRoutes) {
      this.expire();
      if (this.routes.size >= this.maxRoutes) {
        let victim = -1,
          soonest = Infinity;
        for (const [k, v] of this.routes) if (v.validUntil < soonest) (soonest = v.validUntil), (victim = k);
        this.routes.delete(victim);
        this.drops.tableFull++;
      }
    }
    this.routes.set(e.destination, e);
    return true;
  }

  /**
   * A route learned from traffic, not from a discovery: the originator of an authentic frame is
   * reachable through the neighbour that passed it on, `hops` away (as far as the frame came).
   * Installed only where no valid route exists (a discovered route is never replaced by a guess);
   * a route through the same neighbour is kept valid (and, if not discovered, takes this hop count). The cost is an estimate: this link's cost
   * for every hop. Returns true when a route was installed.
   */
  learn(dst: number, prevHop: number, hops: number, q: LinkQuality): boolean {
    if (dst === this.self || dst === BROADCAST || dst === 0xfffe) return false;
    const now = this.now();
    const cur = this.route(dst);
    const h = Math.max(1, Math.min(LOADNG_MAX_HOPS, hops));
    if (cur) {
      if (cur.nextHop === prevHop) {
        cur.validUntil = now + this.params.adpRouteValidTimeMs;
        // a route not from a discovery (seq 0) takes the hop count traffic shows it has
        if (cur.seq === 0) cur.hopCount = h;
      }
      return false;
    }
    this.stats.learned++;
    this.installFound({
      destination: dst,
      nextHop: prevHop,
      routeCost: Math.min(ROUTE_COST_MAX, this.costTo(prevHop, q) * h),
      hopCount: h,
      weakLinkCount: 0,
      validUntil: now + this.params.adpRouteValidTimeMs,
      seq: 0,
    });
    return true;
  }

  /** Installs a route found without a discovery; a discovery of it still pending ends there (what waited for it goes). */
  private installFound(e: RouteEntry): void {
    this.install(e);
    if (this.discoveries.delete(e.destination)) {
      this.trace(`loadng: route to ${hex4(e.destination)} via ${hex4(e.nextHop)} learned while discovering it`);
      this.onRouteFound?.(e.destination, e);
    }
  }

  /**
   * Sets a route whatever the table held (G3 adpDefaultCoordRouteEnabled: a device that has
   * joined routes to the coordinator through its bootstrapping agent).
   */
  setRoute(dst: number, nextHop: number, routeCost: number, hops: number): void {
    this.routes.delete(dst);
    this.installFound({
      destination: dst,
      nextHop,
      routeCost: Math.min(ROUTE_COST_MAX, routeCost),
      hopCount: Math.max(1, Math.min(LOADNG_MAX_HOPS, hops)),
      weakLinkCount: 0,
      validUntil: this.now() + this.params.adpRouteValidTimeMs,
      seq: 0,
    });
  }

  private costTo(prevHop: number, q: LinkQuality): number {
    return linkCost(this.params, q, this.neighbourQuality(prevHop), this.routes.size, this.maxRoutes);
  }

  /** Starts a route discovery (RREQ flood). No-op while one to dst is pending. */
  discover(dst: number, routeRepair = false): void {
    if (this.discoveries.has(dst)) return;
    if (this.discoveries.size >= this.maxDiscoveries) {
      this.drop('tableFull', `discovery ${hex4(dst)}`);
      this.onRouteFailed?.(dst);
      return;
    }
    const seq = this.nextSeq();
    this.discoveries.set(dst, {
      dst,
      seq,
      deadline: this.now() + this.params.adpNetTraversalTimeMs * 2,
      retries: this.params.adpRREQRetries,
    });
    this.sendRreq(dst, seq, routeRepair);
  }

  private sendRreq(dst: number, seq: number, routeRepair: boolean): void {
    const body = encodeLoadng({
      type: LoadngType.RREQ,
      destination: dst,
      originator: this.self,
      seq,
      routeRepair,
      unicast: false,
      metricType: LOADNG_METRIC_COMPOSITE,
      routeCost: 0,
      hopCount: 0,
      hopLimit: Math.min(this.params.adpMaxHops, LOADNG_MAX_HOPS),
      weakLinkCount: 0,
    });
    this.trace(`loadng: RREQ ${hex4(this.self)}->${hex4(dst)} seq ${seq}`);
    this.sent.rreq++;
    this.send(BROADCAST, body);
  }

  /** Input of a LOADng message body received from neighbour prevHop with the given link quality. */
  input(prevHop: number, q: LinkQuality, body: Uint8Array): void {
    const m = decodeLoadng(body);
    switch (m.type) {
      case LoadngType.RREQ:
        return this.onRreq(prevHop, q, m);
      case LoadngType.RREP:
        return this.onRrep(prevHop, q, m);
      case LoadngType.RERR:
        return this.onRerr(prevHop, m);
      case LoadngType.RLCREQ: {
        const cost = this.costTo(prevHop, q);
        this.send(
          prevHop,
          encodeLoadng({
            type: LoadngType.RLCREP,
            destination: m.originator,
            originator: this.self,
            metricType: m.metricType,
            linkCost: Math.min(cost, 0xff),
          }),
        );
        return;
      }
      default:
        return;
    }
  }

  private isDuplicate(orig: number, seq: number, cost: number): boolean {
    const now = this.now();
    const seen = this.rreqLog.get(orig);
    if (seen && now - seen.time < this.params.adpNetTraversalTimeMs * 4) {
      if (seqNewer(seen.seq, seq)) {
        this.drop('stale', `${hex4(orig)} seq ${seq}`);
        return true;
      }
      if (seen.seq === seq && cost >= seen.cost) {
        this.drop('duplicate', `${hex4(orig)} seq ${seq}`);
        return true;
      }
    }
    if (!seen && this.rreqLog.size >= this.maxRreqLog) {
      const first = this.rreqLog.keys().next();
      if (!first.done) this.rreqLog.delete(first.value);
    }
    this.rreqLog.set(orig, { seq, cost, time: now });
    return false;
  }

  private onRreq(prevHop: number, q: LinkQuality, m: RouteMessage): void {
    if (m.originator === this.self) return this.drop('ownMessage', `RREQ seq ${m.seq}`);
    const lc = this.costTo(prevHop, q);
    const cost = Math.min(ROUTE_COST_MAX, m.routeCost + lc);
    const weak = Math.min(15, m.weakLinkCount + (q.lqi < this.params.adpWeakLQIValue ? 1 : 0));
    if (this.isDuplicate(m.originator, m.seq, cost)) return;
    const hops = Math.min(LOADNG_MAX_HOPS, m.hopCount + 1);
    const now = this.now();
    this.install({
      destination: m.originator,
      nextHop: prevHop,
      routeCost: cost,
      hopCount: hops,
      weakLinkCount: weak,
      validUntil: now + this.params.adpRouteValidTimeMs,
      seq: m.seq,
    });
    if (prevHop !== m.originator) {
      this.install({
        destination: prevHop,
        nextHop: prevHop,
        routeCost: lc,
        hopCount: 1,
        weakLinkCount: 0,
        validUntil: now + this.params.adpRouteValidTimeMs,
        seq: 0,
      });
    }
    if (m.destination === this.self) {
      const rrep = encodeLoadng({
        type: LoadngType.RREP,
        destination: m.originator,
        originator: this.self,
        seq: this.nextSeq(),
        routeRepair: m.routeRepair,
        unicast: false,
        metricType: m.metricType,
        routeCost: 0,
        hopCount: 0,
        hopLimit: Math.min(this.params.adpMaxHops, LOADNG_MAX_HOPS),
        weakLinkCount: 0,
      });
      this.trace(`loadng: RREP ${hex4(this.self)}->${hex4(m.originator)} via ${hex4(prevHop)}`);
      this.sent.rrep++;
      this.send(prevHop, rrep);
      return;
    }
    if (m.hopLimit <= 1) return this.drop('hopLimit', `RREQ from ${hex4(m.originator)}`);
    this.sent.rreqRelayed++;
    this.send(BROADCAST, encodeLoadng({ ...m, routeCost: cost, hopCount: hops, hopLimit: m.hopLimit - 1, weakLinkCount: weak }));
  }

  private onRrep(prevHop: number, q: LinkQuality, m: RouteMessage): void {
    if (m.originator === this.self) return this.drop('ownMessage', `RREP seq ${m.seq}`);
    const lc = this.costTo(prevHop, q);
    const cost = Math.min(ROUTE_COST_MAX, m.routeCost + lc);
    const weak = Math.min(15, m.weakLinkCount + (q.lqi < this.params.adpWeakLQIValue ? 1 : 0));
    const hops = Math.min(LOADNG_MAX_HOPS, m.hopCount + 1);
    const entry: RouteEntry = {
      destination: m.originator,
      nextHop: prevHop,
      routeCost: cost,
      hopCount: hops,
      weakLinkCount: weak,
      validUntil: this.now() + this.params.adpRouteValidTimeMs,
      seq: m.seq,
    };
    this.install(entry);
    if (m.destination === this.self) {
      const d = this.discoveries.get(m.originator);
      if (d) {
        this.discoveries.delete(m.originator);
        this.trace(`loadng: route to ${hex4(m.originator)} via ${hex4(prevHop)} cost ${cost} hops ${hops}`);
        this.onRouteFound?.(m.originator, this.routes.get(m.originator) ?? entry);
      }
      return;
    }
    const back = this.route(m.destination);
    if (!back) return this.drop('noRoute', `RREP to ${hex4(m.destination)}`);
    if (m.hopLimit <= 1) return this.drop('hopLimit', `RREP to ${hex4(m.destination)}`);
    this.sent.rrepRelayed++;
    this.send(back.nextHop, encodeLoadng({ ...m, routeCost: cost, hopCount: hops, hopLimit: m.hopLimit - 1, weakLinkCount: weak }));
  }

  private onRerr(prevHop: number, m: RerrMessage): void {
    const r = this.routes.get(m.unreachable);
    if (r && r.nextHop === prevHop) this.routes.delete(m.unreachable);
    if (m.destination === this.self) {
      this.trace(`loadng: RERR ${hex4(m.unreachable)} unreachable, reported by ${hex4(m.originator)}`);
      this.onRouteError?.(m.unreachable, m.originator);
      return;
    }
    const back = this.route(m.destination);
    if (!back) return this.drop('noRoute', `RERR to ${hex4(m.destination)}`);
    if (m.hopLimit <= 1) return this.drop('hopLimit', `RERR to ${hex4(m.destination)}`);
    this.send(back.nextHop, encodeLoadng({ ...m, hopLimit: m.hopLimit - 1 }));
  }

  /** Sends a RERR to the originator of a frame this node could not forward to `unreachable`. */
  reportError(originator: number, unreachable: number): void {
    const back = this.route(originator);
    if (!back) return this.drop('noRoute', `RERR to ${hex4(originator)}`);
    this.sent.rerr++;
    this.send(
      back.nextHop,
      encodeLoadng({
        type: LoadngType.RERR,
        destination: originator,
        originator: this.self,
        errorCode: LOADNG_RERR_NO_ROUTE,
        unreachable,
        hopLimit: Math.min(this.params.adpMaxHops, LOADNG_MAX_HOPS),
      }),
    );
  }

  /**
   * Decision for a mesh-addressed frame received by this node (hopsLeft as received): deliver,
   * forward to the next hop with hopsLeft - 1, or drop (a RERR is sent toward the originator
   * when no route exists).
   */
  forward(originator: number, final: number, hopsLeft: number): ForwardDecision {
    if (final === this.self) return { action: 'deliver' };
    if (hopsLeft <= 1) {
      this.drop('hopLimit', `${hex4(originator)}->${hex4(final)}`);
      return { action: 'drop', reason: 'hopLimit' };
    }
    const r = this.route(final);
    if (!r) {
      this.drop('noRoute', `${hex4(originator)}->${hex4(final)}`);
      this.reportError(originator, final);
      return { action: 'drop', reason: 'noRoute' };
    }
    return { action: 'forward', nextHop: r.nextHop, hopsLeft: hopsLeft - 1 };
  }

  /** Called when the MAC could not deliver to nextHop (NO_ACK): invalidates routes through it. */
  linkFailed(nextHop: number): void {
    for (const [k, r] of this.routes) if (r.nextHop === nextHop) this.routes.delete(k);
  }

  /** Expires routes and discoveries; discoveries past their deadline are retried or failed. */
  tick(): void {
    this.expire();
    const now = this.now();
    for (const [dst, d] of this.discoveries) {
      if (now < d.deadline) continue;
      if (d.retries > 0) {
        d.retries--;
        d.seq = this.nextSeq();
        d.deadline = now + this.params.adpNetTraversalTimeMs * 2;
        this.sendRreq(dst, d.seq, false);
      } else {
        this.discoveries.delete(dst);
        this.trace(`loadng: discovery of ${hex4(dst)} failed`);
        this.onRouteFailed?.(dst);
      }
    }
  }

  private expire(): void {
    const now = this.now();
    for (const [k, r] of this.routes) if (r.validUntil <= now) this.routes.delete(k);
  }

  /** When tick() next has a discovery to retry or fail (ms), Infinity when none is pending. */
  nextDeadline(): number {
    let t = Infinity;
    for (const d of this.discoveries.values()) if (d.deadline < t) t = d.deadline;
    return t;
  }

  pendingDiscovery(dst: number): boolean {
    return this.discoveries.has(dst);
  }
}
