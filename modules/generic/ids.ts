// Message ids shared by the parts (the seed's names). Each part's task answers X_SYS_PING with
// X_SYS_PONG carrying its part name: the message service's end-to-end check.
export const X_SYS_PING = 0x0001;
export const X_SYS_PONG = 0x0002;
// METRO (LEGAL) serves the per-second records of its ring (modules/legal/store.ts) as copies:
// GET_DATA {n} pops up to n (1..32) records, answered by SET_DATA {records: MetroRecord[]}.
export const X_METRO_GET_DATA = 0x0101;
export const X_METRO_SET_DATA = 0x0102;
// Instantaneous values of the last measured second (modules/legal/instant.ts): GET_INSTANT {}
// -> INSTANT {time, second, phases: [{v, i, p, q, s, pf, f}] x3, total: {p, q, s}, registers:
// {aImp, aExp, rQ1, rQ2, rQ3, rQ4, app} (Wh, varh, VAh)}; time -1 before the first second.
export const X_METRO_GET_INSTANT = 0x0103;
export const X_METRO_INSTANT = 0x0104;
// The legal event log (modules/legal/eventlog.ts): GET_EVENTS {from?: seq, n 1..16} answers
// EVENTS {events: [{seq, time (ms since 1970), type, phase, value, duration (ms)}]}, oldest
// first, from seq `from` (default: the newest n). SET_CLOCK {time: ms since 1970} sets the
// meter's clock (logged as a clock change) and answers CLOCK {ok, previous}.
export const X_METRO_GET_EVENTS = 0x0105;
export const X_METRO_EVENTS = 0x0106;
export const X_METRO_SET_CLOCK = 0x0107;
export const X_METRO_CLOCK = 0x0108;
// Load relay (modules/legal/relay.ts): RELAY {connect: boolean} -> RELAY_STATE {connected}.
export const X_METRO_RELAY = 0x0109;
export const X_METRO_RELAY_STATE = 0x010A;
