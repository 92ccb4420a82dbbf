/** The side panel of one DAG node: status, attempts, worker, exit code, timings, outputs and its log. */
import { useState } from 'react';
import type { RunDetail } from '../http/client';
import { LogView } from '../components/LogView';
import { Status } from '../components/Status';
import { between, showDuration, showTime } from '../lib/time';

type DagNode = NonNullable<RunDetail['dag']>['nodes'][number];

/** A node's fields the OpenAPI document leaves open (NodeState of the DAG contract). */
interface NodeFields {
  status?: string;
  attempts?: number;
  worker?: string;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  outputs?: Record<string, string>;
  reused?: boolean;
}

/** The panel of the selected node, opened by its `?node=` in the URL. */
export function NodePanel(props: {
  runId: string;
  nodeKey: string;
  node: DagNode | undefined;
  liveStatus: string | undefined;
  onClose: () => void;
}) {
  const { runId, nodeKey, node, liveStatus, onClose } = props;
  const fields = (node ?? {}) as NodeFields;
  const status = liveStatus ?? fields.status ?? 'pending';
  const outputs = Object.entries(fields.outputs ?? {});
  // A failed node's record may lack its worker; the log's attempt names it.
  const [logWorker, setLogWorker] = useState<string | undefined>();
  // An earlier attempt's log on request; the latest (followed live) otherwise.
  const [pickedAttempt, setPickedAttempt] = useState<number | undefined>();
  const attempts = fields.attempts ?? 0;
  const shownAttempt = pickedAttempt !== undefined && pickedAttempt < attempts ? pickedAttempt : undefined;
  const logUrl = `/v1/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(nodeKey)}/log${
    shownAttempt !== undefined ? `?attempt=${shownAttempt}` : ''
  }`;
  return (
    <aside className="card panel" aria-labelledby="panel-title" data-testid="node-panel">
      <div className="panel-head">
        <h2 id="panel-title">{nodeKey}</h2>
        <button type="button" onClick={onClose} aria-label="Close the node panel">
          Close
        </button>
      </div>
      <dl className="summary compact">
        <div>
          <dt>Status</dt>
          <dd>
            <Status status={status} />
            {fields.reused && <span className="chip">reused</span>}
          </dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{fields.attempts ?? '—'}</dd>
        </div>
        <div>
          <dt>Worker</dt>
          <dd>{fields.worker ?? logWorker ?? '—'}</dd>
        </div>
        <div>
          <dt>Exit code</dt>
          <dd>{fields.exitCode ?? '—'}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{showTime(fields.startedAt)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{showTime(fields.finishedAt)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{fields.startedAt ? showDuration(between(fields.startedAt, fields.finishedAt)) : '—'}</dd>
        </div>
      </dl>
      {fields.message && <p className="message">{fields.message}</p>}
      {outputs.length > 0 && (
        <>
          <h3>Outputs</h3>
          <dl className="outputs">
            {outputs.map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd className="mono">{value}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {status === 'pending' || status === 'skipped' ? (
        <p className="hint">No log: this node has not run.</p>
      ) : (
        <>
          {attempts > 1 && (
            <div className="attempts" role="group" aria-label="Attempt whose log is shown">
              {Array.from({ length: attempts }, (_, i) => i + 1).map((n) => {
                const current = (shownAttempt ?? attempts) === n;
                return (
                  <button
                    key={n}
                    type="button"
                    className="small"
                    aria-pressed={current}
                    onClick={() => setPickedAttempt(n === attempts ? undefined : n)}
                  >
                    Attempt {n}
                    {n === attempts ? ' (latest)' : ''}
                  </button>
                );
              })}
            </div>
          )}
          <LogView
            key={`${nodeKey}/${attempts}/${shownAttempt ?? 'latest'}`}
            url={logUrl}
            title={shownAttempt !== undefined ? `Log of attempt ${shownAttempt}` : 'Log'}
            onAttempt={(attempt) => {
              if (shownAttempt === undefined) setLogWorker(attempt.worker);
            }}
          />
        </>
      )}
    </aside>
  );
}
