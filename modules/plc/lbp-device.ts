// LoWPAN Bootstrapping Protocol (G.9903 annex E), device side: the joining device (LBD) state
// machine (discovery candidates, EAP-PSK peer, configuration parameters, GMK hooks) and the relay
// rule of an agent (LBA). I/O-free: every method returns the message to send.
import { bytesEqual, hex4, toHex } from './bytes.js';
import { DecodeError, NeedMoreData } from './errors.js';
import type { PlcCrypto, RandomSource, Trace } from './crypto.js';
import { PskPeer } from './eap-psk.js';
import {
  LBP_DEFAULT_JOIN_TIMEOUT_MS,
  LBP_DEFAULT_MAX_CANDIDATES,
  LbpAttr,
  LbpCode,
  LbpParamResult,
  PSK_EXT_G3_PARAMS,
  PskResult,
} from './lbp-const.js';
import {
  decodeLbp,
  decodeParams,
  encodeLbp,
  encodeParams,
  fromServer,
  isParams,
  param,
  type LbpMessage,
  type LbpParam,
} from './lbp-codec.js';

// ---------------- device (LBD) ----------------

export interface Candidate {
  panId: number;
  agent: number;
  lqi: number;
  rcCoord: number;
}

export type LbdState = 'idle' | 'discovering' | 'joining' | 'joined' | 'failed';

export interface LbdOptions {
  eui64: Uint8Array;
  psk: Uint8Array;
  crypto: PlcCrypto;
  random: RandomSource;
  now: () => number;
  /** Link cost estimate from an LQI (e.g. loadng directionalLinkCost); default: the LQI deficit to 255. */
  linkCostOf?: (lqi: number) => number;
  maxCandidates?: number;
  joinTimeoutMs?: number;
  trace?: Trace;
}

export interface JoinResult {
  panId: number;
  shortAddress: number;
  gmkIndex: number;
  gmk: Uint8Array;
}

export interface LbdHooks {
  setGmk?: (index: number, key: Uint8Array) => void;
  activateGmk?: (index: number) => void;
  removeGmk?: (index: number) => void;
  joined?: (r: JoinResult) => void;
  left?: (why: string) => void;
}

export class LbpDevice {
  state: LbdState = 'idle';
  failure = '';
  agent: Candidate | null = null;
  shortAddress = 0xfffe;
  readonly hooks: LbdHooks = {};
  private readonly o: LbdOptions;
  private readonly candidates: Candidate[] = [];
  private peer: PskPeer;
  private pending: { short?: number; gmks: Map<number, Uint8Array>; activate?: number } = { gmks: new Map() };
  private deadline = 0;
  /** The last challenge answered and the answer: a duplicate (the LBS retransmitted) gets it again. */
  private lastChallenge: Uint8Array | null = null;
  private lastReply: Uint8Array | null = null;
  private readonly trace: Trace;

  constructor(o: LbdOptions) {
    this.o = o;
    this.trace = o.trace ?? (() => {});
    this.peer = this.newPeer();
  }

  private newPeer(): PskPeer {
    return new PskPeer({
      crypto: this.o.crypto,
      random: this.o.random,
      psk: this.o.psk,
      idP: this.o.eui64,
      trace: this.trace,
      onExtension: (ext) => this.onParams(ext),
    });
  }

  /** Starts discovery: the caller sends a beacon request and feeds beacons to `beacon`. */
  startDiscovery(): void {
    this.candidates.length = 0;
    this.state = 'discovering';
  }

  beacon(c: Candidate): void {
    if (this.state !== 'discovering') return;
    const i = this.candidates.findIndex((x) => x.agent === c.agent && x.panId === c.panId);
    if (i >= 0) this.candidates[i] = c;
    else if (this.candidates.length < (this.o.maxCandidates ?? LBP_DEFAULT_MAX_CANDIDATES)) this.candidates.push(c);
    else {
      const worst = this.candidates.reduce((a, b, j) => (this.score(b) > this.score(this.candidates[a] as Candidate) ? j : a), 0);
      if (this.score(c) < this.score(this.candidates[worst] as Candidate)) this.candidates[worst] = c;
    }
  }

