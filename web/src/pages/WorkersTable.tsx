/** One node class's workers as a table: host, state, load, memory, workspace disk, running attempts, version, last report. */
import type { components } from '../http/schema.gen';
import { UsageBar } from '../components/UsageBar';
import { loadPercent, showAgo, showBytes, usedPercent } from './fleet-format';

/** A worker of a class as `GET /v1/node-classes` lists it. */
export type PoolWorker = components['schemas']['NodeClass']['workers'][number];

/** What the page calls a worker's state: its report's state, else Temporal's word (a poller that never reported). */
export function workerState(worker: PoolWorker): 'live' | 'lost' | 'stopped' | 'gone' {
  return worker.health?.state ?? (worker.live ? 'live' : 'gone');
}

/** Lost workers first (they are the news), then live ones, then the rest; by host within each. */
const ORDER = { lost: 0, live: 1, gone: 2, stopped: 3 } as const;

/** The workers of one class, `slots` each unless a report says otherwise, aged against `now`. */
export function WorkersTable({ workers, slots, now }: { workers: PoolWorker[]; slots: number; now: number }) {
  const sorted = [...workers].sort(
    (a, b) =>
      ORDER[workerState(a)] - ORDER[workerState(b)] ||
      (a.health?.host ?? a.identity).localeCompare(b.health?.host ?? b.identity),
  );
  return (
    <div className="table-wrap">
      <table className="runs workers-table">
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">State</th>
            <th scope="col">Load (1 min)</th>
            <th scope="col">Memory used</th>
            <th scope="col">Workspace disk used</th>
            <th scope="col">Running</th>
            <th scope="col">Version</th>
            <th scope="col">Last report</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((w) => (
            <WorkerRow key={w.identity} worker={w} slots={slots} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WorkerRow({ worker, slots, now }: { worker: PoolWorker; slots: number; now: number }) {
  const h = worker.health;
  const state = workerState(worker);
  const lost = state === 'lost';
  // A live worker's busy slots come from its open attempts (fresh, and what the class totals add up); a worker that is
  // gone shows what its last report said it was running.
  const running = worker.live ? worker.busySlots : (h?.runningAttempts ?? 0);
  return (
    <tr
      data-worker={worker.identity}
      data-state={state}
      data-problem={lost ? 'true' : undefined}
      className={lost ? 'worker-lost' : undefined}
    >
      <td>
        <div className="worker-host" data-testid="host">
          {h?.host ?? 'not reported'}
        </div>
        <div className="run-id">{worker.identity}</div>
      </td>
      <td className="nowrap">
        <span className={`status worker-${state}`} data-testid="state">
          {state}
        </span>
        {lost && <div className="problem-text small">no report since {showAgo(h?.reportedAt, now)}</div>}
      </td>
      {h ? (
        <>
          <td data-testid="load">
            <UsageBar
              percent={loadPercent(h.load1, h.cpus)}
              detail={`${h.load1.toFixed(2)} on ${h.cpus} CPU${h.cpus === 1 ? '' : 's'}`}
            />
          </td>
          <td data-testid="memory">
            <UsageBar
              percent={usedPercent(h.memoryTotalBytes, h.memoryAvailableBytes)}
              detail={`${showBytes(h.memoryAvailableBytes)} free of ${showBytes(h.memoryTotalBytes)}`}
            />
          </td>
          <td data-testid="disk">
            <UsageBar
              percent={usedPercent(h.diskTotalBytes, h.diskFreeBytes)}
              detail={`${showBytes(h.diskFreeBytes)} free of ${showBytes(h.diskTotalBytes)} on ${h.diskPath}`}
            />
          </td>
        </>
      ) : (
        <td colSpan={3} className="hint">
          No health report from this worker (it may run an older version).
        </td>
      )}
      <td className="nowrap" data-testid="running">
        {running} of {h?.slots ?? slots}
        {!worker.live && h && <div className="hint">at last report</div>}
      </td>
      <td className="mono small">{h?.version ?? '—'}</td>
      <td className="nowrap">
        {h ? (
          <time dateTime={h.reportedAt} title={h.reportedAt} data-testid="reported">
            {showAgo(h.reportedAt, now)}
          </time>
        ) : worker.lastSeenAt ? (
          <span className="hint">
            polled <time dateTime={worker.lastSeenAt}>{showAgo(worker.lastSeenAt, now)}</time>
          </span>
        ) : (
          '—'
        )}
      </td>
    </tr>
  );
}
