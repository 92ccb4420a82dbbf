/** One run: summary, actions the role allows, the DAG with live states, a node's panel and log. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { ApiFailure, api, must, type RunDetail } from '../http/client';
import { canOperate, useSession } from '../http/session';
import { DagGraph, type GraphJson } from '../components/DagGraph';
import { Labels } from '../components/Labels';
import { LogView } from '../components/LogView';
import { Status } from '../components/Status';
import { Link, navigate, useLocation } from '../lib/router';
import { useRunEvents } from '../lib/run-events';
import { between, showDuration, showTime, useNow } from '../lib/time';
import { NodePanel } from './NodePanel';
import { PipelineRun } from './PipelineRun';

/** A backstop to the event stream: a running run's details are asked again this often. */
const REFRESH_MS = 5000;
/** Node states the run's details (and so its event stream) carry; a larger graph is asked again for the rest. */
const NODE_PAGE = 1000;
/** How often a running large run's graph is asked again, for the states of nodes past the first page. */
const GRAPH_REFRESH_MS = 10_000;

/** The page of one run (`/runs/:id`), live while it runs. */
export function RunPage({ runId }: { runId: string }) {
  const { search } = useLocation();
  const selected = search.get('node') ?? undefined;
  const run = useQuery({
    queryKey: ['run', runId],
    queryFn: async () => must(await api.GET('/v1/runs/{id}', { params: { path: { id: runId } } })),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? REFRESH_MS : false),
  });
  const running = run.data?.status === 'running';
  const live = useRunEvents(runId, running);
  const isDag = run.data?.kind === 'dag';
  const graphOf = (states: 'all' | 'none') => async (): Promise<GraphJson> => {
    const data = must(
      await api.GET('/v1/runs/{id}/graph', { params: { path: { id: runId }, query: { format: 'json', states } } }),
    );
    // The route answers SVG, Mermaid or JSON; asked for JSON, text would be a broken answer.
    if (typeof data === 'string') throw new ApiFailure(502, 'the graph came back as text, not JSON');
    return data as GraphJson;
  };
  const graph = useQuery({
    queryKey: ['run', runId, 'graph'],
    enabled: isDag,
    queryFn: graphOf('all'),
    refetchInterval: (query) =>
      running && (query.state.data?.nodes.length ?? 0) > NODE_PAGE ? GRAPH_REFRESH_MS : false,
  });
  // The shape alone answers at once however large the run; it is drawn until the states of every node arrive.
  const shape = useQuery({
    queryKey: ['run', runId, 'graph', 'shape'],
    enabled: isDag && !graph.data,
    queryFn: graphOf('none'),
    staleTime: Infinity,
  });
  const drawn = graph.data ?? shape.data;
  const firstPage = run.data?.dag?.nodes;
  // Over the shape, the states the run's details carry (its first nodes), then the live ones.
  const shownLive = useMemo(() => {
    if (graph.data || !firstPage) return live;
    const merged = new Map(firstPage.map((n) => [n.key, n.status as string]));
    for (const [key, status] of live) merged.set(key, status);
    return merged;
  }, [graph.data, firstPage, live]);
  const indexOf = useMemo(() => new Map(drawn?.nodes.map((n, i) => [n.key, i])), [drawn]);
  const selectedIndex = selected === undefined ? undefined : indexOf.get(selected);
  const inFirstPage = selected !== undefined && run.data?.dag?.nodes.some((n) => n.key === selected);
  // A node past the first page of the run's details: its own page of one, by its place in the plan.
  const farNode = useQuery({
    queryKey: ['run', runId, 'node', selectedIndex],
    enabled: selectedIndex !== undefined && run.data !== undefined && !inFirstPage,
    queryFn: async () => {
      const page = must(
        await api.GET('/v1/runs/{id}', {
          params: { path: { id: runId }, query: { offset: selectedIndex!, limit: 1 } },
        }),
      );
      return page.dag?.nodes.find((n) => n.key === selected) ?? null;
    },
  });

  if (run.isPending) return <p className="loading">Loading run…</p>;
  if (run.isError)
    return (
      <section>
        <h1>Run {runId}</h1>
        <p role="alert" className="error">
          {run.error.message}
        </p>
        <p>
          <Link href="/runs">Back to the runs</Link>
        </p>
      </section>
    );
  const detail = run.data;
  const base = `/runs/${encodeURIComponent(runId)}`;
  const hrefOf = (key: string) => `${base}?node=${encodeURIComponent(key)}`;
  const node = selected ? (detail.dag?.nodes.find((n) => n.key === selected) ?? farNode.data ?? undefined) : undefined;
  const reused = new Set(detail.dag?.nodes.filter((n) => n.reused === true).map((n) => n.key));

  return (
    <section aria-labelledby="run-title" className="run-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/runs">Runs</Link> <span aria-hidden="true">/</span> <span>{detail.name ?? runId}</span>
      </nav>
      <div className="run-head">
        <h1 id="run-title">{detail.name ?? runId}</h1>
        <Status status={detail.status} />
        <RunActions detail={detail} />
      </div>
      <Summary detail={detail} />
      {detail.kind === 'stack' && detail.name && (
        <p>
          <Link href={`/stacks/${detail.name}`}>Open the stack page: diff, approval, progress and history</Link>
        </p>
      )}
      {detail.failure && <Failure failure={detail.failure} hrefOf={hrefOf} />}
      {isDag && (
        <div className={`dag-area${selected ? ' with-panel' : ''}`}>
          <section aria-label="Graph" className="card graph-card">
            <h2>Graph</h2>
            {graph.isError && (
              <p role="alert" className="error">
                {graph.error.message}
              </p>
            )}
            {!graph.data && drawn && drawn.nodes.length > NODE_PAGE && (
              <p className="hint" role="status">
                Drawn from the plan; the states of nodes past the first {NODE_PAGE.toLocaleString('en')} are loading…
              </p>
            )}
            {drawn && (
              <DagGraph
                graph={drawn}
                live={shownLive}
                reused={reused}
                selected={selected}
                hrefOf={hrefOf}
                onSelect={(key) => navigate(hrefOf(key))}
                title={`Graph of ${detail.name ?? runId}`}
              />
            )}
            <Legend />
          </section>
          {selected && (
            <NodePanel
              key={selected}
              runId={runId}
              nodeKey={selected}
              node={node}
              liveStatus={live.get(selected)}
              onClose={() => navigate(base)}
            />
          )}
        </div>
      )}
      {detail.kind === 'pipeline' && <PipelineRun detail={detail} />}
      {detail.kind === 'task' && (
        <div className="card">
          <LogView url={`/v1/runs/${encodeURIComponent(runId)}/log`} title="Log" />
        </div>
      )}
    </section>
  );
}

