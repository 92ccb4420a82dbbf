/** Pipeline runs grouped by repository and branch, newest first, with status, trigger and commit; live. */
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { api, must, type RunSummary } from '../http/client';
import { Status } from '../components/Status';
import { Link, navigate, useLocation } from '../lib/router';
import { between, showDuration, showTime } from '../lib/time';
import './pipelines.css';

const REFRESH_MS = 3000;

/** `/pipelines?repository=…&branch=…`: the filter runs over the loaded pages (the API filters by kind only). */
export function PipelinesPage() {
  const { search } = useLocation();
  const repository = search.get('repository') ?? undefined;
  const branch = search.get('branch') ?? undefined;
  const runs = useInfiniteQuery({
    queryKey: ['runs', { kind: 'pipeline', limit: 100 }],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      must(
        await api.GET('/v1/runs', {
          params: { query: { kind: 'pipeline', limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
  });
  const loaded = (runs.data?.pages.flatMap((page) => page.runs) ?? []).sort(
    (a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt),
  );
  const repositories = [...new Set(loaded.map(repositoryOf))].sort();
  const branches = [
    ...new Set(loaded.filter((r) => !repository || repositoryOf(r) === repository).map(branchOf)),
  ].sort();
  const shown = loaded.filter(
    (r) => (!repository || repositoryOf(r) === repository) && (!branch || branchOf(r) === branch),
  );
  const groups = new Map<string, RunSummary[]>();
  for (const run of shown) {
    const key = `${repositoryOf(run)}\u0000${branchOf(run)}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const apply = (next: { repository?: string; branch?: string }) => {
    const params = new URLSearchParams();
    if (next.repository) params.set('repository', next.repository);
    if (next.branch) params.set('branch', next.branch);
    const query = params.toString();
    navigate(`/pipelines${query ? `?${query}` : ''}`);
  };

  return (
    <section aria-labelledby="pipelines-title">
      <h1 id="pipelines-title">Pipelines</h1>
      <form className="filters" role="search" aria-label="Filter pipeline runs" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="p-repository">Repository</label>
          <select
            id="p-repository"
            value={repository ?? ''}
            onChange={(e) => apply({ repository: e.target.value || undefined })}
          >
            <option value="">All repositories</option>
            {[...new Set([...repositories, ...(repository ? [repository] : [])])].map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="p-branch">Branch</label>
          <select
            id="p-branch"
            value={branch ?? ''}
            onChange={(e) => apply({ repository, branch: e.target.value || undefined })}
          >
            <option value="">All branches</option>
            {[...new Set([...branches, ...(branch ? [branch] : [])])].map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field filter-actions">
          <Link href="/environments" className="button-link">
            Environments
          </Link>
        </div>
      </form>
      {runs.isError && (
        <p role="alert" className="error">
          {runs.error.message}
        </p>
      )}
      {runs.isPending ? (
        <p className="loading">Loading pipeline runs…</p>
      ) : (
        <>
          <p className="count" aria-live="polite">
            {shown.length} pipeline run{shown.length === 1 ? '' : 's'}
            {runs.hasNextPage ? ` among the newest ${loaded.length}` : ''}
          </p>
          {shown.length === 0 && <p className="empty">No pipeline run matches.</p>}
          {[...groups.entries()].map(([key, group]) => {
            const [repo, br] = key.split('\u0000') as [string, string];
            return (
              <section key={key} className="card pipeline-group" aria-label={`${repo} on ${br}`}>
                <h2>
                  <Link href={`/pipelines?repository=${encodeURIComponent(repo)}`}>{repo}</Link>{' '}
                  <span className="hint">on</span>{' '}
                  <Link href={`/pipelines?repository=${encodeURIComponent(repo)}&branch=${encodeURIComponent(br)}`}>
                    {br}
                  </Link>
                </h2>
                <PipelineTable runs={group} />
              </section>
            );
          })}
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

/** Older runs (before branch and commit rode in the labels) are grouped under a dash. */
function repositoryOf(run: RunSummary): string {
  return run.labels?.repository ?? '—';
}

/** A tag push has no branch; its tag stands in the branch column. */
function branchOf(run: RunSummary): string {
  return run.labels?.branch ?? (run.labels?.tag !== undefined ? `tag ${run.labels.tag}` : '—');
}

function PipelineTable({ runs }: { runs: RunSummary[] }) {
  return (
    <div className="table-wrap">
      <table className="runs" data-testid="pipeline-runs">
        <thead>
          <tr>
            <th scope="col">Pipeline</th>
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Commit</th>
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
                <div className="run-id">{run.runId}</div>
              </td>
              <td>
                <Status status={run.status} />
              </td>
              <td className="nowrap">
                {run.labels?.event ?? '—'}
                {run.startedBy ? ` by ${run.startedBy}` : ''}
              </td>
              <td className="mono nowrap">{run.labels?.commit ?? '—'}</td>
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
