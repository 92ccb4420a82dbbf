/**
 * The worker pools: queued work and its oldest wait, busy and free slots, live workers, and each worker's health from
 * its reports; a pool with work waiting and no worker, and a lost worker, are problems.
 */
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../http/client';
import type { components } from '../http/schema.gen';
import { Labels } from '../components/Labels';
import { Link } from '../lib/router';
import { showDuration, useNow } from '../lib/time';
import { WorkersTable, workerState } from './WorkersTable';
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
  // Rules and their state, for a pointer to the Alerts page while any fires; the page works without them.
  const alerts = useQuery({
    queryKey: ['alerts'],
    queryFn: async () => must(await api.GET('/v1/alerts')),
    refetchInterval: REFRESH_MS * 2,
  });
  const now = useNow(true);
  const problems = classes.data?.filter(isStarved) ?? [];
  const firing = alerts.data?.rules.filter((r) => r.state === 'firing') ?? [];
  return (
    <section aria-labelledby="classes-title">
      <h1 id="classes-title">Node classes</h1>
      {firing.length > 0 && (
        <p className="alert-note" data-testid="firing-note">
          <span className="status status-failed">
            {firing.length} alert{firing.length === 1 ? '' : 's'} firing
          </span>{' '}
          <span className="mono">{firing.map((r) => r.name).join(', ')}</span> · <Link href="/alerts">see Alerts</Link>
        </p>
      )}
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
            <Pool key={c.name} pool={c} now={now} />
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

function Pool({ pool, now }: { pool: NodeClass; now: number }) {
  const starved = isStarved(pool);
  const queued = pool.backlog?.tasks;
  const lost = pool.workers.filter((w) => workerState(w) === 'lost').length;
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
        {lost > 0 && (
          <span className="status status-failed" data-testid="lost">
            {lost} lost worker{lost === 1 ? '' : 's'}
          </span>
        )}
        <span className="pool-queue hint mono">{pool.taskQueue}</span>
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
      <dl className="summary pool-figures">
        <div>
          <dt>Queued</dt>
          <dd data-testid="queued">
            <span className="figure">{queued === undefined ? 'not reported' : queued}</span>
            {pool.backlog && pool.backlog.oldestWaitSeconds > 0 && (
              <span className="hint"> (oldest {showDuration(pool.backlog.oldestWaitSeconds * 1000)})</span>
            )}
            {pool.backlog && (pool.backlog.addRate > 0 || pool.backlog.dispatchRate > 0) && (
              <div className="hint">
                in {rate(pool.backlog.addRate)}/s · out {rate(pool.backlog.dispatchRate)}/s
              </div>
            )}
          </dd>
        </div>
        <div>
          <dt>Busy slots</dt>
          <dd data-testid="busy">
            <span className="figure">{pool.busySlots}</span> of {pool.capacity}
            <span className="hint"> · {pool.freeSlots} free</span>
          </dd>
        </div>
        <div>
          <dt>Live workers</dt>
          <dd data-testid="live-workers">
            <span className="figure">{pool.liveWorkers}</span>
            <span className="hint">
              {' '}
              × {pool.concurrency} slot{pool.concurrency === 1 ? '' : 's'}
            </span>
          </dd>
        </div>
        <div>
          <dt>Price</dt>
          <dd>${pool.pricePerHour.toFixed(2)} per worker-hour</dd>
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
        <p className="empty">No worker has polled or reported for this class lately.</p>
      ) : (
        <WorkersTable workers={pool.workers} slots={pool.concurrency} now={now} />
      )}
    </section>
  );
}

/** A rate in tasks per second, to two decimals below 10. */
function rate(perSecond: number): string {
  return perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(2);
}