function Summary({ detail }: { detail: RunDetail }) {
  const result = detail.result as { exitCode?: number; worker?: string; attempts?: number } | undefined;
  const now = useNow(detail.status === 'running');
  return (
    <dl className="summary card">
      <div>
        <dt>Run id</dt>
        <dd className="mono">{detail.runId}</dd>
      </div>
      <div>
        <dt>Kind</dt>
        <dd>{detail.kind}</dd>
      </div>
      {detail.nodeClass && (
        <div>
          <dt>Node class</dt>
          <dd>{detail.nodeClass}</dd>
        </div>
      )}
      <div>
        <dt>Started</dt>
        <dd>
          <time dateTime={detail.startedAt}>{showTime(detail.startedAt)}</time>
        </dd>
      </div>
      <div>
        <dt>{detail.finishedAt ? 'Finished' : 'Running for'}</dt>
        <dd>
          {detail.finishedAt ? (
            <time dateTime={detail.finishedAt}>{showTime(detail.finishedAt)}</time>
          ) : (
            showDuration(between(detail.startedAt, undefined, now))
          )}
        </dd>
      </div>
      {detail.durationMs !== undefined && (
        <div>
          <dt>Duration</dt>
          <dd>{showDuration(detail.durationMs)}</dd>
        </div>
      )}
      {detail.startedBy && (
        <div>
          <dt>Started by</dt>
          <dd>{detail.startedBy}</dd>
        </div>
      )}
      {detail.dag && (
        <div>
          <dt>Nodes</dt>
          <dd>
            {Object.entries(detail.dag.counts)
              .filter(([, n]) => n > 0)
              .map(([status, n]) => `${n} ${status}`)
              .join(', ') || `${detail.dag.total}`}
          </dd>
        </div>
      )}
      {result?.exitCode !== undefined && (
        <div>
          <dt>Exit code</dt>
          <dd>{result.exitCode}</dd>
        </div>
      )}
      {result?.worker && (
        <div>
          <dt>Worker</dt>
          <dd>{result.worker}</dd>
        </div>
      )}
      {detail.labels && (
        <div>
          <dt>Labels</dt>
          <dd>
            <Labels labels={detail.labels} />
          </dd>
        </div>
      )}
      {detail.webUiUrl && (
        <div>
          <dt>History</dt>
          <dd>
            <a href={detail.webUiUrl} target="_blank" rel="noreferrer">
              Open in the Temporal UI
            </a>
          </dd>
        </div>
      )}
    </dl>
  );
}

