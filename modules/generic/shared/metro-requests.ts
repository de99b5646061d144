// Contracts of the requests LEGAL's METRO task serves (messages.ts has the payload types and
// `accept`). LEGAL loads only this file: each contract costs RAM on the STM32F405.
import { X_METRO_GET_DATA, X_METRO_GET_INSTANT, X_METRO_GET_EVENTS, X_METRO_SET_CLOCK, X_METRO_RELAY } from '../ids.js';
import {
  contract,
  isObj,
  isInt,
  isReq,
  METRO_GET_DATA_MAX,
  METRO_GET_EVENTS_MAX,
  type MetroGetData,
  type MetroGetInstant,
  type MetroGetEvents,
  type MetroSetClock,
  type MetroRelay,
} from './messages.js';
import { seal } from './errors.js';

export const METRO_GET_DATA = contract<MetroGetData>(
  X_METRO_GET_DATA,
  'X_METRO_GET_DATA',
  (p) => isObj(p) && isReq(p.req) && isInt(p.n, 1, METRO_GET_DATA_MAX),
);
export const METRO_GET_INSTANT = contract<MetroGetInstant>(X_METRO_GET_INSTANT, 'X_METRO_GET_INSTANT', (p) => isObj(p) && isReq(p.req));
export const METRO_GET_EVENTS = contract<MetroGetEvents>(
  X_METRO_GET_EVENTS,
  'X_METRO_GET_EVENTS',
  (p) =>
    isObj(p) && isReq(p.req) && isInt(p.n, 1, METRO_GET_EVENTS_MAX) && (p.from === undefined || isInt(p.from, 1, Number.MAX_SAFE_INTEGER)),
);
/** Any integer time is well formed; METRO answers ok=false outside CLOCK_MIN..CLOCK_MAX. */
export const METRO_SET_CLOCK = contract<MetroSetClock>(
  X_METRO_SET_CLOCK,
  'X_METRO_SET_CLOCK',
  (p) => isObj(p) && isReq(p.req) && isInt(p.time, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
);
export const METRO_RELAY = contract<MetroRelay>(
  X_METRO_RELAY,
  'X_METRO_RELAY',
  (p) => isObj(p) && isReq(p.req) && (p.connect === undefined || typeof p.connect === 'boolean'),
);

for (const c of [METRO_GET_DATA, METRO_GET_INSTANT, METRO_GET_EVENTS, METRO_SET_CLOCK, METRO_RELAY]) seal(c);
