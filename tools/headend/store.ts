// What the head-end does with each upload: inflate, decode, store idempotently (records keyed
// by meter + OBIS + capture time, alarms by meter + code + event time), count duplicates, and
// answer with an ACK only after the transaction committed. Summary and queries read it back.
import { inflateRawSync } from 'node:zlib';
import type { UplinkAlarm, UplinkRecord } from '../../modules/nonlegal/dc/headend/records.js';
import { decodeMessage, decodeRecords, encodeFrame, encodeMessage } from '../../modules/nonlegal/dc/headend/wire.js';
import { ACK_REJECTED, ACK_STORED, ENC_DEFLATE } from '../../modules/nonlegal/dc/headend/wire-const.js';
import type { Db } from './db.js';

export const PERIOD_S = 900;

const TABLE = { profile: 'intervals', register: 'registers', event: 'events' } as const;
/** Values of a balance record (modules/nonlegal/dc/balance.ts BALANCE_VALUES), as columns. */
const BALANCE_COLUMNS = [
  'expected',
  'meters_in',
  'transformer_wh',
  'meters_wh',
  'l1_transformer_wh',
  'l1_meters_wh',
  'l2_transformer_wh',
  'l2_meters_wh',
  'l3_transformer_wh',
  'l3_meters_wh',
  'three_phase_wh',
  'unphased_wh',
] as const;

/** A balance record: inserted, or replacing a stored one that had fewer meters in; 1 when stored. */
async function storeBalance(db: Db, id: number, r: UplinkRecord, now: number): Promise<number> {
  if (r.values.length !== BALANCE_COLUMNS.length) {
    await count(db, 'balanceMalformed', 1);
    return 0;
  }
  const cols = BALANCE_COLUMNS.join(', ');
  const n = await db.run(
    `INSERT INTO balance (area, capture_s, ${cols}, upload_id, stored_s) VALUES (?, ?, ${BALANCE_COLUMNS.map(() => '?').join(', ')}, ?, ?) ` +
      `ON CONFLICT (area, capture_s) DO UPDATE SET ${[...BALANCE_COLUMNS, 'upload_id', 'stored_s'].map((c) => `${c} = excluded.${c}`).join(', ')} ` +
      'WHERE excluded.meters_in > balance.meters_in',
    [r.meter, r.captureS, ...r.values, id, now],
  );
  if (!n) await count(db, 'balanceDuplicates', 1);
  return n;
}

export interface Outcome {
  /** frame to send back (an ACK), if any */
  reply?: Uint8Array;
  line: string;
}

async function count(db: Db, name: string, n: number): Promise<void> {
  if (n === 0) return;
  await db.run(
    'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value',
    [name, n],
  );
}

async function seen(db: Db, meter: string, now: number): Promise<void> {
  await db.run(
    'INSERT INTO meters (meter, first_seen_s, last_seen_s) VALUES (?, ?, ?) ON CONFLICT (meter) DO UPDATE SET last_seen_s = excluded.last_seen_s',
    [meter, now, now],
  );
}

async function upload(db: Db, id: number, kind: string, now: number, raw: number, wire: number, records: number): Promise<boolean> {
  const fresh = await db.run(
    'INSERT INTO uploads (id, kind, first_s, last_s, arrivals, raw_bytes, wire_bytes, records) VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    [id, kind, now, now, raw, wire, records],
  );
  if (!fresh) await db.run('UPDATE uploads SET arrivals = arrivals + 1, last_s = ? WHERE id = ?', [now, id]);
  return fresh > 0;
}

export async function storeRecords(
  db: Db,
  id: number,
  records: readonly UplinkRecord[],
  now: number,
): Promise<{ stored: number; duplicates: number }> {
  let stored = 0;
  let balance = 0;
  for (const r of records) {
    if (r.kind === 'balance') {
      // the area's row, not a meter's: counted apart from the intervals' exactly-once figures
      balance++;
      await storeBalance(db, id, r, now);
      continue;
    }
    await seen(db, r.meter, now);
    stored += await db.run(
      `INSERT INTO ${TABLE[r.kind]} (meter, obis, capture_s, vals, upload_id, stored_s) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (${r.kind === 'event' ? 'meter, obis, capture_s, vals' : 'meter, obis, capture_s'}) DO NOTHING`,
      [r.meter, r.obis, r.captureS, JSON.stringify(r.values), id, now],
    );
  }
  const duplicates = records.length - balance - stored;
  await count(db, 'duplicates', duplicates);
  return { stored, duplicates };
}

export async function storeAlarm(db: Db, id: number, a: UplinkAlarm, now: number): Promise<boolean> {
  await seen(db, a.meter, now);
  const n = await db.run(
    'INSERT INTO alarms (meter, code, event_s, received_s, stored_s, latency_s, count, upload_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (meter, code, event_s) DO NOTHING',
    [a.meter, a.code, a.eventS, a.receivedS, now, now - a.eventS, a.count, id],
  );
  if (!n) await count(db, 'alarmDuplicates', 1);
  return n > 0;
}

