/** The audit log of `/admin`: filters kept in the URL, newest first, older pages loaded by cursor. */
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api, must } from '../http/client';
import { Link, navigate, useLocation } from '../lib/router';
import { showTime } from '../lib/time';

const FIELDS = ['principal', 'action', 'target', 'since', 'until', 'limit'] as const;
type AuditFilters = Partial<Record<(typeof FIELDS)[number], string>>;
/** Actions the API records, offered as suggestions (any text may be typed). */
const ACTIONS = [
  'token.create',
  'token.revoke',
  'session.start',
  'session.end',
  'task.start',
  'dag.start',
  'run.cancel',
  'run.retry',
];
/** Entries per page unless the URL's `limit` (1 to 500) says otherwise. */
const PAGE_SIZE = 50;

function filtersFrom(search: URLSearchParams): AuditFilters {
  const filters: AuditFilters = {};
  for (const field of FIELDS) {
    const value = search.get(field);
    if (value) filters[field] = value;
  }
  return filters;
}

function hrefOf(filters: AuditFilters): string {
  const q = new URLSearchParams();
  for (const field of FIELDS) if (filters[field]) q.set(field, filters[field]!);
  const text = q.toString();
  return text ? `/admin?${text}` : '/admin';
}

/** An ISO instant as a datetime-local value in the browser's zone (what the field shows). */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (the browser's zone) as an ISO instant for the API. */
function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The audit log with its filters. */
export function AuditLog() {
  const { search } = useLocation();
  const filters = filtersFrom(search);
  const { limit, ...query } = filters;
  const pageSize = Math.min(500, Math.max(1, Number(limit) || PAGE_SIZE));
  const entries = useInfiniteQuery({
    queryKey: ['audit', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      must(
        await api.GET('/v1/audit', {
          params: { query: { ...query, limit: pageSize, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const rows = entries.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <section aria-labelledby="audit-title" className="card">
      <h2 id="audit-title">Audit log</h2>
      <AuditFilterBar filters={filters} />
      {entries.isError && (
        <p role="alert" className="error">
          {entries.error.message}
        </p>
      )}
      {entries.isPending ? (
        <p className="loading">Loading the audit log…</p>
      ) : rows.length === 0 ? (
        <p className="empty">No entry matches these filters.</p>
      ) : (
        <div className="table-wrap">
          <table className="data audit" data-testid="audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Principal</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Request</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <td className="nowrap">
                    <time dateTime={e.at}>{showTime(e.at)}</time>
                  </td>
                  <td className="mono nowrap">{e.principal}</td>
                  <td className="mono">{e.action}</td>
                  <td className="mono breakable">{e.target ?? '—'}</td>
                  <td className="mono breakable">
                    {e.method} {e.path}
                  </td>
                  <td>
                    <span className={`outcome outcome-${e.outcome}`}>{e.outcome}</span>
                    {e.status !== null && <span className="hint"> {e.status}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries.hasNextPage && (
        <p>
          <button type="button" onClick={() => void entries.fetchNextPage()} disabled={entries.isFetchingNextPage}>
            {entries.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
          </button>
        </p>
      )}
    </section>
  );
}

function AuditFilterBar({ filters }: { filters: AuditFilters }) {
  const [draft, setDraft] = useState(() => ({
    principal: filters.principal ?? '',
    action: filters.action ?? '',
    target: filters.target ?? '',
    since: toLocalInput(filters.since),
    until: toLocalInput(filters.until),
  }));
  const key = hrefOf(filters);
  // Back and Forward change the URL under the fields: they follow it.
  useEffect(() => {
    setDraft({
      principal: filters.principal ?? '',
      action: filters.action ?? '',
      target: filters.target ?? '',
      since: toLocalInput(filters.since),
      until: toLocalInput(filters.until),
    });
  }, [key]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(
      hrefOf({
        limit: filters.limit,
        principal: draft.principal.trim() || undefined,
        action: draft.action.trim() || undefined,
        target: draft.target.trim() || undefined,
        since: fromLocalInput(draft.since),
        until: fromLocalInput(draft.until),
      }),
    );
  };
  const text = (field: 'principal' | 'action' | 'target', label: string, list?: string) => (
    <div className="field">
      <label htmlFor={`a-${field}`}>{label}</label>
      <input
        id={`a-${field}`}
        type="search"
        value={draft[field]}
        list={list}
        spellCheck={false}
        onChange={(e) => setDraft({ ...draft, [field]: e.target.value })}
      />
    </div>
  );
  return (
    <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={submit}>
      {text('principal', 'Principal')}
      {text('action', 'Action', 'audit-actions')}
      <datalist id="audit-actions">
        {ACTIONS.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      {text('target', 'Target')}
      <div className="field">
        <label htmlFor="a-since">Since</label>
        <input
          id="a-since"
          type="datetime-local"
          value={draft.since}
          onChange={(e) => setDraft({ ...draft, since: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor="a-until">Until</label>
        <input
          id="a-until"
          type="datetime-local"
          value={draft.until}
          onChange={(e) => setDraft({ ...draft, until: e.target.value })}
        />
      </div>
      <div className="field filter-actions">
        <button type="submit">Filter</button>
        {key !== '/admin' && (
          <Link href="/admin" className="button-link">
            Clear
          </Link>
        )}
      </div>
    </form>
  );
}
