/** Token buckets kept in PostgreSQL, so every API process takes requests from the same bucket. */
import type { Queryable } from '../queryable';

/** One bucket's limits: `burst` requests at once, refilled at `ratePerSecond`. */
export interface BucketLimit {
  ratePerSecond: number;
  burst: number;
}

/** What one take found: let through, and the tokens left (or, when refused, the tokens there were). */
export interface BucketTake {
  allowed: boolean;
  tokens: number;
}

// One statement, so two API processes taking from one bucket at once are serialised by the row lock of the
// upsert: the second sees the first's decrement. `now()` is the statement's start on the database's clock; a
// statement that started before the last one committed must neither refill backwards nor move `at` back.
const REFILLED = `LEAST($2::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.at)) * $3::float8)`;
const TAKE_SQL = `
INSERT INTO api_rate_buckets AS b (key, tokens, at, allowed)
VALUES ($1, $2::float8 - 1, now(), true)
ON CONFLICT (key) DO UPDATE SET
  tokens = ${REFILLED} - CASE WHEN ${REFILLED} >= 1 THEN 1 ELSE 0 END,
  allowed = ${REFILLED} >= 1,
  at = GREATEST(b.at, now())
RETURNING allowed, tokens`;

/** Takes one request from `key`'s bucket, creating it full when new. */
export async function takeFromBucket(db: Queryable, key: string, limit: BucketLimit): Promise<BucketTake> {
  const { rows } = await db.query<BucketTake>(TAKE_SQL, [key, limit.burst, limit.ratePerSecond]);
  const row = rows[0];
  if (!row) throw new Error(`rate bucket ${key}: the upsert returned no row`);
  return { allowed: row.allowed, tokens: Number(row.tokens) };
}