  /** Route cost to the coordinator through a candidate agent: its RC_COORD plus our link cost to it. */
  score(c: Candidate): number {
    const lc = this.o.linkCostOf ? this.o.linkCostOf(c.lqi) : 255 - c.lqi;
    return c.rcCoord + lc;
  }

  /** Agents the last discovery found (kept for later join attempts until the next discovery). */
  candidateCount(): number {
    return this.candidates.length;
  }

  /** Best agent: lowest route cost to the coordinator through it (its RC_COORD + our link cost). */
  chooseAgent(): Candidate | null {
    let best: Candidate | null = null;
    for (const c of this.candidates) if (!best || this.score(c) < this.score(best)) best = c;
    return best;
  }

  /** JOINING through the chosen agent; returns { to: agent short, message }. */
  join(): { to: number; panId: number; message: Uint8Array } | null {
    const a = this.chooseAgent();
    if (!a) {
      this.state = 'failed';
      this.failure = 'no agent';
      return null;
    }
    this.agent = a;
    this.state = 'joining';
    this.peer = this.newPeer();
    this.pending = { gmks: new Map() };
    this.lastChallenge = this.lastReply = null;
    this.deadline = this.o.now() + (this.o.joinTimeoutMs ?? LBP_DEFAULT_JOIN_TIMEOUT_MS);
    this.trace(`lbp: joining PAN ${hex4(a.panId)} via ${hex4(a.agent)}`);
    return { to: a.agent, panId: a.panId, message: encodeLbp({ code: LbpCode.JOINING, lbd: this.o.eui64, data: new Uint8Array(0) }) };
  }

  /** Leaving: KICK from LBD (sent to the coordinator). */
  leave(): Uint8Array {
    this.state = 'idle';
    this.hooks.left?.('leave');
    return encodeLbp({ code: LbpCode.KICK_FROM_LBD, lbd: this.o.eui64, data: new Uint8Array(0) });
  }

  private onParams(ext: { type: number; payload: Uint8Array }): { result: PskResult; ext?: { type: number; payload: Uint8Array } } {
    const results: LbpParam[] = [];
    let ok = true;
    let ps: LbpParam[] = [];
    try {
      ps = ext.type === PSK_EXT_G3_PARAMS ? decodeParams(ext.payload) : [];
    } catch (e) {
      if (!(e instanceof DecodeError || e instanceof NeedMoreData)) throw e;
      ok = false;
    }
    for (const p of ps) {
      if (p.id === LbpAttr.SHORT_ADDR && p.value.length === 2) {
        const a = ((p.value[0] as number) << 8) | (p.value[1] as number);
        if (a >= 0xfffe) (ok = false), results.push(param.result(p.id, LbpParamResult.INVALID_VALUE));
        else this.pending.short = a;
      } else if (p.id === LbpAttr.GMK && p.value.length === 17 && (p.value[0] as number) < 2) {
        this.pending.gmks.set(p.value[0] as number, p.value.slice(1));
      } else if (p.id === LbpAttr.GMK_ACTIVATION && p.value.length === 1 && (p.value[0] as number) < 2) {
        this.pending.activate = p.value[0] as number;
      } else {
        ok = false;
        results.push(param.result(p.id, LbpParamResult.INVALID_VALUE));
      }
    }
    if (this.state === 'joining' && (this.pending.short === undefined || this.pending.gmks.size === 0)) {
      ok = false;
      results.push(param.result(this.pending.short === undefined ? LbpAttr.SHORT_ADDR : LbpAttr.GMK, LbpParamResult.MISSING));
    }
    if (ok) results.push(param.result(0, LbpParamResult.SUCCESS));
    return {
      result: ok ? PskResult.DONE_SUCCESS : PskResult.DONE_FAILURE,
      ext: { type: PSK_EXT_G3_PARAMS, payload: encodeParams(results) },
    };
  }

