// LoWPAN Bootstrapping Protocol (G.9903 annex E), coordinator side: the bootstrap server (LBS)
// with its bounded device table, white/black lists, short address allocation, half-open limits,
// DECLINE token bucket, kick and re-keying. I/O-free: every method returns the messages to send.
import { hex4, toHex } from './bytes.js';
import type { PlcCrypto, RandomSource, Trace } from './crypto.js';
import { decodeEap, PskServer, type PChannelContent } from './eap-psk.js';
import {
  LBP_DEFAULT_DECLINE_BURST,
  LBP_DEFAULT_DECLINE_REFILL_MS,
  LBP_DEFAULT_HALF_OPEN_TIMEOUT_MS,
  LBP_DEFAULT_MAX_DEVICES,
  LBP_DEFAULT_MAX_HALF_OPEN,
  LBP_DEFAULT_MAX_LIST,
  LBP_DEFAULT_MAX_SESSIONS,
  LBP_MAX_RETRANSMITS,
  LBP_RETRANSMIT_MS,
  LBP_SESSION_IDLE_MS,
  LBP_SHORT_MAX,
  LBP_SHORT_MIN,
  EapCode,
  LbpAttr,
  LbpCode,
  LbpParamResult,
  PSK_EXT_G3_PARAMS,
  PskResult,
} from './lbp-const.js';
import { decodeLbp, decodeParams, encodeLbp, encodeParams, fromServer, isParams, param, type LbpParam } from './lbp-codec.js';

// ---------------- coordinator (LBS) ----------------

export type LbsDeviceState = 'authenticating' | 'joined' | 'rekeying' | 'left';

export interface LbsDevice {
  eui64: Uint8Array;
  shortAddress: number;
  state: LbsDeviceState;
  /** GMK index the device has (last one it acknowledged). */
  gmkIndex: number;
  lastSeen: number;
  /** Where to answer (the agent's short address, or the device itself if a neighbour). */
  via: number;
  session: PskServer | null;
  /** The challenge awaiting a response (retransmitted by tick()), when it was sent, how often again. */
  pending: LbsOutput | null;
  sentAt: number;
  retransmits: number;
  /** Joined at least once: a new JOINING that goes nowhere does not remove it from the table. */
  wasJoined: boolean;
}

export interface LbsOptions {
  crypto: PlcCrypto;
  random: RandomSource;
  now: () => number;
  idS: Uint8Array;
  /** PSK for an EUI-64 (null = unknown device). */
  pskFor: (eui64: Uint8Array) => Uint8Array | null;
  gmk: Uint8Array;
  gmkIndex?: number;
  maxDevices?: number;
  maxList?: number;
  /** Concurrent authentications (default LBP_DEFAULT_MAX_SESSIONS). */
  maxSessions?: number;
  /** Half-open entries (authenticating, never joined) kept at once (default LBP_DEFAULT_MAX_HALF_OPEN). */
  maxHalfOpen?: number;
  /** A half-open entry with no message for this long is forgotten (default LBP_DEFAULT_HALF_OPEN_TIMEOUT_MS). */
  halfOpenTimeoutMs?: number;
  /** DECLINE token bucket: burst and refill time of one token (LBP_DEFAULT_DECLINE_BURST / _REFILL_MS). */
  declineBurst?: number;
  declineRefillMs?: number;
  trace?: Trace;
}

export interface LbsOutput {
  /** Short address of the next LBP hop (agent) to send to. */
  to: number;
  message: Uint8Array;
}

export class LbpServer {
  readonly devices = new Map<string, LbsDevice>();
  readonly whitelist = new Set<string>();
  readonly blacklist = new Set<string>();
  /** When true, only whitelisted EUI-64s may join. */
  whitelistOnly = false;
  readonly counters = {
    joined: 0,
    declined: 0,
    blacklisted: 0,
    tableFull: 0,
    busy: 0,
    kicked: 0,
    left: 0,
    retransmitted: 0,
    duplicate: 0,
    /** Unknown EUI-64s (no PSK) refused at their first JOINING, before any table entry. */
    unknown: 0,
    /** Half-open entries forgotten: timed out, or the oldest idle one making room for a new JOINING. */
    expired: 0,
    evicted: 0,
    /** Declines (counted in `declined`) whose DECLINE frame and trace the token bucket held back. */
    declineSuppressed: 0,
    /** Busy drops (counted in `busy`) whose trace the token bucket held back. */
    traceSuppressed: 0,
  };
  private readonly o: LbsOptions;
  private readonly trace: Trace;
  private gmks: (Uint8Array | null)[] = [null, null];
  private activeGmk: number;
  private rekeyIndex = -1;
  private nextShort = LBP_SHORT_MIN;
  /** Refusal token bucket (DECLINE frames, refusal traces): tokens left, when last refilled. */
  private tokens: number;
  private refilledAt: number;

