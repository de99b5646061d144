// Contracts of METRO's answers, checked by their receivers in NON-LEGAL (messages.ts has the
// payload types and `accept`).
import { X_METRO_SET_DATA, X_METRO_INSTANT, X_METRO_EVENTS, X_METRO_CLOCK, X_METRO_RELAY_STATE } from '../ids.js';
import {
  contract,
  isObj,
  isReq,
  METRO_GET_DATA_MAX,
  METRO_GET_EVENTS_MAX,
  type MetroSetData,
  type MetroInstant,
  type MetroEvents,
  type MetroClock,
  type MetroRelayState,
} from './messages.js';
import { seal } from './errors.js';

const isNum = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const allNum = (o: unknown, keys: readonly string[]): boolean => isObj(o) && keys.every((k) => isNum(o[k]));
/** A record's fields (legal/store.ts keeps them in this order in one Float64Array). */
const RECORD_KEYS = ['time', 'p', 'q', 's', 'aImp', 'aExp', 'rImp', 'rExp', 'app'];
const PHASE_KEYS = ['v', 'i', 'p', 'q', 's', 'pf', 'f'];
const REGISTER_KEYS = ['aImp', 'aExp', 'rQ1', 'rQ2', 'rQ3', 'rQ4', 'app'];
const EVENT_KEYS = ['seq', 'time', 'type', 'phase', 'value', 'duration'];

function validInstant(i: unknown): boolean {
  return (
    isObj(i) &&
    isNum(i.time) &&
    isNum(i.second) &&
    Array.isArray(i.phases) &&
    i.phases.length === 3 &&
    i.phases.every((ph) => allNum(ph, PHASE_KEYS)) &&
    allNum(i.total, ['p', 'q', 's']) &&
    allNum(i.registers, REGISTER_KEYS)
  );
}

export const METRO_SET_DATA = contract<MetroSetData>(
  X_METRO_SET_DATA,
  'X_METRO_SET_DATA',
  (p) =>
    isObj(p) &&
    isReq(p.req) &&
    Array.isArray(p.records) &&
    p.records.length <= METRO_GET_DATA_MAX &&
    p.records.every((r) => allNum(r, RECORD_KEYS)),
);
export const METRO_INSTANT = contract<MetroInstant>(
  X_METRO_INSTANT,
  'X_METRO_INSTANT',
  (p) => isObj(p) && isReq(p.req) && validInstant(p.instant),
);
export const METRO_EVENTS = contract<MetroEvents>(
  X_METRO_EVENTS,
  'X_METRO_EVENTS',
  (p) =>
    isObj(p) &&
    isReq(p.req) &&
    Array.isArray(p.events) &&
    p.events.length <= METRO_GET_EVENTS_MAX &&
    p.events.every((e) => allNum(e, EVENT_KEYS)),
);
export const METRO_CLOCK = contract<MetroClock>(
  X_METRO_CLOCK,
  'X_METRO_CLOCK',
  (p) => isObj(p) && isReq(p.req) && typeof p.ok === 'boolean' && isNum(p.previous),
);
export const METRO_RELAY_STATE = contract<MetroRelayState>(
  X_METRO_RELAY_STATE,
  'X_METRO_RELAY_STATE',
  (p) => isObj(p) && isReq(p.req) && typeof p.connected === 'boolean',
);

for (const c of [METRO_SET_DATA, METRO_INSTANT, METRO_EVENTS, METRO_CLOCK, METRO_RELAY_STATE]) seal(c);
