/**
 * Entry point of the embedded database that `npm start` runs when no CAPSTAN_DATABASE_URL is given:
 * no database server needs to be installed, and every process still talks to it with `pg` and the
 * same SQL as to a real PostgreSQL server.
 */
import { join } from 'node:path';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { startEmbeddedDatabase } from './embedded';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('embedded-db', config.logLevel);
  const dir = join(config.dataDir, 'postgres');
  const database = await startEmbeddedDatabase(dir, config.database.embeddedPort);
  logger.info({ dir, url: database.url }, 'embedded PostgreSQL (PGlite) listening');
  const stop = (): void => {
    void database.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`embedded database failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