  constructor(o: LbsOptions) {
    this.o = o;
    this.trace = o.trace ?? (() => {});
    this.tokens = o.declineBurst ?? LBP_DEFAULT_DECLINE_BURST;
    this.refilledAt = o.now();
    this.activeGmk = o.gmkIndex ?? 0;
    this.gmks[this.activeGmk] = o.gmk.slice();
  }

  private maxList(): number {
    return this.o.maxList ?? LBP_DEFAULT_MAX_LIST;
  }
  allow(eui: Uint8Array): void {
    if (this.whitelist.size >= this.maxList()) throw new RangeError('whitelist full');
    this.whitelist.add(toHex(eui));
  }
  deny(eui: Uint8Array): void {
    if (this.blacklist.size >= this.maxList()) throw new RangeError('blacklist full');
    this.blacklist.add(toHex(eui));
  }

  private allocateShort(): number | null {
    const used = new Set<number>();
    for (const d of this.devices.values()) used.add(d.shortAddress);
    for (let i = 0; i <= LBP_SHORT_MAX - LBP_SHORT_MIN; i++) {
      const a = this.nextShort;
      this.nextShort = a >= LBP_SHORT_MAX ? LBP_SHORT_MIN : a + 1;
      if (!used.has(a)) return a;
    }
    return null;
  }

  private session(): PskServer {
    return new PskServer({ crypto: this.o.crypto, random: this.o.random, idS: this.o.idS, pskFor: this.o.pskFor, trace: this.trace });
  }

  private out(d: { via: number; eui64: Uint8Array }, code: LbpCode, data: Uint8Array): LbsOutput {
    return { to: d.via, message: encodeLbp({ code, lbd: d.eui64, data }) };
  }

