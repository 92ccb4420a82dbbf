/** The embedded database: PGlite (PostgreSQL compiled to WebAssembly) served over the PostgreSQL wire protocol. */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdirSync } from 'node:fs';

/** A running embedded database. */
export interface EmbeddedDatabase {
  url: string;
  /** Closes connections and flushes the data directory. */
  stop(): Promise<void>;
}

/** Opens (or creates) the database in `dir` and serves it on 127.0.0.1:`port` to any `pg` client. */
export async function startEmbeddedDatabase(dir: string, port: number): Promise<EmbeddedDatabase> {
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  // PGlite runs one query at a time; the socket server queues the queries of every connection.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 100 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
