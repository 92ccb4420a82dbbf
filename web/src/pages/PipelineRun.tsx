/** A pipeline run's jobs and steps, a step's live log, the approval of a waiting deploy, and the run's artifacts. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must, type RunDetail } from '../http/client';
import { canOperate, useSession } from '../http/session';
import { LogView } from '../components/LogView';
import { Status } from '../components/Status';
import { Link, navigate, useLocation } from '../lib/router';
import { between, showDuration, showTime } from '../lib/time';
import { stepParam, type JobView, type PipelineView, type StepView } from './pipeline-view';
import './pipelines.css';

/** The pipeline part of a run's page (`/runs/:id?job=<job>&step=<step>` opens a step's log). */
export function PipelineRun({ detail }: { detail: RunDetail }) {
  const pipeline = detail.pipeline as PipelineView | undefined;
  const { search } = useLocation();
  const base = `/runs/${encodeURIComponent(detail.runId)}`;
  const selected = {
    job: search.get('job') ?? undefined,
    step: search.get('step') ?? undefined,
    service: search.get('service') ?? undefined,
  };
  if (!pipeline)
    return <p className="card hint">No orchestrator answered for this run&apos;s jobs; they show once one does.</p>;
  const { trigger } = pipeline;
  return (
    <div className="pipeline-run">
      <dl className="summary card compact" aria-label="Trigger">
        <div>
          <dt>Repository</dt>
          <dd>
            <Link href={`/pipelines?repository=${encodeURIComponent(trigger.repository)}`}>{trigger.repository}</Link>
          </dd>
        </div>
        <div>
          <dt>{trigger.tag !== undefined ? 'Tag' : 'Branch'}</dt>
          <dd>{trigger.tag ?? trigger.branch}</dd>
        </div>
        <div>
          <dt>Commit</dt>
          <dd className="mono" title={trigger.sha}>
            {trigger.sha.slice(0, 12)}
          </dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>
            {trigger.event} by {trigger.triggeredBy}
          </dd>
        </div>
        {pipeline.commitStatus && (
          <div>
            <dt>Commit status</dt>
            <dd>{pipeline.commitStatus}</dd>
          </div>
        )}
      </dl>
      {pipeline.message && <p className="card hint">{pipeline.message}</p>}
      {pipeline.rerunOf && (
        <p className="card hint">
          A re-run of <Link href={`/runs/${encodeURIComponent(pipeline.rerunOf)}`}>{pipeline.rerunOf}</Link>: jobs
          marked reused were taken over from it with their outputs and artifacts, the others ran again.
        </p>
      )}
      <div className="jobs">
        {pipeline.jobs.map((job) => (
          <Job
            key={job.id}
            runId={detail.runId}
            job={job}
            base={base}
            selected={selected}
            ended={detail.status !== 'running'}
          />
        ))}
      </div>
      {selected.job && selected.service && (
        <div className="card">
          <LogView
            key={`${selected.job}/service/${selected.service}`}
            url={`/v1/runs/${encodeURIComponent(detail.runId)}/jobs/${encodeURIComponent(selected.job)}/services/${encodeURIComponent(selected.service)}/log`}
            title={`Log of ${selected.job} · service ${selected.service}`}
          />
          <p>
            <Link href={base}>Close the log</Link>
          </p>
        </div>
      )}
      {selected.job && selected.step && (
        <div className="card">
          <LogView
            key={`${selected.job}/${selected.step}`}
            url={`/v1/runs/${encodeURIComponent(detail.runId)}/jobs/${encodeURIComponent(selected.job)}/steps/${encodeURIComponent(selected.step)}/log`}
            title={`Log of ${selected.job} · ${stepTitle(pipeline, selected.job, selected.step)}`}
          />
          <p>
            <Link href={base}>Close the log</Link>
          </p>
        </div>
      )}
      <Artifacts runId={detail.runId} running={detail.status === 'running'} />
    </div>
  );
}

function stepTitle(pipeline: PipelineView, jobId: string, step: string): string {
  const job = pipeline.jobs.find((j) => j.id === jobId);
  const rollback = step.startsWith('rollback-');
  const index = Number(rollback ? step.slice('rollback-'.length) : step);
  const found = rollback ? job?.rollback?.steps[index] : job?.steps[index];
  return `${rollback ? 'rollback ' : ''}${found?.name ?? `step ${index + 1}`}`;
}

