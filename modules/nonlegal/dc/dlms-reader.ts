// The scheduler's MeterReader over the DLMS client on UDP 4059 (dlms-read.ts): each call is one
// association as the management client (HLS-GMAC; the event log and setting the clock need it).
// One association at a time (the client has one link): the sessions' global window above 1
// waits here as "busy" and is retried after the backoff (docs/concentrator.md).
import type { DlmsData } from '../dlms/axdr.js';
import { WPort } from '../dlms/wrapper.js';
import type { DlmsClient } from '../cosem/client.js';
import { ClassId } from '../cosem/cosem-const.js';
import { dateTimeOf, dt, items, num, octets } from '../cosem/data.js';
import { fromDateTime, toDateTime } from '../cosem/clock.js';
import type { DlmsUdpClient } from './dlms-read.js';
import type { MeterEntry } from './registry.js';
import { CLOCK_OBIS, EVENTS_OBIS, PROFILE_OBIS, type MeterReader, type Row } from './scheduler.js';

const text = (d: DlmsData): string => {
  const b = octets(d);
  return b ? String.fromCharCode(...b) : '';
};
const seconds = (d: DlmsData | undefined): number | undefined => {
  const t = dateTimeOf(d),
    ms = t && fromDateTime(t);
  return ms === undefined ? undefined : Math.floor(ms / 1000);
};
/** Rows of a profile generic buffer: the clock column, then the numbers; a row without a time is dropped. */
function rows(list: DlmsData[]): Row[] {
  const out: Row[] = [];
  for (const r of list) {
    const cells = items(r) ?? [];
    const t = seconds(cells[0]);
    if (t !== undefined) out.push({ captureS: t, values: cells.slice(1).map((c) => num(c) ?? 0) });
  }
  return out;
}

export class DlmsMeterReader implements MeterReader {
  constructor(
    private readonly client: DlmsUdpClient,
    private readonly nowMs: () => number,
  ) {}

  private op<T>(m: MeterEntry, body: (c: DlmsClient) => Promise<T>): Promise<T> {
    return this.client.exec(m.short, WPort.MANAGEMENT_LOGICAL_DEVICE, body).then((r) => r.value);
  }

  identify(m: MeterEntry): Promise<{ name: string; serial: string }> {
    return this.op(m, async (c) => ({
      name: text(await c.get(ClassId.DATA, '0.0.42.0.0.255', 2)),
      serial: text(await c.get(ClassId.DATA, '0.0.96.1.0.255', 2)),
    }));
  }

  profile(m: MeterEntry, fromS: number, toS: number): Promise<Row[]> {
    return this.op(m, async (c) => rows(await c.readProfileByRange(PROFILE_OBIS, toDateTime(fromS * 1000), toDateTime(toS * 1000))));
  }

  events(m: MeterEntry, fromS: number, toS: number): Promise<Row[]> {
    return this.op(m, async (c) => rows(await c.readProfileByRange(EVENTS_OBIS, toDateTime(fromS * 1000), toDateTime(toS * 1000))));
  }

  register(m: MeterEntry, obis: string): Promise<Row> {
    return this.op(m, async (c) => ({
      captureS: Math.floor(this.nowMs() / 1000),
      values: [num(await c.get(ClassId.REGISTER, obis, 2)) ?? 0],
    }));
  }

  clock(m: MeterEntry): Promise<number> {
    return this.op(m, async (c) => {
      const s = seconds(await c.get(ClassId.CLOCK, CLOCK_OBIS, 2));
      if (s === undefined) throw new Error('meter clock not specified');
      return s;
    });
  }

  setClock(m: MeterEntry, s: number): Promise<void> {
    return this.op(m, (c) => c.set(ClassId.CLOCK, CLOCK_OBIS, 2, dt(toDateTime(s * 1000))));
  }
}