/** One frame body from the concentrator; `now` is the head-end's clock in unix seconds. */
export async function handleBody(db: Db, body: Uint8Array, now: number, maxRecords = 0xffff): Promise<Outcome> {
  let m: ReturnType<typeof decodeMessage>;
  try {
    m = decodeMessage(body);
  } catch (e) {
    await count(db, 'malformed', 1);
    return { line: `malformed message: ${(e as Error).message}` };
  }
  const ack = (id: number, status: number) => encodeFrame(encodeMessage({ type: 'ack', id, status }));
  if (m.type === 'batch') {
    let records: UplinkRecord[];
    try {
      const raw =
        m.encoding === ENC_DEFLATE ? new Uint8Array(inflateRawSync(m.data, { maxOutputLength: Math.max(1, m.rawLength) })) : m.data;
      if (raw.length !== m.rawLength) throw new Error(`raw length ${raw.length}, header says ${m.rawLength}`);
      records = decodeRecords(raw, maxRecords);
    } catch (e) {
      await count(db, 'rejected', 1);
      return { reply: ack(m.id, ACK_REJECTED), line: `upload ${m.id} rejected: ${(e as Error).message}` };
    }
    const r = await db.transaction(async () => {
      const fresh = await upload(db, m.id, 'batch', now, m.rawLength, body.length, records.length);
      if (!fresh) await count(db, 'uploadsResent', 1);
      return storeRecords(db, m.id, records, now);
    });
    return { reply: ack(m.id, ACK_STORED), line: `upload ${m.id} records=${records.length} stored=${r.stored} duplicates=${r.duplicates}` };
  }
  if (m.type === 'alarm') {
    const a = m.alarm;
    const fresh = await db.transaction(async () => {
      if (!(await upload(db, m.id, 'alarm', now, 20, body.length, 1))) await count(db, 'uploadsResent', 1);
      return storeAlarm(db, m.id, a, now);
    });
    return { reply: ack(m.id, ACK_STORED), line: `alarm ${m.id} meter=${a.meter} code=${a.code} ${fresh ? 'stored' : 'duplicate'}` };
  }
  await count(db, 'unexpected', 1);
  return { line: `unexpected ${m.type} from the concentrator` };
}

// ---- reading back ----

export interface Range {
  periodS: number;
  fromS?: number;
  toS?: number;
  meter?: string;
}

function where(r: Range, col: string): { sql: string; params: unknown[] } {
  const c: string[] = [];
  const params: unknown[] = [];
  if (r.meter !== undefined) {
    c.push('meter = ?');
    params.push(r.meter);
  }
  if (r.fromS !== undefined) {
    c.push(`${col} >= ?`);
    params.push(r.fromS);
  }
  if (r.toS !== undefined) {
    c.push(`${col} <= ?`);
    params.push(r.toS);
  }
  return { sql: c.length ? ` WHERE ${c.join(' AND ')}` : '', params };
}

export interface Gap {
  meter: string;
  obis: string;
  fromS: number;
  toS: number;
  missing: number;
}

