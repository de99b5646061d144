// The few shapes of better-sqlite3 and pg the head-end uses (neither ships its own typings and
// no @types package is installed).
declare module 'better-sqlite3' {
  interface Statement {
    run(...params: unknown[]): { changes: number };
    all(...params: unknown[]): unknown[];
  }
  interface Database {
    prepare(sql: string): Statement;
    exec(sql: string): void;
    pragma(p: string): unknown;
    close(): void;
  }
  const Database: new (file: string) => Database;
  export default Database;
}
declare module 'pg' {
  interface QueryResult {
    rowCount: number | null;
    rows: unknown[];
  }
  class Client {
    constructor(o: { connectionString: string });
    connect(): Promise<void>;
    query(sql: string, params?: unknown[]): Promise<QueryResult>;
    end(): Promise<void>;
  }
  const pg: { Client: typeof Client; types: { setTypeParser(oid: number, f: (v: string) => unknown): void } };
  export default pg;
}
