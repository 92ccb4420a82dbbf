/** The runs list's filters, read from and written to the URL query so links and Back keep them. */
import type { paths } from '../http/schema.gen';

type ListQuery = NonNullable<paths['/v1/runs']['get']['parameters']['query']>;

/** Kinds the API filters by (the OpenAPI document's enums, listed for the selects; a wrong one fails to compile). */
export const KINDS: ReadonlyArray<NonNullable<ListQuery['kind']>> = ['task', 'dag', 'pipeline', 'stack'];
/** Statuses the API filters by. */
export const STATUSES: ReadonlyArray<NonNullable<ListQuery['status']>> = [
  'running',
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'timed_out',
  'continued_as_new',
];

/** The filters of the runs page. */
export interface RunFilters {
  kind?: ListQuery['kind'];
  status?: ListQuery['status'];
  name?: string;
  /** `key=value`, or `key` for any value. */
  label?: string;
  /** Runs per page asked of the API (1 to 100; 100 when absent). */
  limit?: string;
}

/** Runs per page when the URL names no other: the most the API gives at once. */
export const PAGE_SIZE = 100;

/** Filters from the URL; values the API would refuse are dropped rather than sent. */
export function filtersFrom(search: URLSearchParams): RunFilters {
  const kind = KINDS.find((k) => k === search.get('kind'));
  const status = STATUSES.find((s) => s === search.get('status'));
  const name = search.get('name')?.trim() || undefined;
  const label = search.get('label')?.trim() || undefined;
  const asked = Number(search.get('limit'));
  const limit = Number.isInteger(asked) && asked >= 1 && asked < PAGE_SIZE ? String(asked) : undefined;
  return { kind, status, name, label, limit };
}

/** The URL of the runs page with these filters. */
export function hrefOf(filters: RunFilters): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value);
  const query = search.toString();
  return query ? `/runs?${query}` : '/runs';
}

/** The query of GET /v1/runs for these filters: the API filters every run, not just a loaded page. */
export function apiQuery(filters: RunFilters): ListQuery {
  return {
    ...(filters.kind ? { kind: filters.kind } : {}),
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.name ? { name: filters.name } : {}),
    ...(filters.label ? { label: filters.label } : {}),
    limit: filters.limit ? Number(filters.limit) : PAGE_SIZE,
  };
}
