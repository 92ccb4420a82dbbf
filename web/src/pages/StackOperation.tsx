/** The stack's current or latest operation: its phase, the preview's diff, the approval gate and the engine's progress, live. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must, type RunDetail } from '../http/client';
import { canOperate, useSession } from '../http/session';
import { Status } from '../components/Status';
import { showTime } from '../lib/time';
import {
  DIFF_GROUPS,
  countsInWords,
  groupOf,
  nameOfUrn,
  type ResourceChange,
  type StackOperationState,
  type StackProgress,
} from './stack-types';

/** The card of the operation the run detail describes (the running one, else the last). */
export function StackOperation({ run, project, stack }: { run: RunDetail; project: string; stack: string }) {
  const state = run.stack as StackOperationState | undefined;
  const running = run.status === 'running';
  const attempt = run.live?.pendingAttempts?.[0] as
    { attempt: number; worker?: string; heartbeat?: StackProgress; lastFailure?: string } | undefined;
  const progress = attempt?.heartbeat;
  const applied = state?.result !== undefined;
  return (
    <section className="card stack-op" aria-labelledby="op-title" data-phase={state?.phase}>
      <div className="op-head">
        <h2 id="op-title">
          {running ? 'Running operation' : 'Latest operation'}: {state?.operation ?? run.labels?.operation ?? '—'}
        </h2>
        <Status status={run.status} />
        {state?.phase && <span className={`phase phase-${state.phase}`}>{state.phase.replace(/-/g, ' ')}</span>}
      </div>
      <p className="hint">
        Requested by {state?.requestedBy ?? run.startedBy ?? 'someone'} ·{' '}
        <time dateTime={run.startedAt}>{showTime(run.startedAt)}</time>
        {run.webUiUrl && (
          <>
            {' · '}
            <a href={run.webUiUrl} target="_blank" rel="noreferrer">
              History in the Temporal UI
            </a>
          </>
        )}
      </p>
      {running && <Progress phase={state?.phase} progress={progress} attempt={attempt} />}
      {state?.approval && <Approval approval={state.approval} project={project} stack={stack} />}
      {state?.message && (
        <p
          className={run.status === 'failed' ? 'error' : 'message'}
          role={run.status === 'failed' ? 'alert' : undefined}
        >
          {state.message}
        </p>
      )}
      {!state?.message && run.failure && (
        <p className="error" role="alert">
          {run.failure.message}
        </p>
      )}
      {state?.result && (
        <p className="op-result">
          <strong>Applied:</strong> {countsInWords(state.result.resourceChanges)}
        </p>
      )}
      {state?.preview && <Diff changes={state.preview.changes} summary={state.preview.changeSummary} done={applied} />}
      {state?.drift && (
        <p>Drift check: {state.drift.drifted ? `${state.drift.resources.length} resource(s) drifted` : 'no drift'}</p>
      )}
    </section>
  );
}

/** What the engine has done so far, from the activity's last heartbeat. */
function Progress({
  phase,
  progress,
  attempt,
}: {
  phase: string | undefined;
  progress: StackProgress | undefined;
  attempt: { attempt: number; worker?: string; lastFailure?: string } | undefined;
}) {
  return (
    <div className="progress" aria-live="polite" data-testid="engine-progress">
      <strong>Engine progress:</strong>{' '}
      {progress?.done && Object.keys(progress.done).length > 0
        ? `${progress.phase ?? phase ?? ''} ${countsInWords(progress.done)}`.trim()
        : phase === 'waiting-approval'
          ? 'waiting for a decision; no worker is held'
          : `${progress?.phase ?? phase ?? 'starting'}…`}
      {progress?.lastResource && <div className="hint mono">last: {nameOfUrn(progress.lastResource)}</div>}
      {attempt?.worker && (
        <div className="hint">
          on {attempt.worker}, attempt {attempt.attempt}
          {attempt.lastFailure ? ` (the last one failed: ${attempt.lastFailure})` : ''}
        </div>
      )}
    </div>
  );
}

