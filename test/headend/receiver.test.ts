import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame } from '../../modules/nonlegal/headend/wire.js';
import { openSqlite } from '../../tools/headend/db.js';
import { FakeConcentrator, headend } from './helpers.js';
import { M1, batch, idempotencySuite, profile } from './idempotency.js';

describe('head-end receiver (SQLite)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'headend-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  idempotencySuite(() => openSqlite(join(dir, `t${n++}.db`)));

  it('serve: killed mid-upload and restarted, the concentrator resends: nothing lost, nothing twice', async () => {
    const dbFile = join(dir, 'serve.db');
    const dc = new FakeConcentrator();
    const port = await dc.listen();
    const p1 = headend(['serve', '--db', dbFile, '--connect', `127.0.0.1:${port}`, '--retry-ms', '50']);
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
    const p2 = headend(['serve', '--db', dbFile, '--connect', `127.0.0.1:${port}`, '--retry-ms', '50']);
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
    const out = spawnSync(process.execPath, ['--import', 'tsx', 'tools/headend/main.ts', 'summary', '--db', dbFile, '--json'], {
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
      ['--import', 'tsx', 'tools/headend/main.ts', 'query', 'intervals', '--db', dbFile, '--meter', M1.toLowerCase()],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(table.stdout.trim().split('\n').length, 5, table.stdout);
  });

  it('bad command lines: one clear line on stderr, exit 2', () => {
    const cases: [string[], RegExp][] = [
      [[], /unknown command \(none\)/],
      [['summary'], /give one of --db FILE or --pg URL/],
      [['query', 'frogs', '--db', 'x'], /query: what is meters, intervals, gaps or alarms/],
      [['serve', '--db', join(dir, 'x.db')], /--connect HOST:PORT is required/],
      [['serve', '--db', join(dir, 'x.db'), '--connect', 'nohost'], /--connect HOST:PORT/],
      [['summary', '--db', 'x', '--meter', '12'], /--meter: an EUI-64/],
      [['summary', '--db', 'x', '--period'], /--period needs a value/],
      [['summary', '--db', 'x', '--bogus'], /unknown option --bogus/],
    ];
    for (const [args, re] of cases) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/headend/main.ts', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
    }
  });
});
