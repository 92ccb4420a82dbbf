/** `capstan logs <run-id> [task]`: one task's log from the API's log routes, printed whole or followed. */
import { parseArgs } from 'node:util';
import { callApi, type ApiTarget } from './api-client';
import { followLog, printLog } from './task-log';

/** A bad command line or a task the run does not have: the message says why, exit 2 (with usage when `usage`). */
export class CommandLineError extends Error {
  constructor(
    message: string,
    readonly usage = true,
  ) {
    super(message);
  }
}

/** What `GET /v1/runs/:id` says that the command needs: the kind and the names of the run's tasks. */
interface RunView {
  runId: string;
  kind: string;
  status: string;
  dag?: { total: number; nodes: Array<{ key: string }> };
  pipeline?: { jobs: Array<{ id: string; steps: unknown[]; rollback?: { steps: unknown[] } }> };
}

const OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  attempt: { type: 'string' },
  follow: { type: 'boolean' },
  stream: { type: 'string' },
  tail: { type: 'string' },
  timestamps: { type: 'boolean' },
} as const;

/** Most task names a message lists before it says how many more there are. */
const LISTED = 50;

/** Runs `capstan logs …` (argv from the verb on); returns the exit code. */
export async function logsCommand(api: ApiTarget, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  // Parsed again here so `--api=URL` works as well as `--api URL`.
  api = { baseUrl: values.api ?? api.baseUrl, token: values.token ?? api.token };
  const [, runId, task, ...extra] = positionals;
  const problems = [
    ...(runId ? [] : ['logs needs a run id']),
    ...(extra.length > 0 ? [`unexpected "${extra.join(' ')}"`] : []),
    ...(values.attempt === undefined || /^[1-9][0-9]{0,5}$/.test(values.attempt)
      ? []
      : [`--attempt "${values.attempt}" is not an attempt number (1, 2, …)`]),
    ...(values.stream === undefined || ['stdout', 'stderr'].includes(values.stream)
      ? []
      : [`--stream "${values.stream}" must be stdout or stderr`]),
    ...(values.tail === undefined || /^[1-9][0-9]{0,4}$/.test(values.tail)
      ? []
      : [`--tail "${values.tail}" must be a number of lines from 1 to 99999`]),
  ];
  if (problems.length > 0) throw new CommandLineError(problems.join('; '));

  const run = await callApi<RunView>(api, 'GET', `/v1/runs/${encodeURIComponent(runId!)}`);
  const query = new URLSearchParams();
  if (values.attempt) query.set('attempt', values.attempt);
  if (values.stream) query.set('stream', values.stream);
  if (values.tail) query.set('tail', values.tail);
  if (values.timestamps) query.set('timestamps', 'true');
  if (values.follow) query.set('follow', 'true');
  const path = `${logPath(run, task)}${query.size > 0 ? `?${query}` : ''}`;
  if (!values.follow) {
    await printLog(api, path);
    return 0;
  }
  const end = await followLog(api, path);
  if (end.state === 'ended') return 0;
  if (end.state === 'lost') {
    const next = (end.attempt ?? 0) + 1;
    const again = ['capstan logs', runId, ...(task ? [task] : []), '--attempt', String(next), '--follow'].join(' ');
    console.error(
      `capstan: the worker running attempt ${end.attempt ?? '?'}${end.worker ? ` (${end.worker})` : ''} was lost: ` +
        `its log stopped without an end. Temporal retries the task on another worker; follow the retry with: ${again}`,
    );
  } else console.error(`capstan: ${end.message ?? 'no log'}`);
  return 1;
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CommandLineError((err as Error).message); // an unknown option, or one without its value
  }
}

/** The log route of `task` in `run`; a task the run cannot have is a CommandLineError listing the ones it has. */
function logPath(run: RunView, task: string | undefined): string {
  const id = encodeURIComponent(run.runId);
  switch (run.kind) {
    case 'task':
      if (task) throw new CommandLineError(`run "${run.runId}" is a single task with one log; leave out "${task}"`);
      return `/v1/runs/${id}/log`;
    case 'dag': {
      const keys = run.dag?.nodes.map((n) => n.key);
      // Without the node list (no orchestrator answered, or a page of a huge DAG) the API checks the key.
      const complete = keys !== undefined && run.dag!.total <= keys.length;
      if (!task || (complete && !keys.includes(task)))
        throw taskMissing(run, task, 'DAG', keys ?? [], run.dag?.total ?? 0, `${keys?.[0] ?? 'build'}`);
      return `/v1/runs/${id}/tasks/${encodeURIComponent(task)}/log`;
    }
    case 'pipeline': {
      const jobs = run.pipeline?.jobs;
      const steps = (jobs ?? []).flatMap((j) => [
        ...j.steps.map((_, i) => `${j.id}/${i}`),
        ...(j.rollback?.steps ?? []).map((_, i) => `${j.id}/rollback-${i}`),
      ]);
      const match = task ? /^([^/]+)\/((?:rollback-)?[0-9]+)$/.exec(task) : null;
      // Rollback steps are listed only once they run; while the run is open one may still come.
      const mayCome = run.status === 'running' && task?.includes('/rollback-');
      if (!match || (jobs !== undefined && !steps.includes(task!) && !mayCome))
        throw taskMissing(run, task, 'pipeline', steps, steps.length, steps[0] ?? 'build/0', ' (<job>/<step>)');
      return `/v1/runs/${id}/jobs/${encodeURIComponent(match[1]!)}/steps/${encodeURIComponent(match[2]!)}/log`;
    }
    default:
      throw new CommandLineError(`run "${run.runId}" is a ${run.kind} run, which has no task logs`, false);
  }
}

function taskMissing(
  run: RunView,
  task: string | undefined,
  kind: string,
  names: string[],
  total: number,
  example: string,
  form = '',
): CommandLineError {
  const listed = names.slice(0, LISTED).join(', ');
  const more = total > LISTED ? `, … (${total} in all)` : '';
  const head = task
    ? `run "${run.runId}" has no task "${task}"`
    : `run "${run.runId}" is a ${kind}: name one of its tasks${form}, e.g. capstan logs ${run.runId} ${example}`;
  return new CommandLineError(`${head}\ntasks: ${listed || '(none yet)'}${more}`, false);
}
