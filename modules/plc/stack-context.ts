// What the parts of the PLC stack (stack.ts) share: the manifest's configuration, the addresses
// every part uses, and the services the wiring gives the join state machine (join.ts), the
// coordinator (coordinator.ts) and PING (ping.ts). Types and constants only.
import type { RandomSource } from './crypto.js';
import type { ModemAdapter } from './modem-adapter.js';
import type { G3Node } from './netstack.js';

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

export const COORDINATOR = 0x0000;
export const SHORT_NONE = 0xfffe;
export const BROADCAST = 0xffff;
/** How long a meter listens for beacons, and the concentrator for other PANs. */
export const SCAN_MS = 2500;

export type Phase = 'idle' | 'scan' | 'discover' | 'joining' | 'joined' | 'backoff' | 'coordinator';

export interface StackContext {
  readonly node: G3Node;
  readonly modem: ModemAdapter;
  /** The node's random source (native-crypto.ts seededRandom). */
  readonly random: RandomSource;
  now(): number;
  /** base plus a random share of spread (the runtime's random: spreads nodes apart). */
  jitter(base: number, spread: number): number;
  /** A protocol trace line: refusals and failures are warnings (stack.ts). */
  trace(line: string): void;
  /** RunService trace at a level. */
  log(level: number, line: string): void;
  /** An unsolicited shell line (PLC JOINED, PLC PAN, ...). */
  print(text: string): void;
  /** The node entered or left a PAN. */
  networkChanged(): void;
  /** Re-arm the stack's timer for the earliest deadline. */
  schedule(): void;
}
