/**
 * The object store (the bucket, or directory, the workers share for outputs and artifacts) seen from the API:
 * a store that cannot be reached is a 503 naming the store, not a 500, and not mistaken for the database.
 */
import type { ArtifactStore } from '../config/artifacts/artifact-store';
import { ApiError } from './errors';

/** Network failures before any answer (Node's codes and the AWS SDK's names for them). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'TimeoutError',
]);

/** True when the store gave no answer at all, or answered that it is unavailable (5xx). */
function isUnreachable(err: unknown): boolean {
  const e = err as { $metadata?: { httpStatusCode?: number }; code?: string; name?: string; cause?: { code?: string } };
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  return [e?.code, e?.cause?.code, e?.name].some((code) => code !== undefined && UNREACHABLE.has(code));
}

/** Runs one call on the store at `location`; an unreachable store becomes a 503 that says which store and to retry. */
export async function fromObjectStore<T>(location: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError || !isUnreachable(err)) throw err;
    throw new ApiError(
      503,
      'object_store_unavailable',
      `the object store ${location} is not reachable (${(err as Error).message || (err as Error).name}); retry later`,
    );
  }
}

/** The same store, each of whose calls answers 503 while the store cannot be reached. */
export function guardArtifactStore(store: ArtifactStore): ArtifactStore {
  return {
    location: store.location,
    put: (key, source) => fromObjectStore(store.location, () => store.put(key, source)),
    get: (key, target, maxBytes) => fromObjectStore(store.location, () => store.get(key, target, maxBytes)),
    list: (prefix) => fromObjectStore(store.location, () => store.list(prefix)),
    delete: (key) => fromObjectStore(store.location, () => store.delete(key)),
  };
}