function Job(props: {
  runId: string;
  job: JobView;
  base: string;
  selected: { job?: string; step?: string };
  ended: boolean;
}) {
  const { runId, job, base, selected, ended } = props;
  // A reused job's steps ran, and logged, in the run it was taken from.
  const logBase = job.reusedFrom ? `/runs/${encodeURIComponent(job.reusedFrom)}` : base;
  const hrefOf = (step: string) => `${logBase}?job=${encodeURIComponent(job.id)}&step=${encodeURIComponent(step)}`;
  return (
    <section className="card job" aria-label={`Job ${job.id}`} data-job={job.id}>
      <div className="job-head">
        <h2>
          {job.name ?? job.id}
          {job.name && <span className="hint"> {job.id}</span>}
        </h2>
        <Status status={job.status} />
        <span className="hint">
          {job.nodeClass}
          {job.worker && ` · ${job.worker}`}
          {job.startedAt && ` · ${showDuration(between(job.startedAt, job.finishedAt))}`}
        </span>
        {job.reusedFrom && <span className="chip">reused</span>}
        {ended && <JobRerun runId={runId} jobId={job.id} />}
      </div>
      {job.reusedFrom && (
        <p className="hint">
          Taken over from <Link href={logBase}>{job.reusedFrom}</Link>, where it ran; its logs are there.
        </p>
      )}
      {job.deployment && (
        <p className="deployment">
          {job.status === 'failed' ? 'Tried to deploy' : 'Deploys'} {job.deployment.sha.slice(0, 12)} to{' '}
          <Link href="/environments">{job.deployment.environment}</Link>
          {job.deployment.previousSha && ` (replacing ${job.deployment.previousSha.slice(0, 12)})`}
        </p>
      )}
      {job.message && <p className="message">{job.message}</p>}
      {job.continuedOnError && <p className="hint">Failed, but continue-on-error let the run go on.</p>}
      {job.services && job.services.length > 0 && (
        <ul className="services" aria-label={`Services of ${job.id}`}>
          {job.services.map((service) => (
            <li key={service.name}>
              <Link href={`${logBase}?job=${encodeURIComponent(job.id)}&service=${encodeURIComponent(service.name)}`}>
                service {service.name}
              </Link>{' '}
              <Status status={service.status} />
              {service.pid !== undefined && <span className="hint"> pid {service.pid}</span>}
              {service.message && <div className="hint">{service.message}</div>}
            </li>
          ))}
        </ul>
      )}
      {job.approval && <Approval runId={runId} job={job} />}
      <Steps
        steps={job.steps}
        rollback={false}
        hrefOf={hrefOf}
        selected={selected.job === job.id ? selected.step : undefined}
      />
      {job.rollback && (
        <div className="rollback" data-testid={`rollback-${job.id}`}>
          <h3>
            Rollback <Status status={job.rollback.status} />
          </h3>
          <p className="hint">These steps ran after the job failed, to put the previous release back.</p>
          <Steps
            steps={job.rollback.steps}
            rollback
            hrefOf={hrefOf}
            selected={selected.job === job.id ? selected.step : undefined}
          />
        </div>
      )}
    </section>
  );
}

/** Re-runs one job of an ended run and the jobs that need it (operators only; the API refuses the others). */
function JobRerun({ runId, jobId }: { runId: string; jobId: string }) {
  const session = useSession();
  const rerun = useMutation({
    mutationFn: async () =>
      must(await api.POST('/v1/runs/{id}/retry', { params: { path: { id: runId } }, body: { job: jobId } })),
    onSuccess: (started) => navigate(`/runs/${encodeURIComponent(started.runId)}`),
  });
  if (!canOperate(session.data)) return null;
  return (
    <>
      <button
        type="button"
        className="small"
        onClick={() => rerun.mutate()}
        disabled={rerun.isPending}
        aria-label={`Re-run job ${jobId}`}
      >
        {rerun.isPending ? 'Re-running…' : 'Re-run'}
      </button>
      {rerun.error && (
        <span role="alert" className="error">
          {rerun.error.message}
        </span>
      )}
    </>
  );
}

