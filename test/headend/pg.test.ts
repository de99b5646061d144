// The receiver's cases against PostgreSQL: a private server started by tools/pg.mjs (Debian's
// PostgreSQL binaries), one database per case. Skips, saying so, where no server is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../emulator/node.js';
import { openPg } from '../../tools/headend/db.js';
import { pgBin } from '../../tools/pg.mjs';
import { idempotencySuite, serveCase } from './idempotency.js';

const bin = pgBin();
if (!bin) {
  describe('head-end receiver (PostgreSQL)', () => {
    it('skipped: no PostgreSQL server in /usr/lib/postgresql/*/bin');
  });
} else {
  describe('head-end receiver (PostgreSQL)', function () {
    this.timeout(60000);
    let dir: string;
    let base = '';
    let n = 0;
    const fresh = () => {
      const name = `he${n++}`;
      execFileSync(process.execPath, [
        '-e',
        `const {Client}=require('pg');const c=new Client({connectionString:'${base}/postgres'});c.connect().then(()=>c.query('CREATE DATABASE ${name}')).then(()=>c.end())`,
      ]);
      return `${base}/${name}`;
    };
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'headend-pg-'));
      chmodSync(dir, 0o755); // the server may run as another user (tools/pg.mjs, as root)
      const port = await freePort();
      const r = spawnSync(process.execPath, ['tools/pg.mjs', 'start', '--port', String(port), '--dir', join(dir, 'db')], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(r.stderr);
      base = `postgresql://meterfw@127.0.0.1:${port}`;
    });
    after(() => {
      spawnSync(process.execPath, ['tools/pg.mjs', 'stop', '--dir', join(dir, 'db')]);
      rmSync(dir, { recursive: true, force: true });
    });
    idempotencySuite(() => openPg(fresh()));
    serveCase(() => ['--pg', fresh()]);
  });
}