/** The run's failure in its own words, with each failed task's last lines (the whole log is a click away). */
function Failure({ failure, hrefOf }: { failure: NonNullable<RunDetail['failure']>; hrefOf: (key: string) => string }) {
  return (
    <section className="card failure" aria-label="Failure">
      <h2>Why it failed</h2>
      <p>{failure.message}</p>
      {failure.logTail && <pre className="log-text short">{failure.logTail.lines.join('\n')}</pre>}
      {failure.tasks?.map((task) => (
        <div key={task.key} className="failed-task">
          <h3>
            <Link href={hrefOf(task.key)}>{task.key}</Link>
            {task.exitCode !== undefined && <span className="hint"> · exit code {task.exitCode}</span>}
          </h3>
          {task.message && <p>{task.message}</p>}
          {task.logTail && (
            <pre className="log-text short" aria-label={`Last lines of ${task.key}`}>
              {task.logTail.truncated ? '…\n' : ''}
              {task.logTail.lines.join('\n')}
            </pre>
          )}
        </div>
      ))}
    </section>
  );
}

/** Cancel and Retry, offered only to roles that may use them (the API refuses the others anyway). */
function RunActions({ detail }: { detail: RunDetail }) {
  const session = useSession();
  const client = useQueryClient();
  const id = detail.runId;
  const cancel = useMutation({
    mutationFn: async () => must(await api.POST('/v1/runs/{id}/cancel', { params: { path: { id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['run', id] }),
  });
  const retry = useMutation({
    mutationFn: async () => must(await api.POST('/v1/runs/{id}/retry', { params: { path: { id } } })),
    onSuccess: (started) => navigate(`/runs/${encodeURIComponent(started.runId)}`),
  });
  if (!canOperate(session.data)) return null;
  const failed = cancel.error ?? retry.error;
  return (
    <div className="actions">
      {detail.status === 'running' && (
        <button type="button" className="danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
          {cancel.isPending ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
      {detail.kind === 'dag' && detail.status === 'failed' && (
        <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
          {retry.isPending ? 'Retrying…' : 'Retry from failure'}
        </button>
      )}
      {detail.kind === 'pipeline' && (detail.status === 'failed' || detail.status === 'cancelled') && (
        <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
          {retry.isPending ? 'Re-running…' : 'Re-run failed jobs'}
        </button>
      )}
      {failed && (
        <p role="alert" className="error">
          {failed.message}
        </p>
      )}
    </div>
  );
}

function Legend() {
  return (
    <ul className="legend" aria-label="Node states">
      {['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'].map((s) => (
        <li key={s}>
          <span className={`swatch node-${s}`} aria-hidden="true" />
          {s}
        </li>
      ))}
    </ul>
  );
}
