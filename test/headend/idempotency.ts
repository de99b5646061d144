// The receiver's idempotency cases, run against SQLite (receiver.test.ts) and PostgreSQL
// (pg.test.ts), and the records and uploads they send.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { deflateRawSync } from 'node:zlib';
import type { UplinkRecord } from '../../modules/nonlegal/dc/headend/records.js';
import { decodeMessage, encodeFrame, encodeMessage, encodeRecords } from '../../modules/nonlegal/dc/headend/wire.js';
import { ACK_REJECTED, ACK_STORED, ENC_DEFLATE, ENC_RAW } from '../../modules/nonlegal/dc/headend/wire-const.js';
import type { Db } from '../../tools/headend/db.js';
import { handleBody, query, summary } from '../../tools/headend/store.js';
import { FakeConcentrator, headend } from './helpers.js';

export const M1 = '0011223344556677';
export const M2 = '00112233445566AA';
export const T0 = 1_790_000_100 - (1_790_000_100 % 900);

export function profile(meter: string, k: number): UplinkRecord {
  return { kind: 'profile', meter, obis: '1.0.99.1.0.255', captureS: T0 + 900 * k, values: [1000 + k, 230] };
}
export function batch(id: number, rs: UplinkRecord[], compress = true): Uint8Array {
  const raw = encodeRecords(rs);
  const data = compress ? new Uint8Array(deflateRawSync(raw)) : raw;
  return encodeMessage({ type: 'batch', id, encoding: compress ? ENC_DEFLATE : ENC_RAW, rawLength: raw.length, data });
}

/** The receiver's idempotency against any database (run for SQLite here, PostgreSQL in pg.test.ts). */
export function idempotencySuite(open: () => Promise<Db>): void {
  let db: Db;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => db.close());

  it('the same upload twice: stored once, duplicates counted, acked both times', async () => {
    const up = batch(7, [profile(M1, 0), profile(M1, 1), profile(M1, 2)]);
    for (let k = 0; k < 2; k++) {
      const r = await handleBody(db, up, T0 + 3000);
      assert.deepEqual(decodeMessage((r.reply as Uint8Array).subarray(4, 10)), { type: 'ack', id: 7, status: ACK_STORED });
    }
    const s = await summary(db, { periodS: 900 });
    assert.equal(s.intervalsStored, 3);
    assert.equal(s.duplicates, 3);
    assert.equal(s.uploads, 1);
    assert.equal(s.uploadsResent, 1);
  });

  it('the same records in two uploads: stored once; gaps and expected from first/last capture', async () => {
    await handleBody(db, batch(1, [profile(M1, 0), profile(M1, 1), profile(M2, 0)]), T0 + 3000);
    await handleBody(db, batch(2, [profile(M1, 1), profile(M1, 4), profile(M2, 0)], false), T0 + 6000);
    const s = await summary(db, { periodS: 900 });
    assert.equal(s.meters, 2);
    assert.equal(s.intervalsStored, 4);
    assert.equal(s.duplicates, 2);
    assert.equal(s.intervalsExpected, 5 + 1);
    assert.equal(s.missing, 2);
    const g = await query(db, 'gaps', { periodS: 900 });
    assert.deepEqual(g, [{ meter: M1, obis: '1.0.99.1.0.255', fromS: T0 + 1800, toS: T0 + 2700, missing: 2 }]);
    assert.equal((await query(db, 'intervals', { periodS: 900, meter: M2 })).length, 1);
  });

  it('events in one second: each stored, each once', async () => {
    const ev = (code: number): UplinkRecord => ({ kind: 'event', meter: M1, obis: '0.0.99.98.0.255', captureS: T0 + 5, values: [code] });
    await handleBody(db, batch(11, [ev(1), ev(3)]), T0 + 60);
    await handleBody(db, batch(12, [ev(3), ev(2)]), T0 + 120);
    const s = await summary(db, { periodS: 900 });
    assert.equal(s.events, 3);
    assert.equal(s.duplicates, 1);
  });

  it('alarms: stored once with their latency; p50/p99/max', async () => {
    const al = (id: number, eventS: number) =>
      encodeMessage({ type: 'alarm', id, alarm: { meter: M1, code: 4, eventS, receivedS: eventS + 1, count: 1 } });
    await handleBody(db, al(10, T0), T0 + 2);
    await handleBody(db, al(10, T0), T0 + 9);
    await handleBody(db, al(11, T0 + 100), T0 + 104);
    const s = await summary(db, { periodS: 900 });
    assert.equal(s.alarms, 2);
    assert.equal(s.alarmDuplicates, 1);
    assert.deepEqual(s.alarmLatencyS, { p50: 2, p99: 4, max: 4 });
    const a = await query(db, 'alarms', { periodS: 900 });
    assert.equal(a[0]?.received_s, T0 + 1);
  });

  it('a batch that does not inflate or decode is rejected (acked as such), nothing stored', async () => {
    const raw = encodeRecords([profile(M1, 0)]);
    const bad = encodeMessage({ type: 'batch', id: 3, encoding: ENC_DEFLATE, rawLength: raw.length, data: Uint8Array.of(1, 2, 3) });
    const r = await handleBody(db, bad, T0);
    assert.deepEqual(decodeMessage((r.reply as Uint8Array).subarray(4, 10)), { type: 'ack', id: 3, status: ACK_REJECTED });
    const lying = encodeMessage({ type: 'batch', id: 4, encoding: ENC_RAW, rawLength: raw.length + 1, data: raw });
    assert.match((await handleBody(db, lying, T0)).line, /rejected: raw length/);
    assert.match((await handleBody(db, Uint8Array.of(0x55), T0)).line, /malformed/);
    const s = await summary(db, { periodS: 900 });
    assert.equal(s.intervalsStored, 0);
    assert.equal(s.rejected, 2);
    assert.equal(s.malformed, 1);
  });

  it('balance rows: one per interval, replaced by one with more meters in, never by a resend; not meters', async () => {
    // expected, in, transformer, meters, L1 tr/m, L2 tr/m, L3 tr/m, three-phase, unphased (Wh)
    const bal = (k: number, inn: number, metersWh: number): UplinkRecord => ({
      kind: 'balance',
      meter: '0000000000000000',
      obis: '1.0.1.8.0.255',
      captureS: T0 + 900 * k,
      values: [3, inn, 1050, metersWh, 375, 375, 500, 500, 175, metersWh - 875, 0, 0],
    });
    await handleBody(db, batch(1, [profile(M1, 0), bal(1, 2, 900)]), T0 + 1800);
    await handleBody(db, batch(2, [bal(1, 3, 950), bal(2, 3, 950)]), T0 + 2700);
    await handleBody(db, batch(3, [bal(1, 2, 900), { ...bal(3, 3, 950), values: [1, 2] }]), T0 + 3600);
    const rows = await query(db, 'balance', { periodS: 900 });
    assert.deepEqual(
      rows.map((r) => [r.capture_s, r.meters, r.complete, r.diff_wh, r.diff_pct, r.l1_diff_wh, r.l3_diff_wh]),
      [
        [T0 + 900, '3/3', true, 100, 9.5, 0, 100],
        [T0 + 1800, '3/3', true, 100, 9.5, 0, 100],
      ],
    );
    const s = await summary(db, { periodS: 900 });
    assert.equal(s.meters, 1, 'the area is not a meter');
    assert.equal(s.duplicates, 0, 'balance rows are not counted with the intervals');
    const c = new Map((await db.all('SELECT name, value FROM counters')).map((x) => [String(x.name), Number(x.value)]));
    assert.equal(c.get('balanceDuplicates'), 1);
    assert.equal(c.get('balanceMalformed'), 1);
  });
}