/** Per meter and profile object: the expected 15-minute grid (first..last capture, or --from/--to) and its holes. */
export async function gaps(db: Db, r: Range): Promise<{ expected: number; stored: number; gaps: Gap[] }> {
  const w = where(r, 'capture_s');
  const rows = await db.all(`SELECT meter, obis, capture_s FROM intervals${w.sql} ORDER BY meter, obis, capture_s`, w.params);
  const series = new Map<string, number[]>();
  for (const row of rows) {
    const k = `${row.meter} ${row.obis}`;
    let s = series.get(k);
    if (!s) series.set(k, (s = []));
    s.push(Number(row.capture_s));
  }
  let expected = 0;
  let stored = 0;
  const out: Gap[] = [];
  for (const [k, s] of series) {
    const [meter, obis] = k.split(' ') as [string, string];
    const first = r.fromS ?? (s[0] as number);
    const last = r.toS ?? (s[s.length - 1] as number);
    const start = Math.ceil(first / r.periodS) * r.periodS;
    if (last >= start) expected += Math.floor((last - start) / r.periodS) + 1;
    stored += s.length;
    const end = Math.floor(last / r.periodS) * r.periodS;
    let next = start;
    for (const t of s) {
      if (t % r.periodS !== 0 || t < next || t > end) continue;
      if (t > next) out.push({ meter, obis, fromS: next, toS: t - r.periodS, missing: (t - next) / r.periodS });
      next = t + r.periodS;
    }
    if (end >= next) out.push({ meter, obis, fromS: next, toS: end, missing: (end - next) / r.periodS + 1 });
  }
  return { expected, stored, gaps: out };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export interface Summary {
  meters: number;
  periodS: number;
  intervalsExpected: number;
  intervalsStored: number;
  missing: number;
  duplicates: number;
  registers: number;
  events: number;
  alarms: number;
  alarmDuplicates: number;
  alarmLatencyS: { p50: number | null; p99: number | null; max: number | null };
  uploads: number;
  uploadsResent: number;
  rejected: number;
  malformed: number;
  rawBytes: number;
  wireBytes: number;
}

export async function summary(db: Db, r: Range): Promise<Summary> {
  const g = await gaps(db, r);
  const counters = new Map((await db.all('SELECT name, value FROM counters')).map((x) => [String(x.name), Number(x.value)]));
  const one = async (sql: string, params: unknown[] = []) => Number(Object.values((await db.all(sql, params))[0] ?? { n: 0 })[0] ?? 0);
  const wm = where({ periodS: r.periodS, ...(r.meter !== undefined ? { meter: r.meter } : {}) }, 'x');
  const lat = (await db.all(`SELECT latency_s FROM alarms${wm.sql} ORDER BY latency_s`, wm.params)).map((x) => Number(x.latency_s));
  const up =
    (await db.all('SELECT COUNT(*) AS n, COALESCE(SUM(raw_bytes), 0) AS raw, COALESCE(SUM(wire_bytes), 0) AS wire FROM uploads'))[0] ?? {};
  return {
    meters: await one(`SELECT COUNT(*) AS n FROM meters${wm.sql}`, wm.params),
    periodS: r.periodS,
    intervalsExpected: g.expected,
    intervalsStored: g.stored,
    missing: g.gaps.reduce((a, x) => a + x.missing, 0),
    duplicates: counters.get('duplicates') ?? 0,
    registers: await one(`SELECT COUNT(*) AS n FROM registers${wm.sql}`, wm.params),
    events: await one(`SELECT COUNT(*) AS n FROM events${wm.sql}`, wm.params),
    alarms: lat.length,
    alarmDuplicates: counters.get('alarmDuplicates') ?? 0,
    alarmLatencyS: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? (lat[lat.length - 1] as number) : null },
    uploads: Number(up.n ?? 0),
    uploadsResent: counters.get('uploadsResent') ?? 0,
    rejected: counters.get('rejected') ?? 0,
    malformed: counters.get('malformed') ?? 0,
    rawBytes: Number(up.raw ?? 0),
    wireBytes: Number(up.wire ?? 0),
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The balance table with its differences: total, and per phase where every meter in declared a single phase. */
export async function balanceRows(db: Db, r: Range): Promise<Record<string, unknown>[]> {
  const w = where(
    { periodS: r.periodS, ...(r.fromS !== undefined ? { fromS: r.fromS } : {}), ...(r.toS !== undefined ? { toS: r.toS } : {}) },
    'capture_s',
  );
  const rows = await db.all(
    `SELECT area, capture_s, ${BALANCE_COLUMNS.join(', ')} FROM balance${w.sql} ORDER BY area, capture_s`,
    w.params,
  );
  return rows.map((x) => {
    const n = (k: string) => Number(x[k]);
    const tr = n('transformer_wh');
    const phased = n('three_phase_wh') === 0 && n('unphased_wh') === 0;
    const o: Record<string, unknown> = {
      area: x.area,
      capture_s: n('capture_s'),
      complete: n('meters_in') >= n('expected'),
      meters: `${n('meters_in')}/${n('expected')}`,
      transformer_wh: round1(tr),
      meters_wh: round1(n('meters_wh')),
      diff_wh: round1(tr - n('meters_wh')),
      diff_pct: tr > 0 ? round1(((tr - n('meters_wh')) / tr) * 100) : null,
    };
    for (const p of ['l1', 'l2', 'l3']) o[`${p}_diff_wh`] = phased ? round1(n(`${p}_transformer_wh`) - n(`${p}_meters_wh`)) : null;
    o.three_phase_wh = round1(n('three_phase_wh'));
    o.unphased_wh = round1(n('unphased_wh'));
    return o;
  });
}

export async function query(
  db: Db,
  what: 'meters' | 'intervals' | 'gaps' | 'alarms' | 'balance',
  r: Range,
): Promise<Record<string, unknown>[]> {
  const wm = where({ periodS: r.periodS, ...(r.meter !== undefined ? { meter: r.meter } : {}) }, 'x');
  switch (what) {
    case 'meters':
      return db.all(`SELECT meter, first_seen_s, last_seen_s FROM meters${wm.sql} ORDER BY meter`, wm.params);
    case 'intervals': {
      const w = where(r, 'capture_s');
      const rows = await db.all(
        `SELECT meter, obis, capture_s, vals, upload_id FROM intervals${w.sql} ORDER BY meter, obis, capture_s`,
        w.params,
      );
      return rows.map((x) => ({ ...x, vals: JSON.parse(String(x.vals)) as number[] }));
    }
    case 'gaps':
      return (await gaps(db, r)).gaps as unknown as Record<string, unknown>[];
    case 'balance':
      return balanceRows(db, r);
    case 'alarms':
      return db.all(
        `SELECT meter, code, event_s, received_s, stored_s, latency_s, count, upload_id FROM alarms${wm.sql} ORDER BY event_s, meter`,
        wm.params,
      );
  }
}
