/** One stack: status, config (secrets masked), TTL, resources, drift, the current or latest operation live, and its history. */
import { useQuery } from '@tanstack/react-query';
import { ApiFailure, api, must } from '../http/client';
import { canOperate, useSession } from '../http/session';
import { Labels } from '../components/Labels';
import { Status } from '../components/Status';
import { Link } from '../lib/router';
import { between, showDuration, showTime, useNow } from '../lib/time';
import { StackOperation } from './StackOperation';
import { StackStart } from './StackStart';
import {
  countsInWords,
  nameOfUrn,
  stackRunId,
  type ResourceChange,
  type StackDetail,
  type StackOperationEntry,
} from './stack-types';
import './stacks.css';

/** A running operation is asked again this often, so phases and engine progress show live. */
const LIVE_MS = 1000;
/** An idle stack is asked again this often, so an operation started elsewhere shows up. */
const IDLE_MS = 4000;

/** The page of one stack (`/stacks/:project/:stack`). */
export function StackPage({ project, stack }: { project: string; stack: string }) {
  const session = useSession();
  const name = `${project}/${stack}`;
  const runId = stackRunId(project, stack);
  const detail = useQuery({
    queryKey: ['stack', project, stack],
    queryFn: async () => must(await api.GET('/v1/stacks/{project}/{stack}', { params: { path: { project, stack } } })),
    refetchInterval: (q) => (q.state.data?.currentOperation ? LIVE_MS : IDLE_MS),
  });
  const run = useQuery({
    queryKey: ['stack', project, stack, 'run'],
    queryFn: async () => {
      try {
        return must(await api.GET('/v1/runs/{id}', { params: { path: { id: runId } } }));
      } catch (err) {
        // No operation ever ran on the stack.
        if (err instanceof ApiFailure && err.status === 404) return null;
        throw err;
      }
    },
    refetchInterval: (q) => (q.state.data?.status === 'running' ? LIVE_MS : IDLE_MS),
  });
  const running = run.data?.status === 'running' || detail.data?.currentOperation !== undefined;
  const history = useQuery({
    queryKey: ['stack', project, stack, 'history', run.data?.status, run.data?.startedAt],
    queryFn: async () =>
      must(
        await api.GET('/v1/stacks/{project}/{stack}/operations', {
          params: { path: { project, stack }, query: { limit: 20 } },
        }),
      ).operations,
  });

  if (detail.isPending) return <p className="loading">Loading stack…</p>;
  if (detail.isError)
    return (
      <section>
        <h1>Stack {name}</h1>
        <p role="alert" className="error">
          {detail.error.message}
        </p>
        <p>
          <Link href="/stacks">Back to the stacks</Link>
        </p>
      </section>
    );
  const s = detail.data;
  const drift = s.lastDrift as { drifted: boolean; checkedAt: string; resources: ResourceChange[] } | null;
  return (
    <section aria-labelledby="stack-title" className="stack-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/stacks">Stacks</Link> <span aria-hidden="true">/</span> <span>{name}</span>
      </nav>
      <div className="run-head">
        <h1 id="stack-title">{name}</h1>
        <Status status={s.status} />
      </div>
      <Summary detail={s} />
      {canOperate(session.data) && <StackStart project={project} stack={stack} busy={running} />}
      {run.isError && (
        <p role="alert" className="error">
          {run.error.message}
        </p>
      )}
      {run.data && <StackOperation run={run.data} project={project} stack={stack} />}
      <div className="stack-grid">
        <section className="card" aria-labelledby="resources-title">
          <h2 id="resources-title">Resources ({s.resources.length})</h2>
          {s.resources.length === 0 ? (
            <p className="empty">The stack holds no resources.</p>
          ) : (
            <ul className="resources">
              {(s.resources as Array<{ urn: string; type: string }>).map((r) => (
                <li key={r.urn}>
                  <span className="mono res-name">{nameOfUrn(r.urn)}</span> <span className="hint">{r.type}</span>
                  <div className="run-id">{r.urn}</div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="config-title">
          <h2 id="config-title">Config</h2>
          <Config config={s.config} />
        </section>
        <section className="card" aria-labelledby="drift-title">
          <h2 id="drift-title">Drift</h2>
          {!drift ? (
            <p className="empty">Never checked{s.driftSchedule ? '' : '; no drift schedule is set'}.</p>
          ) : (
            <>
              <p>
                {drift.drifted ? (
                  <span className="drifted">Drifted: {drift.resources.length} resource(s) changed outside Pulumi</span>
                ) : (
                  <span className="in-sync">In sync</span>
                )}{' '}
                <span className="hint">
                  checked <time dateTime={drift.checkedAt}>{showTime(drift.checkedAt)}</time>
                </span>
              </p>
              {drift.resources.length > 0 && (
                <ul className="resources">
                  {drift.resources.map((r) => (
                    <li key={r.urn}>
                      <span className="mono res-name">{nameOfUrn(r.urn)}</span> <span className="hint">{r.op}</span>
                      {r.diffs && r.diffs.length > 0 && <div className="hint">changed: {r.diffs.join(', ')}</div>}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </section>
      </div>
      <section className="card history" aria-labelledby="history-title">
        <h2 id="history-title">Operation history</h2>
        {history.isError && (
          <p role="alert" className="error">
            {history.error.message}
          </p>
        )}
        {history.data && history.data.length === 0 && <p className="empty">No operation has run yet.</p>}
        {history.data && history.data.length > 0 && <History entries={history.data} />}
      </section>
    </section>
  );
}

function Summary({ detail }: { detail: StackDetail }) {
  const now = useNow(detail.expiresAt !== null);
  return (
    <dl className="summary card">
      <div>
        <dt>Program</dt>
        <dd>{detail.program}</dd>
      </div>
      <div>
        <dt>Last operation</dt>
        <dd>
          {detail.lastOperation ?? 'never run'}
          {detail.lastOperationAt && (
            <>
              {' · '}
              <time dateTime={detail.lastOperationAt}>{showTime(detail.lastOperationAt)}</time>
            </>
          )}
        </dd>
      </div>
      <div>
        <dt>TTL</dt>
        <dd>
          {detail.expiresAt ? (
            <>
              destroyed at <time dateTime={detail.expiresAt}>{showTime(detail.expiresAt)}</time>
              <span className="hint">
                {' '}
                (in {showDuration(Math.max(0, -(between(detail.expiresAt, undefined, now) ?? 0)))})
              </span>
            </>
          ) : (
            'none'
          )}
        </dd>
      </div>
      <div>
        <dt>Drift schedule</dt>
        <dd className="mono">{detail.driftSchedule ?? 'none'}</dd>
      </div>
      <div>
        <dt>Declared by</dt>
        <dd>
          {detail.createdBy} · <time dateTime={detail.createdAt}>{showTime(detail.createdAt)}</time>
        </dd>
      </div>
      {Object.keys(detail.labels).length > 0 && (
        <div>
          <dt>Labels</dt>
          <dd>
            <Labels labels={detail.labels} />
          </dd>
        </div>
      )}
    </dl>
  );
}

/** The declared config as text; secret fields arrive masked as `[secret]` and stay so. */
function Config({ config }: { config: Record<string, unknown> }) {
  const entries = Object.entries(config);
  if (entries.length === 0) return <p className="empty">No config.</p>;
  return (
    <dl className="outputs">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd className={value === '[secret]' ? 'secret' : undefined}>
            {typeof value === 'string' ? value : JSON.stringify(value)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function History({ entries }: { entries: StackOperationEntry[] }) {
  return (
    <div className="table-wrap">
      <table className="runs" data-testid="stack-history">
        <thead>
          <tr>
            <th scope="col">Operation</th>
            <th scope="col">Status</th>
            <th scope="col">Outcome</th>
            <th scope="col">Asked by</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => {
            const approval = e.outcome?.approval as { state?: string; by?: string; comment?: string } | undefined;
            return (
              <tr key={e.temporalRunId} data-temporal-run-id={e.temporalRunId}>
                <td>{e.operation ?? '—'}</td>
                <td>
                  <Status status={e.status} />
                </td>
                <td>
                  {e.outcome?.changes && <div>{countsInWords(e.outcome.changes)}</div>}
                  {e.outcome?.drifted !== undefined && <div>{e.outcome.drifted ? 'drift found' : 'no drift'}</div>}
                  {approval?.state && approval.state !== 'waiting' && (
                    <div className="hint">
                      {approval.state}
                      {approval.by ? ` by ${approval.by}` : ''}
                      {approval.comment ? `: “${approval.comment}”` : ''}
                    </div>
                  )}
                  {e.outcome?.message && <div className="message">{e.outcome.message}</div>}
                </td>
                <td className="nowrap">{e.requestedBy ?? '—'}</td>
                <td className="nowrap">
                  <time dateTime={e.startedAt}>{showTime(e.startedAt)}</time>
                </td>
                <td className="nowrap">{showDuration(e.durationMs ?? between(e.startedAt))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
