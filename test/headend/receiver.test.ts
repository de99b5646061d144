import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../tools/headend/db.js';
import { idempotencySuite, serveCase } from './idempotency.js';

describe('head-end receiver (SQLite)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'headend-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  idempotencySuite(() => openSqlite(join(dir, `t${n++}.db`)));

  serveCase(() => ['--db', join(dir, 'serve.db')]);

  it('bad command lines: one clear line on stderr, exit 2', () => {
    const cases: [string[], RegExp][] = [
      [[], /unknown command \(none\)/],
      [['summary'], /give one of --db FILE or --pg URL/],
      [['query', 'frogs', '--db', 'x'], /query: what is meters, intervals, gaps, alarms or balance/],
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
