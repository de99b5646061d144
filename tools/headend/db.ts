/// <reference path="./deps.d.ts" />
// The head-end's database behind one small interface: SQLite (better-sqlite3, the default) or
// PostgreSQL (pg). The SQL is written once with `?` placeholders (schema.sql and store.ts);
// the PostgreSQL side numbers them ($1, $2, ...).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Row = Record<string, unknown>;
export interface Db {
  readonly kind: 'sqlite' | 'pg';
  /** Rows changed */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const SCHEMA = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'schema.sql'), 'utf8');

function statements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export async function openSqlite(file: string): Promise<Db> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  for (const s of statements(SCHEMA)) db.exec(s);
  let depth = 0;
  return {
    kind: 'sqlite',
    run: async (sql, params = []) => db.prepare(sql).run(...(params as unknown[])).changes,
    all: async (sql, params = []) => db.prepare(sql).all(...(params as unknown[])) as Row[],
    transaction: async (fn) => {
      if (depth++ > 0) throw new Error('nested transaction');
      db.exec('BEGIN IMMEDIATE');
      try {
        const r = await fn();
        db.exec('COMMIT');
        return r;
      } catch (e) {
        db.exec('ROLLBACK');
        throw e;
      } finally {
        depth--;
      }
    },
    close: async () => db.close(),
  };
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export async function openPg(url: string): Promise<Db> {
  const { default: pg } = await import('pg');
  // BIGINT (int8) and DOUBLE PRECISION come back as numbers: every value here fits 2^53
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const s of statements(SCHEMA)) await client.query(s);
  return {
    kind: 'pg',
    run: async (sql, params = []) => (await client.query(numbered(sql), params as unknown[])).rowCount ?? 0,
    all: async (sql, params = []) => (await client.query(numbered(sql), params as unknown[])).rows as Row[],
    transaction: async (fn) => {
      await client.query('BEGIN');
      try {
        const r = await fn();
        await client.query('COMMIT');
        return r;
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    },
    close: async () => client.end(),
  };
}