/** The preview's changes grouped as created, updated, replaced and deleted, each resource with the properties that differ. */
export function Diff({
  changes,
  summary,
  done,
}: {
  changes: ResourceChange[];
  summary: Record<string, number>;
  done: boolean;
}) {
  const groups = [...DIFF_GROUPS, 'other' as const]
    .map((group) => ({ group, items: changes.filter((c) => groupOf(c.op) === group) }))
    .filter((g) => g.items.length > 0);
  const verb = { create: 'Create', update: 'Update', replace: 'Replace', delete: 'Delete', other: 'Other' };
  return (
    <section className="diff" aria-labelledby="diff-title">
      <h3 id="diff-title">
        {done ? 'Diff that was applied' : 'Diff of the preview'}{' '}
        <span className="hint">({countsInWords(summary)})</span>
      </h3>
      {groups.length === 0 ? (
        <p className="empty">No resource changes: everything is the same.</p>
      ) : (
        groups.map(({ group, items }) => (
          <div key={group} className={`diff-group diff-${group}`} data-group={group}>
            <h4>
              <span className="diff-sign" aria-hidden="true">
                {group === 'create' ? '+' : group === 'delete' ? '−' : group === 'replace' ? '±' : '~'}
              </span>{' '}
              {verb[group]} ({items.length})
            </h4>
            <ul>
              {items.map((c) => (
                <li key={`${c.op}:${c.urn}`}>
                  <span className="mono res-name">{nameOfUrn(c.urn)}</span> <span className="hint">{c.type}</span>
                  {group === 'other' && <span className="hint"> ({c.op})</span>}
                  {c.diffs && c.diffs.length > 0 && <div className="hint">changes: {c.diffs.join(', ')}</div>}
                </li>
              ))}
            </ul>
          </div>
        ))
      )}
    </section>
  );
}

/** The approval gate: who decided, or Approve and Reject with a comment for those who may. */
function Approval({
  approval,
  project,
  stack,
}: {
  approval: NonNullable<StackOperationState['approval']>;
  project: string;
  stack: string;
}) {
  const session = useSession();
  const client = useQueryClient();
  const [comment, setComment] = useState('');
  const decide = useMutation({
    mutationFn: async (decision: 'approve' | 'reject') => {
      const params = { path: { project, stack } };
      const body = comment.trim() ? { comment: comment.trim() } : {};
      return decision === 'approve'
        ? must(await api.POST('/v1/stacks/{project}/{stack}/approve', { params, body }))
        : must(await api.POST('/v1/stacks/{project}/{stack}/reject', { params, body }));
    },
    onSettled: () => client.invalidateQueries({ queryKey: ['stack', project, stack] }),
  });
  if (approval.state !== 'waiting')
    return (
      <p className={`approval approval-${approval.state}`} data-testid="approval">
        <strong>
          {approval.state === 'timed-out'
            ? 'Approval timed out'
            : `${approval.state[0]!.toUpperCase()}${approval.state.slice(1)}`}
        </strong>
        {approval.by && ` by ${approval.by}`}
        {approval.at && (
          <>
            {' '}
            on <time dateTime={approval.at}>{showTime(approval.at)}</time>
          </>
        )}
        {approval.comment && <span className="approval-comment">: “{approval.comment}”</span>}
      </p>
    );
  const submit = (event: FormEvent) => event.preventDefault();
  return (
    <div className="approval approval-waiting" data-testid="approval">
      <p>
        <strong>Waiting for approval.</strong> Nothing is applied until someone allowed approves the diff below.
      </p>
      {canOperate(session.data) && (
        <form className="decide" onSubmit={submit} aria-label="Decide on the apply">
          <div className="field">
            <label htmlFor="decision-comment">Comment (optional)</label>
            <input
              id="decision-comment"
              value={comment}
              maxLength={2000}
              onChange={(e) => setComment(e.target.value)}
            />
          </div>
          <button
            type="button"
            className="primary"
            disabled={decide.isPending}
            onClick={() => decide.mutate('approve')}
          >
            Approve
          </button>
          <button type="button" className="danger" disabled={decide.isPending} onClick={() => decide.mutate('reject')}>
            Reject
          </button>
        </form>
      )}
      {decide.error && (
        <p role="alert" className="error">
          {decide.error.message}
        </p>
      )}
    </div>
  );
}
