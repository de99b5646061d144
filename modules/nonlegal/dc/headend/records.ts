// Records the concentrator hands to the head-end uplink (uplink.ts), shared with the scheduler
// (modules/nonlegal/dc/). Keep names and fields: two developers code against them.
// values: numbers in the COSEM unit of the object after its scaler (Wh, varh, W, V, A, ...);
// an event's values[0] is its event code. Units are documented in docs/headend.md.
export interface UplinkRecord {
  kind: 'profile' | 'register' | 'event' | 'balance' /* balance: dc/balance.ts, meter AREA_ID */;
  meter: string /* EUI-64, 16 upper-case hex */;
  obis: string /* 'a.b.c.d.e.f' */;
  captureS: number /* unix s */;
  values: number[];
}
export interface UplinkAlarm {
  meter: string;
  code: number;
  eventS: number /* meter's event time, unix s */;
  receivedS: number /* concentrator's receive time */;
  count: number /* repeats aggregated */;
}
export interface UplinkSink {
  record(r: UplinkRecord): boolean /* false: refused (bound), counted */;
  alarm(a: UplinkAlarm): void;
}