  /** Handles an LBP message from the LBS (through the agent). Returns the LBP reply, or null. */
  input(bytes: Uint8Array): Uint8Array | null {
    const m = decodeLbp(bytes);
    if (!fromServer(m.code)) return null;
    if (toHex(m.lbd) !== toHex(this.o.eui64)) return null;
    const reply = (data: Uint8Array): Uint8Array => encodeLbp({ code: LbpCode.JOINING, lbd: this.o.eui64, data });
    switch (m.code) {
      case LbpCode.CHALLENGE: {
        // RFC 3748 4.1: a duplicate request is answered with the previous response, not processed.
        if (this.lastChallenge && this.lastReply && bytesEqual(m.data, this.lastChallenge)) return this.lastReply;
        // While joined, a new EAP-PSK message 1 restarts the method: that is re-keying.
        const out = this.peer.input(m.data);
        if (this.peer.state === 'failed') return this.failed(this.peer.failure, out ? reply(out) : null);
        if (!out) return null;
        this.lastChallenge = m.data.slice();
        this.lastReply = reply(out);
        return this.lastReply;
      }
      case LbpCode.ACCEPTED: {
        if (isParams(m.data)) {
          // Parameters outside EAP (G3: GMK activation after re-keying).
          const res = this.onParams({ type: PSK_EXT_G3_PARAMS, payload: m.data });
          this.commitKeys();
          return reply(res.ext?.payload ?? new Uint8Array(0));
        }
        this.peer.input(m.data);
        if (this.peer.state !== 'done') return this.failed('accepted without EAP success', null);
        const first = this.state === 'joining';
        const idx = this.pending.activate ?? ([...this.pending.gmks.keys()][0] as number);
        const key = this.pending.gmks.get(idx);
        this.commitKeys();
        if (first) {
          if (this.pending.short === undefined) return this.failed('no short address', null);
          if (!key) return this.failed('no GMK', null);
          this.shortAddress = this.pending.short;
          this.pending.activate = undefined;
          this.hooks.activateGmk?.(idx);
          this.state = 'joined';
          this.trace(`lbp: joined as ${hex4(this.shortAddress)}, GMK ${idx}`);
          this.hooks.joined?.({ panId: this.agent?.panId ?? 0, shortAddress: this.shortAddress, gmkIndex: idx, gmk: key });
        }
        return null;
      }
      case LbpCode.DECLINE:
        return this.failed('declined', null);
      case LbpCode.KICK_TO_LBD:
        this.state = 'idle';
        this.shortAddress = 0xfffe;
        this.trace('lbp: kicked by the coordinator');
        this.hooks.left?.('kicked');
        return null;
      default:
        return null;
    }
  }

  private commitKeys(): void {
    for (const [i, k] of this.pending.gmks) this.hooks.setGmk?.(i, k);
    this.pending.gmks.clear();
    if (this.pending.activate !== undefined && this.state === 'joined') {
      this.hooks.activateGmk?.(this.pending.activate);
      this.trace(`lbp: GMK ${this.pending.activate} activated`);
      this.pending.activate = undefined;
    }
  }

  private failed(why: string, out: Uint8Array | null): Uint8Array | null {
    this.state = 'failed';
    this.failure = why;
    this.trace(`lbp: join failed (${why})`);
    return out;
  }

  /** When tick() may end the join (ms), Infinity unless joining. */
  nextDeadline(): number {
    return this.state === 'joining' ? this.deadline : Infinity;
  }

  tick(): void {
    if (this.state === 'joining' && this.o.now() >= this.deadline) {
      this.state = 'failed';
      this.failure = 'timeout';
      this.trace('lbp: join timeout');
    }
  }
}

// ---------------- agent (LBA) ----------------

/**
 * Relay rule of an LBA (G.9903 annex E): a T=0 message from a one-hop LBD (extended address,
 * unsecured) goes to the LBS; a T=1 message from the LBS whose A_LBD is not us goes to that LBD
 * by its extended address. Takes the message's bytes, or the message the caller decoded.
 */
export function agentRelay(message: Uint8Array | LbpMessage, selfEui: Uint8Array): { toServer: boolean; lbd: Uint8Array } | null {
  const m = message instanceof Uint8Array ? decodeLbp(message) : message;
  if (!fromServer(m.code)) return { toServer: true, lbd: m.lbd };
  if (toHex(m.lbd) === toHex(selfEui)) return null;
  return { toServer: false, lbd: m.lbd };
}
