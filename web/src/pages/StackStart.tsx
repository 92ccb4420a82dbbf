/** Starting an operation on a stack (operators only): preview, up (with or without approval), refresh, or destroy after typing its name. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must } from '../http/client';

const OPERATIONS = ['preview', 'up', 'refresh', 'destroy'] as const;
type Operation = (typeof OPERATIONS)[number];

/** The form that starts an operation; a busy stack's 409 is shown in the API's words. */
export function StackStart({ project, stack, busy }: { project: string; stack: string; busy: boolean }) {
  const client = useQueryClient();
  const name = `${project}/${stack}`;
  const [operation, setOperation] = useState<Operation>('up');
  const [approval, setApproval] = useState(true);
  const [allowRequester, setAllowRequester] = useState(false);
  const [confirm, setConfirm] = useState('');
  const start = useMutation({
    mutationFn: async () =>
      must(
        await api.POST('/v1/stacks/{project}/{stack}/operations', {
          params: { path: { project, stack } },
          body: {
            operation,
            ...(operation === 'up' && approval ? { approval: { allowRequester } } : {}),
            ...(operation === 'destroy' ? { confirm } : {}),
          },
        }),
      ),
    onSuccess: () => setConfirm(''),
    onSettled: () => client.invalidateQueries({ queryKey: ['stack', project, stack] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.mutate();
  };
  const destroyReady = operation !== 'destroy' || confirm === name;
  return (
    <form className="card stack-start" onSubmit={submit} aria-labelledby="start-title">
      <h2 id="start-title">Start an operation</h2>
      <div className="start-row">
        <div className="field">
          <label htmlFor="op-kind">Operation</label>
          <select id="op-kind" value={operation} onChange={(e) => setOperation(e.target.value as Operation)}>
            {OPERATIONS.map((op) => (
              <option key={op} value={op}>
                {op}
              </option>
            ))}
          </select>
        </div>
        {operation === 'up' && (
          <fieldset className="checks">
            <legend className="sr-only">Approval</legend>
            <label>
              <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.target.checked)} /> Wait for
              approval of the diff before applying
            </label>
            {approval && (
              <label>
                <input type="checkbox" checked={allowRequester} onChange={(e) => setAllowRequester(e.target.checked)} />{' '}
                I may approve it myself
              </label>
            )}
          </fieldset>
        )}
        {operation === 'destroy' && (
          <div className="field">
            <label htmlFor="op-confirm">
              Destroys every resource. Type <code>{name}</code> to confirm
            </label>
            <input id="op-confirm" value={confirm} autoComplete="off" onChange={(e) => setConfirm(e.target.value)} />
          </div>
        )}
        <button
          type="submit"
          className={operation === 'destroy' ? 'danger' : 'primary'}
          disabled={start.isPending || busy || !destroyReady}
        >
          {start.isPending ? 'Starting…' : `Start ${operation}`}
        </button>
      </div>
      {busy && <p className="hint">An operation runs on this stack; a new one can start when it ends.</p>}
      {start.error && (
        <p role="alert" className="error">
          {start.error.message}
        </p>
      )}
    </form>
  );
}
