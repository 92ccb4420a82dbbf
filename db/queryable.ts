/** What a store runs its statements on. */
import type { Pool, PoolClient } from 'pg';

/** A pool, or one client of it inside a transaction. */
export type Queryable = Pool | PoolClient;