/** serve against a fake concentrator, killed mid-upload and restarted (dbArgs: --db FILE or --pg URL). */
export function serveCase(dbArgs: () => string[]): void {
  it('serve: killed mid-upload and restarted, the concentrator resends: nothing lost, nothing twice', async () => {
    const db = dbArgs();
    const dc = new FakeConcentrator();
    const port = await dc.listen();
    const p1 = headend(['serve', ...db, '--connect', `127.0.0.1:${port}`, '--retry-ms', '50']);
    try {
      await dc.until(() => dc.hellos() === 1, 'HELLO');
      const first = encodeFrame(batch(1, [profile(M1, 0), profile(M1, 1)]));
      dc.socket?.write(first);
      await dc.until(() => dc.acks().includes(1), 'ACK 1');
      // upload 2: half of it, then the receiver dies
      const second = encodeFrame(batch(2, [profile(M1, 2), profile(M1, 3)]));
      dc.socket?.write(second.subarray(0, 10));
      await p1.waitLine(/upload 1 records=2 stored=2/);
      p1.child.kill('SIGKILL');
      await p1.exit;
    } finally {
      p1.child.kill('SIGKILL');
    }
    const p2 = headend(['serve', ...db, '--connect', `127.0.0.1:${port}`, '--retry-ms', '50']);
    try {
      await dc.until(() => dc.hellos() === 2, 'HELLO after restart');
      // the concentrator resends everything unacknowledged since it last heard: 2, and 1 again
      dc.socket?.write(
        Buffer.concat([encodeFrame(batch(2, [profile(M1, 2), profile(M1, 3)])), encodeFrame(batch(1, [profile(M1, 0), profile(M1, 1)]))]),
      );
      await dc.until(() => dc.acks().filter((a) => a === 1).length === 2 && dc.acks().includes(2), 'ACKs 2 and 1');
      // the link drops: the receiver reconnects by itself
      dc.socket?.destroy();
      await dc.until(() => dc.hellos() === 3, 'HELLO after the link dropped');
      p2.child.kill('SIGTERM');
      assert.equal(await p2.exit, 0);
      assert.ok(p2.lines.includes('headend: stopped'));
    } finally {
      p2.child.kill('SIGKILL');
      dc.close();
    }
    const out = spawnSync(process.execPath, ['--import', 'tsx', 'tools/headend/main.ts', 'summary', ...db, '--json'], {
      encoding: 'utf8',
    });
    assert.equal(out.status, 0, out.stderr);
    const s = JSON.parse(out.stdout) as Record<string, unknown>;
    assert.equal(s.intervalsStored, 4);
    assert.equal(s.intervalsExpected, 4);
    assert.equal(s.missing, 0);
    assert.equal(s.duplicates, 2);
    const table = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'tools/headend/main.ts', 'query', 'intervals', ...db, '--meter', M1.toLowerCase()],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(table.stdout.trim().split('\n').length, 5, table.stdout);
  });
}
