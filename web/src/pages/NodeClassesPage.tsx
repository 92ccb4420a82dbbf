/** The worker pools: live workers, capacity, busy slots and queued work; a pool with work waiting and no worker is a problem. */
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../http/client';
import type { components } from '../http/schema.gen';
import { Labels } from '../components/Labels';
import { showDuration, showTime } from '../lib/time';
import './node-classes.css';

/** One node class as the API shows it. */
type NodeClass = components['schemas']['NodeClass'];

/** Pools change as workers come and go: asked again this often. */
const REFRESH_MS = 3000;

/** The node classes page (`/node-classes`). */
export function NodeClassesPage() {
  const classes = useQuery({
    queryKey: ['node-classes'],
    queryFn: async () => must(await api.GET('/v1/node-classes')).nodeClasses,
    refetchInterval: REFRESH_MS,
  });
  const problems = classes.data?.filter(isStarved) ?? [];
  return (
    <section aria-labelledby="classes-title">
      <h1 id="classes-title">Node classes</h1>
      {classes.isError && (
        <p role="alert" className="error">
          {classes.error.message}
        </p>
      )}
      {problems.length > 0 && (
        <p role="alert" className="error">
          {problems.length === 1
            ? `Work is waiting on ${problems[0]!.name} and no worker polls it.`
            : `Work is waiting on ${problems.map((c) => c.name).join(', ')} and no worker polls them.`}
        </p>
      )}
      {classes.isPending ? (
        <p className="loading">Loading node classes…</p>
      ) : (
        <div className="pools">
          {classes.data?.map((c) => (
            <Pool key={c.name} pool={c} />
          ))}
        </div>
      )}
    </section>
  );
}

/** No live worker, and tasks waiting for one. */
function isStarved(pool: NodeClass): boolean {
  return pool.liveWorkers === 0 && (pool.backlog?.tasks ?? 0) > 0;
}

function Pool({ pool }: { pool: NodeClass }) {
  const starved = isStarved(pool);
  const queued = pool.backlog?.tasks;
  return (
    <section
      className={`card pool${starved ? ' pool-problem' : ''}`}
      aria-labelledby={`pool-${pool.name}`}
      data-node-class={pool.name}
      data-problem={starved ? 'true' : undefined}
    >
      <div className="pool-head">
        <h2 id={`pool-${pool.name}`}>{pool.name}</h2>
        {starved ? (
          <span className="status status-failed">no worker, work waiting</span>
        ) : pool.liveWorkers === 0 ? (
          <span className="status status-idle">no worker</span>
        ) : (
          <span className="status status-completed">
            {pool.liveWorkers} live worker{pool.liveWorkers === 1 ? '' : 's'}
          </span>
        )}
      </div>
      {starved && (
        <p className="problem-text">
          {queued} task{queued === 1 ? '' : 's'} waiting
          {pool.backlog && pool.backlog.oldestWaitSeconds > 0
            ? `, the oldest for ${showDuration(pool.backlog.oldestWaitSeconds * 1000)}`
            : ''}
          . Start a worker of this class (<code>CAPSTAN_NODE_CLASS={pool.name}</code>) to run them.
        </p>
      )}
      <dl className="summary compact pool-figures">
        <div>
          <dt>Busy slots</dt>
          <dd data-testid="busy">
            {pool.busySlots} of {pool.capacity}
          </dd>
        </div>
        <div>
          <dt>Queued</dt>
          <dd data-testid="queued">
            {queued === undefined ? 'not reported' : queued}
            {pool.backlog && pool.backlog.oldestWaitSeconds > 0 && (
              <span className="hint"> (oldest {showDuration(pool.backlog.oldestWaitSeconds * 1000)})</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Concurrency per worker</dt>
          <dd>{pool.concurrency}</dd>
        </div>
        <div>
          <dt>Price</dt>
          <dd>${pool.pricePerHour.toFixed(2)} per worker-hour</dd>
        </div>
        <div>
          <dt>Task queue</dt>
          <dd className="mono">{pool.taskQueue}</dd>
        </div>
        {Object.keys(pool.labels ?? {}).length > 0 && (
          <div>
            <dt>Labels</dt>
            <dd>
              <Labels labels={pool.labels} />
            </dd>
          </div>
        )}
      </dl>
      <h3>Workers</h3>
      {pool.workers.length === 0 ? (
        <p className="empty">No worker has polled this class lately.</p>
      ) : (
        <ul className="workers">
          {pool.workers.map((w) => (
            <li key={w.identity} data-worker={w.identity}>
              <span className="mono">{w.identity}</span>{' '}
              <span className={w.live ? 'live' : 'hint'}>{w.live ? 'live' : 'gone'}</span>
              <div className="hint">
                last seen <time dateTime={w.lastSeenAt}>{showTime(w.lastSeenAt)}</time> · {w.busySlots} busy
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
