/** A database of its own for each test stack, on the suite's real PostgreSQL server. */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The suite's PostgreSQL superuser URL, set by test/run-tests. */
export function testDatabaseAdminUrl(): string {
  const url = process.env.CAPSTAN_TEST_DATABASE_URL;
  if (!url) throw new Error('CAPSTAN_TEST_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

/** A fresh, empty database on the suite's server (or `adminUrl`'s); `drop` removes it even while connections remain. */
export async function createTestDatabase(
  adminUrl = testDatabaseAdminUrl(),
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `capstan_test_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Runs `work` on one connection to `url`, closed afterwards. */
export async function withAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
