/** Every run of every kind, newest first, filtered by kind, status, name and label, refreshed live. */
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api, must, type RunSummary } from '../http/client';
import { Labels } from '../components/Labels';
import { Status } from '../components/Status';
import { Link, navigate, useLocation } from '../lib/router';
import { between, showDuration, showTime } from '../lib/time';
import { StartRunLink } from './StartRunLink';
import { apiQuery, filtersFrom, hrefOf, KINDS, STATUSES, type RunFilters } from './runs-filter';

/** How often the list is asked again: live enough to see a run finish, light on the API. */
const REFRESH_MS = 3000;

/** The runs list (`/runs`), its filters taken from the URL. */
export function RunsPage() {
  const { search } = useLocation();
  const filters = filtersFrom(search);
  const query = apiQuery(filters);
  // Older pages load on demand; a refresh asks each loaded page again, so a run keeps its status live on any of them.
  const runs = useInfiniteQuery({
    queryKey: ['runs', query],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      must(await api.GET('/v1/runs', { params: { query: { ...query, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
  });
  const loaded = runs.data?.pages.flatMap((page) => page.runs) ?? [];
  const shown = [...loaded].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <StartRunLink />
      <FilterBar filters={filters} />
      {runs.isError && (
        <p role="alert" className="error">
          {runs.error.message}
        </p>
      )}
      {runs.isPending ? (
        <p className="loading">Loading runs…</p>
      ) : (
        <>
          <p className="count" aria-live="polite">
            {shown.length} run{shown.length === 1 ? '' : 's'}
            {runs.hasNextPage ? ' shown; older runs match too' : ''}
          </p>
          {shown.length === 0 ? <p className="empty">No run matches these filters.</p> : <RunTable runs={shown} />}
          {runs.hasNextPage && (
            <p>
              <button type="button" onClick={() => void runs.fetchNextPage()} disabled={runs.isFetchingNextPage}>
                {runs.isFetchingNextPage ? 'Loading…' : 'Load older runs'}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}

function RunTable({ runs }: { runs: RunSummary[] }) {
  return (
    <div className="table-wrap">
      <table className="runs" data-testid="runs-table">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Labels</th>
            <th scope="col">Started by</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.runId} data-run-id={run.runId}>
              <td>
                <Link href={`/runs/${encodeURIComponent(run.runId)}`} className="run-name">
                  {run.name ?? run.runId}
                </Link>
                {run.name && <div className="run-id">{run.runId}</div>}
              </td>
              <td>{run.kind}</td>
              <td>
                <Status status={run.status} />
              </td>
              <td>
                <Labels labels={run.labels} />
              </td>
              <td className="nowrap">{run.startedBy ?? '—'}</td>
              <td className="nowrap">
                <time dateTime={run.startedAt}>{showTime(run.startedAt)}</time>
              </td>
              <td className="nowrap">{showDuration(run.durationMs ?? between(run.startedAt))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FilterBar({ filters }: { filters: RunFilters }) {
  const [name, setName] = useState(filters.name ?? '');
  const [label, setLabel] = useState(filters.label ?? '');
  // Back and Forward change the URL under the fields: they follow it.
  useEffect(() => setName(filters.name ?? ''), [filters.name]);
  useEffect(() => setLabel(filters.label ?? ''), [filters.label]);
  const apply = (next: RunFilters) => navigate(hrefOf(next));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply({ ...filters, name: name.trim() || undefined, label: label.trim() || undefined });
  };
  return (
    <form className="filters" role="search" aria-label="Filter runs" onSubmit={submit}>
      <div className="field">
        <label htmlFor="f-kind">Kind</label>
        <select
          id="f-kind"
          value={filters.kind ?? ''}
          onChange={(e) => apply({ ...filters, kind: KINDS.find((k) => k === e.target.value) })}
        >
          <option value="">All kinds</option>
          {KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {kind}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-status">Status</label>
        <select
          id="f-status"
          value={filters.status ?? ''}
          onChange={(e) => apply({ ...filters, status: STATUSES.find((s) => s === e.target.value) })}
        >
          <option value="">Any status</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-name">Name starts with</label>
        <input id="f-name" type="search" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="f-label">Label</label>
        <input
          id="f-label"
          type="search"
          placeholder="key=value"
          value={label}
          onChange={(e) => setLabel(e.target.value)}
        />
      </div>
      <div className="field filter-actions">
        <button type="submit">Filter</button>
        {(filters.kind || filters.status || filters.name || filters.label) && (
          <Link href="/runs" className="button-link">
            Clear
          </Link>
        )}
      </div>
    </form>
  );
}
