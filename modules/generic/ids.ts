// Message ids shared by the parts (the seed's names). Their payload types and validators are in
// generic/shared/messages.ts (one contract per id; requests carry a `req` that the answer
// echoes); the comments here say what each message is for. Each part's task answers X_SYS_PING
// with X_SYS_PONG carrying its part name: the message service's end-to-end check.
export const X_SYS_PING = 0x0001;
export const X_SYS_PONG = 0x0002;
// METRO (LEGAL) serves the per-second records of its ring (modules/legal/store.ts) as copies:
// GET_DATA {req, n} pops up to n (1..32) records, answered by SET_DATA {req, records}.
export const X_METRO_GET_DATA = 0x0101;
export const X_METRO_SET_DATA = 0x0102;
// Instantaneous values of the last measured second (modules/legal/instant.ts): GET_INSTANT
// {req} -> INSTANT {req, instant}.
export const X_METRO_GET_INSTANT = 0x0103;
export const X_METRO_INSTANT = 0x0104;
// The legal event log (modules/legal/eventlog.ts): GET_EVENTS {req, from?: seq, n 1..16}
// answers EVENTS {req, events}, oldest first, from seq `from` (default: the newest n).
// SET_CLOCK {req, time: ms since 1970} sets the meter's clock (logged as a clock change) and
// answers CLOCK {req, ok, previous}.
export const X_METRO_GET_EVENTS = 0x0105;
export const X_METRO_EVENTS = 0x0106;
export const X_METRO_SET_CLOCK = 0x0107;
export const X_METRO_CLOCK = 0x0108;
// Load relay (modules/legal/relay.ts): RELAY {req, connect?} -> RELAY_STATE {req, connected}.
export const X_METRO_RELAY = 0x0109;
export const X_METRO_RELAY_STATE = 0x010a;

// ---- PLC <-> NON-LEGAL: the ADP data service (0x0201..0x02FF) ----
// PLC's ADP task (modules/plc/adp-service.ts) carries IPv6 packets for NON-LEGAL's TCPIP task
// (modules/nonlegal/net/tcpip.ts). Payloads are frozen copies; PLC checks everything it is sent.
// REGISTER {} makes the sender the one task that gets indications; answered by
// REGISTER_CONFIRM {status, short, panId}.
export const X_ADP_REGISTER = 0x0201;
export const X_ADP_REGISTER_CONFIRM = 0x0202;
// DATA_REQUEST {handle 0..255, dst short address, packet: IPv6 packet 48..1280 bytes, source
// our link-local address, destination the one derived from dst} -> DATA_CONFIRM {handle, status}
// (status: the packet was handed to ADP, or why not).
export const X_ADP_DATA_REQUEST = 0x0203;
export const X_ADP_DATA_CONFIRM = 0x0204;
// DATA_INDICATION {src short address, lqi of the last frame, packet}: an IPv6 packet for us.
export const X_ADP_DATA_INDICATION = 0x0205;
// NETWORK_INDICATION {status, short, panId}: the node joined, left or changed address.
export const X_ADP_NETWORK_INDICATION = 0x0206;
// DEVICE_REQUEST {req, index} -> DEVICE_CONFIRM {req, status, index, count, short, eui64}: the index-th
// (0-based) device of the coordinator's table, in `PLC DEVICES` order.
export const X_ADP_DEVICE_REQUEST = 0x0207;
export const X_ADP_DEVICE_CONFIRM = 0x0208;
// Status values of the confirms above.
export const ADP_SUCCESS = 0;
export const ADP_INVALID_REQUEST = 1; // malformed or out-of-bounds field (counted by PLC)
export const ADP_NOT_JOINED = 2; // not in a PAN (NETWORK_INDICATION: left)
export const ADP_NOT_REGISTERED = 3; // sender is not the registered task
export const ADP_NO_DEVICE = 4; // index past the device table
export const ADP_NOT_COORDINATOR = 5; // device table asked of a meter

// ---- inside NON-LEGAL: TCPIP -> APP ----
// APP_RX_EVENT {src short address, srcPort, data}: a UDP datagram to the APP port; the first
// byte of data selects the APP message type (modules/nonlegal/app/app.ts).
export const X_APP_RX_EVENT = 0x0210;
