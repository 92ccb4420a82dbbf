/**
 * `/runs/new`: write a task or DAG spec in YAML, see its problems in place and its plan drawn as
 * you type (the API checks it, starting nothing), then start it and land on the new run's page.
 */
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, must } from '../http/client';
import { canOperate, useSession } from '../http/session';
import { DagGraph } from '../components/DagGraph';
import { Link, navigate } from '../lib/router';
import { SpecEditor } from './SpecEditor';
import { diamondTemplate, fetchPlan, offsetOf, startSpec, type SpecIssue, type SpecPlan } from './new-run';
import './NewRunPage.css';

/** How long typing must pause before the spec is checked: each check is a request. */
const DEBOUNCE_MS = 400;

const NO_STATES: ReadonlyMap<string, string> = new Map();
const NO_NODES: ReadonlySet<string> = new Set();

/** The editor page; the text lives in this page only (nothing in storage), so a reload starts from the template. */
export function NewRunPage() {
  const session = useSession();
  const operator = canOperate(session.data);
  const classes = useQuery({
    queryKey: ['node-classes'],
    queryFn: async () => must(await api.GET('/v1/node-classes')),
    staleTime: 60_000,
  });
  const firstClass =
    classes.data?.nodeClasses.find((c) => c.liveWorkers > 0)?.name ?? classes.data?.nodeClasses[0]?.name;
  const [text, setText] = useState<string | undefined>(undefined);
  // The template waits for the node classes, so its tasks name one that exists here.
  useEffect(() => {
    if (text === undefined && (firstClass !== undefined || classes.isError))
      setText(diamondTemplate(firstClass ?? 'default'));
  }, [text, firstClass, classes.isError]);
  const current = text ?? '';
  const [checked, setChecked] = useState(current);
  useEffect(() => {
    const timer = setTimeout(() => setChecked(current), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [current]);
  const plan = useQuery({
    queryKey: ['plan', checked],
    enabled: checked.trim() !== '',
    queryFn: ({ signal }) => fetchPlan(checked, signal),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    retry: false,
  });
  const editor = useRef<HTMLTextAreaElement>(null);
  const moveTo = (line: number, column = 1) => {
    const area = editor.current;
    if (!area) return;
    const at = offsetOf(area.value, line, column);
    area.focus();
    area.setSelectionRange(at, at);
    // Put the line in view: the caret moved, but a textarea scrolls to it only on the next keystroke.
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
    area.scrollTop = Math.max(0, (line - 3) * lineHeight);
  };
  const answer = plan.data;
  // An answer about other text than what is in the editor is not one to start from.
  const upToDate = answer !== undefined && checked === current && !plan.isFetching;
  const issues = answer?.issues ?? [];
  const marked = useMemo(() => {
    const lines = new Map<number, string>();
    for (const issue of answer?.issues ?? [])
      if (issue.line !== undefined) lines.set(issue.line, `${issue.field}: ${issue.message}`);
    return lines;
  }, [answer]);
  const cycle = useMemo(() => {
    const ids = new Set(
      (answer?.issues ?? []).filter((i) => i.message.startsWith('dependency cycle')).flatMap((i) => i.tasks ?? []),
    );
    return new Map(answer?.plan?.nodes.filter((n) => ids.has(n.task)).map((n) => [n.key, 'in a dependency cycle']));
  }, [answer]);
  const start = useMutation({
    mutationFn: () => startSpec(current, answer!.kind),
    onSuccess: (runId) => navigate(`/runs/${encodeURIComponent(runId)}`),
  });

  return (
    <section aria-labelledby="new-run-title" className="new-run">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/runs">Runs</Link> <span aria-hidden="true">/</span> <span>New</span>
      </nav>
      <h1 id="new-run-title">{operator ? 'Start a run' : 'Check a spec'}</h1>
      <p className="hint">
        A DAG (with <code>tasks</code>) or a single task, in YAML. It is checked as you type and its plan drawn; nothing
        runs until you press Start.
      </p>
      {text === undefined ? (
        <p className="loading">Loading…</p>
      ) : (
        <div className="new-run-grid">
          <div className="card editor-card">
            <div className="editor-head">
              <label htmlFor="spec">Spec (YAML)</label>
              <button type="button" onClick={() => setText(diamondTemplate(firstClass ?? 'default'))}>
                Diamond template
              </button>
            </div>
            <SpecEditor
              id="spec"
              value={current}
              onChange={setText}
              marked={marked}
              textareaRef={editor}
              describedBy="spec-verdict"
            />
            <Verdict answer={answer} upToDate={upToDate} error={plan.error} blank={current.trim() === ''} />
            {issues.length > 0 && <IssueList issues={issues} moveTo={moveTo} />}
            <div className="start-row">
              {operator ? (
                <button
                  type="button"
                  className="primary"
                  disabled={!upToDate || !answer.valid || start.isPending}
                  onClick={() => start.mutate()}
                >
                  {start.isPending ? 'Starting…' : answer?.kind === 'task' ? 'Start task' : 'Start DAG'}
                </button>
              ) : (
                <p className="hint">You may check a spec here; starting it needs the operator role.</p>
              )}
              {start.error && (
                <p role="alert" className="error">
                  {start.error.message}
                </p>
              )}
            </div>
          </div>
          <section className="card plan-card" aria-labelledby="plan-title">
            <h2 id="plan-title">Plan</h2>
            {answer?.plan ? (
              <>
                <p className="hint" data-testid="plan-summary">
                  {planSummary(answer.plan)}
                  {!answer.valid && ' · drawn as written; fix the problems to start it'}
                </p>
                <DagGraph
                  graph={answer.plan}
                  live={NO_STATES}
                  reused={NO_NODES}
                  marked={cycle}
                  selected={undefined}
                  hrefOf={(key) => `#node-${encodeURIComponent(key)}`}
                  onSelect={(key) => {
                    const line = answer.plan?.nodes.find((n) => n.key === key)?.line;
                    if (line !== undefined) moveTo(line);
                  }}
                  title={`Plan of ${answer.plan.name}`}
                />
              </>
            ) : (
              <p className="empty">The plan is drawn once the spec has the shape of a task or a DAG.</p>
            )}
          </section>
        </div>
      )}
    </section>
  );
}

function planSummary(plan: NonNullable<SpecPlan['plan']>): string {
  const n = plan.nodes.length;
  return `${plan.name}: ${n} node${n === 1 ? '' : 's'} in ${plan.layers} layer${plan.layers === 1 ? '' : 's'}`;
}

/** One line that says where the spec stands, announced to screen readers as it changes. */
function Verdict(props: { answer: SpecPlan | undefined; upToDate: boolean; error: Error | null; blank: boolean }) {
  const { answer, upToDate, error, blank } = props;
  let text: string;
  let state: string;
  if (blank) [text, state] = ['Write a spec to check it.', 'idle'];
  else if (error) [text, state] = [`Could not check the spec: ${error.message}`, 'error'];
  else if (!answer || !upToDate) [text, state] = ['Checking…', 'checking'];
  else if (answer.valid) [text, state] = [`Valid ${answer.kind === 'task' ? 'task' : 'DAG'}: ready to start.`, 'valid'];
  else {
    const n = answer.issues?.length ?? 0;
    [text, state] = [
      `${n} problem${n === 1 ? '' : 's'}: nothing can start until ${n === 1 ? 'it is' : 'they are'} fixed.`,
      'invalid',
    ];
  }
  return (
    <p id="spec-verdict" className={`verdict verdict-${state}`} role="status" data-state={state}>
      {text}
    </p>
  );
}

/** The spec's problems, each with a link that puts the caret on its line. */
function IssueList({ issues, moveTo }: { issues: SpecIssue[]; moveTo: (line: number, column?: number) => void }) {
  return (
    <ul className="issues" aria-label="Problems" data-testid="issues">
      {issues.map((issue, i) => (
        <li key={i}>
          {issue.line !== undefined ? (
            <a
              href={`#line-${issue.line}`}
              className="issue-at"
              onClick={(event) => {
                event.preventDefault();
                moveTo(issue.line!, issue.column);
              }}
            >
              {`line ${issue.line}:${issue.column ?? 1}`}
            </a>
          ) : (
            <span className="issue-at">—</span>
          )}{' '}
          <code className="issue-field">{issue.field}</code> <span className="issue-message">{issue.message}</span>
          {issue.tasks && issue.tasks.length > 0 && (
            <span className="issue-tasks">
              {' '}
              (task{issue.tasks.length === 1 ? '' : 's'} {issue.tasks.join(', ')})
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
