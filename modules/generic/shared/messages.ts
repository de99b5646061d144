// Message contracts between the parts: each message id (generic/ids.ts) with its payload type
// and a validator. Sender and receiver both use them: the sender's payload is typed, the
// receiver takes a payload only through `accept`, which drops and counts what does not match
// (a payload from another part is never trusted). Requests that expect an answer carry a
// request id `req` (0..0xFFFF) that the answer echoes, so answers are matched by id, not by
// queue order. The contracts themselves are in metro-requests.ts, metro-answers.ts and
// net-messages.ts, so that a part loads only the checks it uses (RAM on the STM32F405).
// Importable by every part (generic/shared/): its exports are hardened.
import { seal } from './errors.js';
import { formatCounters } from './format.js';

// ---- payload types ----

/** One per-second record of LEGAL's ring (legal/store.ts), as METRO hands it out. */
export type MetroRecord = {
  readonly time: number; // ms, misc.uptime at capture
  readonly p: number; // W, total active power (+ import)
  readonly q: number; // var, total fundamental reactive power (+ inductive)
  readonly s: number; // VA, total apparent power
  readonly aImp: number; // Wh, active energy imported (register since start)
  readonly aExp: number; // Wh, active energy exported
  readonly rImp: number; // varh, reactive energy Q1 + Q2
  readonly rExp: number; // varh, reactive energy Q3 + Q4
  readonly app: number; // VAh, apparent energy
};

export type InstantPhase = {
  readonly v: number;
  readonly i: number;
  readonly p: number;
  readonly q: number;
  readonly s: number;
  readonly pf: number;
  readonly f: number;
};
/** The last measured second (legal/instant.ts); `time` is -1 before the first second. */
export type Instant = {
  readonly time: number; // capture time, ms of uptime
  readonly second: number;
  readonly phases: readonly InstantPhase[];
  readonly total: { readonly p: number; readonly q: number; readonly s: number };
  /** Since start: Wh (aImp, aExp), varh (rQ1..rQ4), VAh (app). */
  readonly registers: {
    readonly aImp: number;
    readonly aExp: number;
    readonly rQ1: number;
    readonly rQ2: number;
    readonly rQ3: number;
    readonly rQ4: number;
    readonly app: number;
  };
};
/** One record of the legal event log (legal/eventlog.ts). */
export type LegalEvent = {
  readonly seq: number;
  readonly time: number;
  readonly type: number;
  readonly phase: number;
  readonly value: number;
  readonly duration: number;
};

export type SysPing = Record<string, never>;
export type SysPong = { readonly part: string; readonly energyWh?: number };
export type MetroGetData = { readonly req: number; readonly n: number };
export type MetroSetData = { readonly req: number; readonly records: readonly MetroRecord[] };
export type MetroGetInstant = { readonly req: number };
export type MetroInstant = { readonly req: number; readonly instant: Instant };
export type MetroGetEvents = { readonly req: number; readonly n: number; readonly from?: number };
export type MetroEvents = { readonly req: number; readonly events: readonly LegalEvent[] };
export type MetroSetClock = { readonly req: number; readonly time: number };
export type MetroClock = { readonly req: number; readonly ok: boolean; readonly previous: number };
export type MetroRelay = { readonly req: number; readonly connect?: boolean };
export type MetroRelayState = { readonly req: number; readonly connected: boolean };
export type AdpRegister = Record<string, never>;
export type AdpStatus = { readonly status: number; readonly short: number; readonly panId: number };
export type AdpDataRequest = { readonly handle: number; readonly dst: number; readonly packet: Uint8Array };
export type AdpDataConfirm = { readonly handle: number; readonly status: number };
export type AdpDataIndication = { readonly src: number; readonly lqi: number; readonly packet: Uint8Array };
export type AdpDeviceRequest = { readonly req: number; readonly index: number };
export type AdpDeviceConfirm = {
  readonly req: number;
  readonly status: number;
  readonly index: number;
  readonly count: number;
  readonly short: number;
  readonly eui64: Uint8Array;
};
export type AppRxEvent = { readonly src: number; readonly srcPort: number; readonly data: Uint8Array };

/** Bounds of the payloads (the METRO task's own limits). */
export const METRO_GET_DATA_MAX = 32;
export const METRO_GET_EVENTS_MAX = 16;
/** Legal time METRO sets (SET_CLOCK answers ok=false outside): 2000-01-01 .. 2100-01-01, ms since 1970. */
export const CLOCK_MIN = 946684800000;
export const CLOCK_MAX = 4102444800000;

// ---- validators ----

export type Obj = { readonly [k: string]: unknown };
export const isObj = (p: unknown): p is Obj => typeof p === 'object' && p !== null && !Array.isArray(p) && !(p instanceof Uint8Array);
export const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
export const isReq = (v: unknown): v is number => isInt(v, 0, 0xffff);

/** A message id, its seed name and the check its payload must pass. */
export interface Contract<T> {
  readonly id: number;
  readonly name: string;
  readonly valid: (payload: unknown) => boolean;
  /** Phantom: the payload type (never set). */
  readonly type?: T;
}

export const contract = <T>(id: number, name: string, valid: (p: unknown) => boolean): Contract<T> => ({ id, name, valid });

/** A receiver's count of dropped payloads, by message name. */
export type MalformedCounts = { [name: string]: number };

/**
 * The payload of `m` when `m` is `c`'s message and its payload passes `c`'s check; undefined
 * otherwise. A payload with `c`'s id that fails the check is counted in `malformed` under the
 * message's name: the receiver drops it.
 */
export function accept<T>(
  c: Contract<T>,
  m: { readonly id: number; readonly payload: unknown },
  malformed: MalformedCounts,
): T | undefined {
  if (m.id !== c.id) return undefined;
  if (c.valid(m.payload)) return m.payload as T;
  malformed[c.name] = (malformed[c.name] ?? 0) + 1;
  return undefined;
}

/** "name=count ..." of the non-zero counts, for a stats line ("" when none): the counters formatter. */
export const formatMalformed: (malformed: MalformedCounts) => string = formatCounters;

for (const f of [isObj, isInt, isReq, contract, accept]) seal(f);
