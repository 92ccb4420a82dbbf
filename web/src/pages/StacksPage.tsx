/** Every declared stack with its status, last operation, last drift check, resources and running operation, live. */
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../http/client';
import { Labels } from '../components/Labels';
import { Status } from '../components/Status';
import { Link } from '../lib/router';
import { showTime } from '../lib/time';
import type { StackListEntry } from './stack-types';
import './stacks.css';

/** How often the list is asked again, so an operation starting or ending shows without a reload. */
const REFRESH_MS = 3000;

/** The stacks list (`/stacks`). */
export function StacksPage() {
  const stacks = useQuery({
    queryKey: ['stacks'],
    queryFn: async () => must(await api.GET('/v1/stacks')).stacks,
    refetchInterval: REFRESH_MS,
  });
  return (
    <section aria-labelledby="stacks-title">
      <h1 id="stacks-title">Stacks</h1>
      {stacks.isError && (
        <p role="alert" className="error">
          {stacks.error.message}
        </p>
      )}
      {stacks.isPending ? (
        <p className="loading">Loading stacks…</p>
      ) : stacks.data && stacks.data.length === 0 ? (
        <p className="empty">
          No stack is declared yet. Declare one with <code>PUT /v1/stacks/&lt;project&gt;/&lt;stack&gt;</code>.
        </p>
      ) : (
        stacks.data && <StackTable stacks={stacks.data} />
      )}
    </section>
  );
}

function StackTable({ stacks }: { stacks: StackListEntry[] }) {
  return (
    <div className="table-wrap">
      <table className="runs" data-testid="stacks-table">
        <thead>
          <tr>
            <th scope="col">Stack</th>
            <th scope="col">Program</th>
            <th scope="col">Status</th>
            <th scope="col">Last operation</th>
            <th scope="col">Last drift check</th>
            <th scope="col">Resources</th>
            <th scope="col">Labels</th>
          </tr>
        </thead>
        <tbody>
          {stacks.map((s) => {
            const name = `${s.project}/${s.stack}`;
            return (
              <tr key={name} data-stack={name}>
                <td>
                  <Link href={`/stacks/${s.project}/${s.stack}`} className="run-name">
                    {name}
                  </Link>
                </td>
                <td>{s.program}</td>
                <td>
                  <Status status={s.status} />
                  {s.running && (
                    <div className="stack-running">
                      <Status status="running" /> {s.running.operation ?? 'operation'}
                      {s.running.requestedBy ? ` by ${s.running.requestedBy}` : ''}
                    </div>
                  )}
                </td>
                <td className="nowrap">
                  {s.lastOperation ? (
                    <>
                      {s.lastOperation}
                      <div className="hint">
                        <time dateTime={s.lastOperationAt ?? undefined}>
                          {showTime(s.lastOperationAt ?? undefined)}
                        </time>
                      </div>
                    </>
                  ) : (
                    <span className="hint">never run</span>
                  )}
                </td>
                <td className="nowrap">
                  <DriftCell drift={s.lastDrift} />
                </td>
                <td>{s.resourceCount}</td>
                <td>
                  <Labels labels={s.labels} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function DriftCell({ drift }: { drift: StackListEntry['lastDrift'] }) {
  const report = drift as { drifted?: boolean; checkedAt?: string; resources?: unknown[] } | null;
  if (!report) return <span className="hint">never checked</span>;
  return (
    <>
      {report.drifted ? (
        <span className="drifted">drifted ({report.resources?.length ?? 0})</span>
      ) : (
        <span className="in-sync">in sync</span>
      )}
      <div className="hint">
        <time dateTime={report.checkedAt}>{showTime(report.checkedAt)}</time>
      </div>
    </>
  );
}