function Steps(props: { steps: StepView[]; rollback: boolean; hrefOf: (step: string) => string; selected?: string }) {
  const { steps, rollback, hrefOf, selected } = props;
  if (steps.length === 0) return null;
  return (
    <table className="steps">
      <thead>
        <tr>
          <th scope="col">{rollback ? 'Rollback step' : 'Step'}</th>
          <th scope="col">Status</th>
          <th scope="col">Duration</th>
          <th scope="col">Exit code</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((step, index) => {
          const param = stepParam(index, rollback);
          return (
            <tr key={param} data-step={param} className={selected === param ? 'selected' : undefined}>
              <td>
                <Link href={hrefOf(param)} aria-current={selected === param ? 'true' : undefined}>
                  {step.name}
                </Link>
                {step.message && step.status === 'failed' && <div className="hint">{step.message}</div>}
              </td>
              <td>
                <Status status={step.status} />
              </td>
              <td className="nowrap">
                {step.startedAt ? showDuration(between(step.startedAt, step.finishedAt)) : '—'}
              </td>
              <td className="nowrap">{step.exitCode ?? '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The gate of a deploy job: Approve and Reject for operators while it waits, then who decided, when and why. */
function Approval({ runId, job }: { runId: string; job: JobView }) {
  const approval = job.approval!;
  const session = useSession();
  const client = useQueryClient();
  const [comment, setComment] = useState('');
  const decide = useMutation({
    mutationFn: async (decision: 'approve' | 'reject') => {
      const body = { job: job.id, ...(comment.trim() ? { comment: comment.trim() } : {}) };
      const path = decision === 'approve' ? '/v1/runs/{id}/approve' : '/v1/runs/{id}/reject';
      return must(await api.POST(path, { params: { path: { id: runId } }, body }));
    },
    onSettled: () => client.invalidateQueries({ queryKey: ['run', runId] }),
  });
  const waiting = approval.state === 'waiting' && job.status === 'waiting-approval';
  const submit = (event: FormEvent) => event.preventDefault();
  return (
    <div className="approval" data-testid={`approval-${job.id}`}>
      <h3>Approval</h3>
      {waiting ? (
        <>
          <p>This job waits for approval.</p>
          {canOperate(session.data) ? (
            <form onSubmit={submit} aria-label={`Decide on ${job.id}`}>
              <div className="field">
                <label htmlFor={`comment-${job.id}`}>Comment</label>
                <textarea
                  id={`comment-${job.id}`}
                  value={comment}
                  maxLength={2000}
                  rows={2}
                  onChange={(e) => setComment(e.target.value)}
                />
              </div>
              <div className="actions">
                <button
                  type="button"
                  className="primary"
                  disabled={decide.isPending}
                  onClick={() => decide.mutate('approve')}
                >
                  Approve
                </button>
                <button
                  type="button"
                  className="danger"
                  disabled={decide.isPending}
                  onClick={() => decide.mutate('reject')}
                >
                  Reject
                </button>
              </div>
              {decide.isError && (
                <p role="alert" className="error">
                  {decide.error.message}
                </p>
              )}
            </form>
          ) : (
            <p className="hint">An operator decides; your role may only look.</p>
          )}
        </>
      ) : (
        <dl className="decision">
          <div>
            <dt>Decision</dt>
            <dd>
              <Status status={approval.state} />
            </dd>
          </div>
          {approval.by && (
            <div>
              <dt>By</dt>
              <dd data-testid="approval-by">{approval.by}</dd>
            </div>
          )}
          {approval.at && (
            <div>
              <dt>At</dt>
              <dd>
                <time dateTime={approval.at}>{showTime(approval.at)}</time>
              </dd>
            </div>
          )}
          {approval.comment && (
            <div>
              <dt>Comment</dt>
              <dd data-testid="approval-comment">{approval.comment}</dd>
            </div>
          )}
        </dl>
      )}
    </div>
  );
}

function Artifacts({ runId, running }: { runId: string; running: boolean }) {
  const artifacts = useQuery({
    queryKey: ['run', runId, 'artifacts'],
    queryFn: async () => must(await api.GET('/v1/runs/{id}/artifacts', { params: { path: { id: runId } } })),
    refetchInterval: running ? 5000 : false,
  });
  return (
    <section className="card artifacts" aria-labelledby="artifacts-title">
      <h2 id="artifacts-title">Artifacts</h2>
      {artifacts.isError && (
        <p role="alert" className="error">
          {artifacts.error.message}
        </p>
      )}
      {artifacts.data &&
        (artifacts.data.artifacts.length === 0 ? (
          <p className="empty">No artifact was uploaded{running ? ' yet' : ''}.</p>
        ) : (
          <ul>
            {artifacts.data.artifacts.map((a) => (
              <li key={`${a.job}/${a.name}`}>
                <a href={a.href} download={`${a.name}.tar`}>
                  {a.name}.tar
                </a>{' '}
                <span className="hint">
                  from {a.job} · {formatBytes(a.bytes)} · <time dateTime={a.modifiedAt}>{showTime(a.modifiedAt)}</time>
                </span>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
