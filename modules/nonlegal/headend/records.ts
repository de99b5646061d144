// Records the concentrator hands to the head-end uplink (shared by the scheduler, the alarm path
// and the head-end receiver; keep the names and fields as they are).
export interface UplinkRecord {
  kind: 'profile' | 'register' | 'event';
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
