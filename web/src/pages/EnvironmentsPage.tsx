/** Deploy environments: each with its current release and its deploy history, newest first. */
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../http/client';
import { Link } from '../lib/router';
import { showTime } from '../lib/time';
import './pipelines.css';

const REFRESH_MS = 5000;

/** `/environments`: what runs in each environment now, and what ran before. */
export function EnvironmentsPage() {
  const environments = useQuery({
    queryKey: ['environments'],
    queryFn: async () => must(await api.GET('/v1/environments')),
    refetchInterval: REFRESH_MS,
  });
  return (
    <section aria-labelledby="environments-title">
      <h1 id="environments-title">Environments</h1>
      {environments.isError && (
        <p role="alert" className="error">
          {environments.error.message}
        </p>
      )}
      {environments.isPending && <p className="loading">Loading environments…</p>}
      {environments.data?.environments.length === 0 && (
        <p className="empty">No pipeline has deployed to an environment yet.</p>
      )}
      {environments.data?.environments.map((env) => (
        <Environment key={env.name} name={env.name} />
      ))}
    </section>
  );
}

function Environment({ name }: { name: string }) {
  const history = useQuery({
    queryKey: ['environments', name, 'deployments'],
    queryFn: async () =>
      must(await api.GET('/v1/environments/{name}/deployments', { params: { path: { name }, query: { limit: 20 } } })),
    refetchInterval: REFRESH_MS,
  });
  const deployments = history.data?.deployments ?? [];
  const current = deployments[0];
  return (
    <section className="card environment" aria-labelledby={`env-${name}`} data-environment={name}>
      <h2 id={`env-${name}`}>{name}</h2>
      {history.isError && (
        <p role="alert" className="error">
          {history.error.message}
        </p>
      )}
      {current && (
        <p className="current-release">
          Current release <span className="mono">{current.sha.slice(0, 12)}</span> of {current.repository} (
          {current.pipeline}), deployed by{' '}
          <Link href={`/runs/${encodeURIComponent(current.runId)}`}>{current.runId}</Link>
          {current.deployedAt && (
            <>
              {' '}
              at <time dateTime={current.deployedAt}>{showTime(current.deployedAt)}</time>
            </>
          )}
        </p>
      )}
      {deployments.length > 0 && (
        <div className="table-wrap">
          <table className="runs">
            <caption>Deploy history of {name}</caption>
            <thead>
              <tr>
                <th scope="col">Commit</th>
                <th scope="col">Run</th>
                <th scope="col">Job</th>
                <th scope="col">Triggered by</th>
                <th scope="col">Deployed</th>
              </tr>
            </thead>
            <tbody>
              {deployments.map((d, index) => (
                <tr key={`${d.runId}/${d.jobId}/${index}`}>
                  <td className="mono nowrap">
                    {d.sha.slice(0, 12)}
                    {index === 0 && <span className="chip current-chip">current</span>}
                  </td>
                  <td>
                    <Link href={`/runs/${encodeURIComponent(d.runId)}`}>{d.runId}</Link>
                  </td>
                  <td>{d.jobId}</td>
                  <td>{d.triggeredBy}</td>
                  <td className="nowrap">
                    {d.deployedAt ? <time dateTime={d.deployedAt}>{showTime(d.deployedAt)}</time> : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