  /**
   * One token of the refusal bucket, if any is left. Unsecured JOININGs cost a forger nothing:
   * without it every forgery would cost a DECLINE on the line and a warning line.
   */
  private token(now: number): boolean {
    const burst = this.o.declineBurst ?? LBP_DEFAULT_DECLINE_BURST;
    const refill = this.o.declineRefillMs ?? LBP_DEFAULT_DECLINE_REFILL_MS;
    if (this.tokens >= burst)
      this.refilledAt = now; // a full bucket does not save up
    else {
      const n = Math.floor((now - this.refilledAt) / refill);
      if (n > 0) {
        this.tokens = Math.min(burst, this.tokens + n);
        this.refilledAt = this.tokens >= burst ? now : this.refilledAt + n * refill;
      }
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  private decline(via: number, lbd: Uint8Array, why: string, data: Uint8Array = new Uint8Array(0)): LbsOutput[] {
    this.counters.declined++;
    if (!this.token(this.o.now())) {
      this.counters.declineSuppressed++;
      return [];
    }
    this.trace(`lbs: decline ${toHex(lbd)} (${why})`);
    return [{ to: via, message: encodeLbp({ code: LbpCode.DECLINE, lbd, data }) }];
  }

  /** Forgets a half-open entry (a rejoining device that had joined keeps its place, as joined). */
  private forget(key: string, d: LbsDevice): void {
    if (d.wasJoined) {
      d.state = 'joined';
      d.session = null;
      d.pending = null;
    } else this.devices.delete(key);
  }

  /** Half-open entries: authenticating and never joined. */
  private halfOpen(): number {
    let n = 0;
    for (const d of this.devices.values()) if (d.state === 'authenticating' && !d.wasJoined) n++;
    return n;
  }

  /** The oldest half-open entry that is not running (no message within LBP_SESSION_IDLE_MS). */
  private oldestIdleHalfOpen(now: number): string | null {
    let key: string | null = null;
    let seen = Infinity;
    for (const [k, d] of this.devices) {
      if (d.state !== 'authenticating' || d.wasJoined || now - d.lastSeen < LBP_SESSION_IDLE_MS) continue;
      if (d.lastSeen < seen) (key = k), (seen = d.lastSeen);
    }
    return key;
  }

  /** An LBP message received from `via` (agent short address). Returns what to send. */
  input(via: number, bytes: Uint8Array): LbsOutput[] {
    const m = decodeLbp(bytes);
    if (fromServer(m.code)) return [];
    const key = toHex(m.lbd);
    const now = this.o.now();
    if (m.code === LbpCode.KICK_FROM_LBD) {
      const d = this.devices.get(key);
      if (d) {
        this.devices.delete(key);
        this.counters.left++;
        this.trace(`lbs: ${key} left`);
      }
      return [];
    }
    if (this.blacklist.has(key)) {
      this.counters.blacklisted++;
      return this.decline(via, m.lbd, 'blacklisted');
    }
    if (this.whitelistOnly && !this.whitelist.has(key)) return this.decline(via, m.lbd, 'not whitelisted');
    let d = this.devices.get(key);
    if (m.data.length === 0) {
      // First JOINING: (re)start authentication, if the LBS has room for one more. Dropped
      // otherwise: on a power line every exchange costs channel time in the coordinator's
      // neighbourhood, and many at once time out together (the LBD backs off and retries).
      if (!d && !this.o.pskFor(m.lbd)) {
        // no PSK for it: EAP-PSK (ID_P is the EUI-64) cannot succeed, so no session and no
        // table entry (forged JOININGs with made-up EUI-64s filled the table)
        this.counters.unknown++;
        return this.decline(via, m.lbd, 'unknown device');
      }
      if (this.running(now, d) >= (this.o.maxSessions ?? LBP_DEFAULT_MAX_SESSIONS)) {
        this.counters.busy++;
        if (this.token(now)) this.trace(`lbs: busy, drop JOINING from ${key}`);
        else this.counters.traceSuppressed++;
        return [];
      }
      if (!d && this.halfOpen() >= (this.o.maxHalfOpen ?? LBP_DEFAULT_MAX_HALF_OPEN)) {
        const old = this.oldestIdleHalfOpen(now);
        if (old === null) {
          this.counters.busy++;
          if (this.token(now)) this.trace(`lbs: busy (half-open entries), drop JOINING from ${key}`);
          else this.counters.traceSuppressed++;
          return [];
        }
        this.devices.delete(old);
        this.counters.evicted++;
      }
      if (!d) {
        if (this.devices.size >= (this.o.maxDevices ?? LBP_DEFAULT_MAX_DEVICES)) {
          this.counters.tableFull++;
          return this.decline(via, m.lbd, 'device table full');
        }
        const s = this.allocateShort();
        if (s === null) return this.decline(via, m.lbd, 'no short address');
        d = {
          eui64: m.lbd,
          shortAddress: s,
          state: 'authenticating',
          gmkIndex: -1,
          lastSeen: now,
          via,
          session: null,
          pending: null,
          sentAt: 0,
          retransmits: 0,
          wasJoined: false,
        };
        this.devices.set(key, d);
      }
      d.state = 'authenticating';
      d.via = via;
      d.lastSeen = now;
      d.session = this.session();
      return [this.challenge(d, d.session.start(), now)];
    }
    if (!d) return this.decline(via, m.lbd, 'unknown device');
    d.via = via;
    d.lastSeen = now;
    d.pending = null;
    if (isParams(m.data)) {
      // Parameter results (answer to a GMK activation).
      const ps = decodeParams(m.data);
      const ok = ps.some((p) => p.id === LbpAttr.PARAM_RESULT && p.value[0] === LbpParamResult.SUCCESS);
      if (ok && d.state === 'rekeying' && this.rekeyIndex >= 0) {
        d.gmkIndex = this.rekeyIndex;
        d.state = 'joined';
      }
      return [];
    }
    const s = d.session;
    if (!s) return this.decline(via, m.lbd, 'no session');
    const eap = decodeEap(m.data);
    if (eap.code !== EapCode.RESPONSE) return this.decline(via, m.lbd, 'not an EAP response');
    if (eap.identifier !== s.expectedIdentifier) {
      // the answer to a request already answered (a retransmission crossed it): discarded
      this.counters.duplicate++;
      this.trace(`lbs: drop duplicate response from ${key}`);
      return [];
    }
    const reply = s.input(m.data, () => this.contentFor(d as LbsDevice));
    if (s.state === 'failed') {
      if (d.state === 'authenticating' && !d.wasJoined) this.devices.delete(key);
      else if (d.state === 'authenticating') this.forget(key, d);
      return this.decline(via, m.lbd, s.failure, reply);
    }
    if (s.state === 'done') {
      d.session = null;
      if (d.state === 'authenticating') {
        d.state = 'joined';
        d.wasJoined = true;
        d.gmkIndex = this.activeGmk;
        this.counters.joined++;
        this.trace(`lbs: ${key} joined as ${hex4(d.shortAddress)}`);
      }
      return [this.out(d, LbpCode.ACCEPTED, reply)];
    }
    return [this.challenge(d, reply, now)];
  }

  private challenge(d: LbsDevice, data: Uint8Array, now: number): LbsOutput {
    const o = this.out(d, LbpCode.CHALLENGE, data);
    d.pending = o;
    d.sentAt = now;
    d.retransmits = 0;
    return o;
  }

  /**
   * Challenges not answered within LBP_RETRANSMIT_MS, sent again (at most LBP_MAX_RETRANSMITS
   * times each); half-open entries silent for halfOpenTimeoutMs forgotten (the caller ticks at
   * least once a second: their expiry has no deadline of its own).
   */
  tick(): LbsOutput[] {
    const now = this.o.now();
    const out: LbsOutput[] = [];
    const timeout = this.o.halfOpenTimeoutMs ?? LBP_DEFAULT_HALF_OPEN_TIMEOUT_MS;
    for (const [k, d] of this.devices) {
      if (d.state === 'authenticating' && now - d.lastSeen >= timeout) {
        this.forget(k, d);
        this.counters.expired++;
      }
    }
    for (const d of this.devices.values()) {
      if (!d.pending || !d.session || now - d.sentAt < LBP_RETRANSMIT_MS) continue;
      if (d.retransmits >= LBP_MAX_RETRANSMITS) {
        d.pending = null;
        continue;
      }
      d.retransmits++;
      d.sentAt = now;
      this.counters.retransmitted++;
      out.push(d.pending);
    }
    return out;
  }

  /** When tick() next has a challenge to retransmit (ms), Infinity when none waits. */
  nextDeadline(): number {
    let t = Infinity;
    for (const d of this.devices.values()) if (d.pending && d.session) t = Math.min(t, d.sentAt + LBP_RETRANSMIT_MS);
    return t;
  }

  /** Authentications in progress (a message within LBP_SESSION_IDLE_MS), `self` excluded. */
  private running(now: number, self: LbsDevice | undefined): number {
    let n = 0;
    for (const d of this.devices.values()) {
      if (d !== self && d.session && d.state === 'authenticating' && now - d.lastSeen < LBP_SESSION_IDLE_MS) n++;
    }
    return n;
  }

  private contentFor(d: LbsDevice): PChannelContent {
    const ps: LbpParam[] = [];
    if (d.state === 'authenticating') {
      ps.push(param.shortAddr(d.shortAddress));
      ps.push(param.gmk(this.activeGmk, this.gmks[this.activeGmk] as Uint8Array));
      ps.push(param.gmkActivation(this.activeGmk));
    } else if (this.rekeyIndex >= 0) {
      ps.push(param.gmk(this.rekeyIndex, this.gmks[this.rekeyIndex] as Uint8Array));
    }
    return { result: PskResult.DONE_SUCCESS, ext: { type: PSK_EXT_G3_PARAMS, payload: encodeParams(ps) } };
  }

  /** Removes a device: KICK to it. */
  kick(eui: Uint8Array): LbsOutput[] {
    const d = this.devices.get(toHex(eui));
    if (!d) return [];
    this.devices.delete(toHex(eui));
    this.counters.kicked++;
    this.trace(`lbs: kick ${toHex(eui)}`);
    return [{ to: d.shortAddress, message: encodeLbp({ code: LbpCode.KICK_TO_LBD, lbd: d.eui64, data: new Uint8Array(0) }) }];
  }

  /** Re-keying step 1: distribute a new GMK in the other slot with a fresh EAP-PSK run per device. */
  startRekey(newGmk: Uint8Array): LbsOutput[] {
    if (newGmk.length !== 16) throw new RangeError('GMK is 16 bytes');
    this.rekeyIndex = this.activeGmk ^ 1;
    this.gmks[this.rekeyIndex] = newGmk.slice();
    this.trace(`lbs: rekey, new GMK in slot ${this.rekeyIndex}`);
    const out: LbsOutput[] = [];
    for (const d of this.devices.values()) {
      if (d.state !== 'joined') continue;
      d.state = 'rekeying';
      d.session = this.session();
      out.push({ to: d.shortAddress, message: encodeLbp({ code: LbpCode.CHALLENGE, lbd: d.eui64, data: d.session.start() }) });
    }
    return out;
  }

  /** Devices that still have not received the new key. */
  rekeyPending(): number {
    let n = 0;
    for (const d of this.devices.values()) if (d.state === 'rekeying' && d.session) n++;
    return n;
  }

  /** Re-keying step 2: activation of the new GMK (ACCEPTED with GMK-activation). */
  activateRekey(): LbsOutput[] {
    if (this.rekeyIndex < 0) return [];
    this.activeGmk = this.rekeyIndex;
    const data = encodeParams([param.gmkActivation(this.activeGmk)]);
    const out: LbsOutput[] = [];
    for (const d of this.devices.values()) {
      if (d.state === 'rekeying' || d.state === 'joined') {
        d.state = 'rekeying';
        out.push({ to: d.shortAddress, message: encodeLbp({ code: LbpCode.ACCEPTED, lbd: d.eui64, data }) });
      }
    }
    this.trace(`lbs: GMK ${this.activeGmk} activated`);
    return out;
  }

  get activeGmkIndex(): number {
    return this.activeGmk;
  }
}
