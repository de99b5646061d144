// Milliseconds since 1970 (UTC) <-> COSEM date-time (Blue Book 4.1.6.1). The meter keeps UTC:
// deviation 0, clock status 0 (ok).
import type { DateTimeValue } from '../dlms/axdr.js';

export function toDateTime(ms: number): DateTimeValue {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    dayOfWeek: ((d.getUTCDay() + 6) % 7) + 1,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    hundredths: Math.floor((ms % 1000) / 10),
    deviation: 0,
    clockStatus: 0,
  };
}

/** UTC ms of a fully specified date-time; undefined when a field is "not specified". */
export function fromDateTime(t: DateTimeValue): number | undefined {
  if (t.year === 0xffff || t.month > 12 || t.day > 31 || t.hour > 23 || t.minute > 59 || t.second > 59) return undefined;
  const local = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.hundredths === 0xff ? 0 : t.hundredths * 10);
  // deviation: minutes from local time to UTC (-0x8000: not specified, taken as UTC)
  return t.deviation === -0x8000 ? local : local + t.deviation * 60000;
}
