#!/usr/bin/env node
/** The `capstan` command line: submit a DAG or a task from a file and follow it, read task logs, check, cancel or retry runs, import GitHub workflows, manage tokens. */
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { ROLES, type Role } from '../db/stores/token-roles';
import { parseDurationSeconds } from '../db/stores/token-format';
import { createToken } from '../db/stores/token-store';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/open';
import { ApiCallError, callApi, followEvents, type ApiTarget } from './api-client';
import { CommandLineError, logsCommand } from './logs-command';
import { pipelineCommand } from './pipeline-command';
import { printChanges, printOutcome, printProgress, type ProgressEvent } from './progress-printer';
import { finishedLogPrinter } from './run-logs';

const USAGE = `usage: capstan <command> [options]
  run <spec.yaml|spec.json> [--follow [--logs]]
                                         submit a DAG (a file with "tasks") or a single task; --follow shows
                                         progress, --logs also each finished task's whole log
  status <run-id>                        show a run
  logs <run-id> [task] [--attempt N] [--follow] [--stream stdout|stderr] [--tail N] [--timestamps]
                                         a task's log (latest attempt unless --attempt); a DAG names the task by
                                         key (build, test[3]), a pipeline by <job>/<step> (build/0, deploy/rollback-0).
                                         --follow streams it until the attempt ends (exit 1 if its worker was lost)
  cancel <run-id>                        cancel a running run
  retry <run-id> [--job JOB] [--follow [--logs]]
                                         retry a failed DAG run from its failure, or re-run a pipeline run's
                                         failed jobs (or --job JOB: that job), each with everything downstream
  pipeline import <workflow.yml> [--runs-on-map ubuntu-latest=general,windows-latest=win] [--default-class general]
                  [--out .capstan/pipeline.yaml] [--check]
                                         convert a GitHub Actions workflow into a pipeline file (printed, or written
                                         to --out), with a report on stderr of every line not converted and why;
                                         --check has the API validate it against its node classes
  token create --principal NAME --role viewer|operator|admin [--expires-in 30d] [--database-url URL]
                                         make a token (admin); it is printed once. With --database-url it is
                                         written straight to the database, for when no admin token is left
  token list                             list tokens (admin; never their secrets)
  token revoke <token-id>                revoke a token (admin)
options: --api URL (default $CAPSTAN_API_URL or http://127.0.0.1:8080), --token TOKEN (default $CAPSTAN_TOKEN),
         --idempotency-key KEY`;

/** Options that take a value, so the value is not read as a positional argument. */
const VALUE_OPTIONS = [
  '--api',
  '--token',
  '--idempotency-key',
  '--principal',
  '--role',
  '--expires-in',
  '--database-url',
  '--job',
];

/** Flags without a value that some command takes. */
const FLAGS = ['--follow', '--logs'];

async function main(argv: string[]): Promise<number> {
  const flags = new Set(argv.filter((a) => FLAGS.includes(a)));
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const positional = argv.filter((a, i) => !a.startsWith('--') && !VALUE_OPTIONS.includes(argv[i - 1] ?? ''));
  const [command, target] = positional;
  const api: ApiTarget = {
    baseUrl: option('--api') ?? process.env.CAPSTAN_API_URL ?? 'http://127.0.0.1:8080',
    token: option('--token') ?? process.env.CAPSTAN_TOKEN,
  };
  if (command === 'logs') return logsCommand(api, argv);
  if (command === 'pipeline') return pipelineCommand(api, argv);
  const unknown = argv.filter(
    (a, i) =>
      a.startsWith('--') && ![...FLAGS, ...VALUE_OPTIONS].includes(a) && !VALUE_OPTIONS.includes(argv[i - 1] ?? ''),
  );
  if (unknown.length > 0) throw new CommandLineError(`unknown option ${unknown.join(', ')}`);
  if (!command || !target) {
    console.error(USAGE);
    return 2;
  }
  if (flags.has('--logs') && !flags.has('--follow')) throw new CommandLineError('--logs needs --follow');
  switch (command) {
    case 'token':
      return tokenCommand(api, target, positional[2], option);
    case 'run': {
      const spec = readSpec(target);
      const isDag = typeof spec === 'object' && spec !== null && 'tasks' in spec;
      const started = await callApi<{ runId: string }>(api, 'POST', isDag ? '/v1/dags' : '/v1/tasks', spec);
      return report(api, started.runId, flags, isDag ? 'dag' : 'task');
    }
    case 'retry': {
      const job = option('--job');
      const started = await callApi<{ runId: string; rerun: number; reused: number }>(
        api,
        'POST',
        `/v1/runs/${encodeURIComponent(target)}/retry`,
        job === undefined ? undefined : { job },
      );
      const what = target.startsWith('pipeline-') ? 'job(s)' : 'task(s)';
      console.log(`retrying ${target}: ${started.rerun} ${what} to run again, ${started.reused} reused`);
      return report(api, started.runId, flags, 'dag');
    }
    case 'status': {
      const run = await callApi<{ status: string }>(api, 'GET', `/v1/runs/${encodeURIComponent(target)}`);
      console.log(JSON.stringify(run, null, 2));
      return run.status === 'failed' ? 1 : 0;
    }
    case 'cancel':
      await callApi(api, 'POST', `/v1/runs/${encodeURIComponent(target)}/cancel`);
      console.log(`cancelling ${target}`);
      return 0;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

/**
 * Prints where the run is; with --follow, streams its progress (with --logs, each finished task's log after
 * the line saying it finished) and returns non-zero unless it completed.
 */
async function report(api: ApiTarget, runId: string, flags: Set<string>, kind: 'dag' | 'task'): Promise<number> {
  console.log(`started ${runId}`);
  if (!flags.has('--follow')) {
    console.log(`follow it: capstan status ${runId}  (or GET ${api.baseUrl}/v1/runs/${runId})`);
    return 0;
  }
  const printLogs = flags.has('--logs') ? finishedLogPrinter(api, runId, kind) : undefined;
  let finalStatus = 'unknown';
  await followEvents(api, `/v1/runs/${encodeURIComponent(runId)}/events`, async (event, data) => {
    if (event === 'progress' && !printLogs) printProgress(data as ProgressEvent);
    if (event === 'progress' && printLogs) {
      // The whole log replaces the failure's last lines, and comes before the count and the run's ending.
      printChanges(data as ProgressEvent, { tails: false });
      await printLogs(data as ProgressEvent);
      printOutcome(data as ProgressEvent, { tails: false });
    }
    if (event === 'end') finalStatus = (data as { status: string }).status;
  });
  return finalStatus === 'completed' ? 0 : 1;
}

/** A token as `GET /v1/tokens` shows it. */
interface TokenView {
  id: string;
  principal: string;
  role: Role;
  status: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** `token create|list|revoke`: through the API as an admin, or (create only) straight to the database. */
async function tokenCommand(
  api: ApiTarget,
  sub: string,
  id: string | undefined,
  option: (name: string) => string | undefined,
): Promise<number> {
  if (sub === 'list') {
    const { tokens } = await callApi<{ tokens: TokenView[] }>(api, 'GET', '/v1/tokens');
    for (const t of tokens) {
      console.log(
        `${t.id}  ${t.principal}  ${t.role}  ${t.status}  created ${t.createdAt}  expires ${t.expiresAt ?? 'never'}  last used ${t.lastUsedAt ?? 'never'}`,
      );
    }
    return 0;
  }
  if (sub === 'revoke' && id) {
    const token = await callApi<TokenView>(api, 'DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
    console.log(`revoked ${token.id} (${token.principal}, ${token.role})`);
    return 0;
  }
  if (sub !== 'create') {
    console.error(`unknown or incomplete token command "${[sub, id].filter(Boolean).join(' ')}"\n${USAGE}`);
    return 2;
  }
  const principal = option('--principal');
  const role = option('--role');
  const expiresIn = option('--expires-in');
  const expiresInSeconds = expiresIn === undefined ? undefined : parseDurationSeconds(expiresIn);
  const problems = [
    ...(principal ? [] : ['--principal NAME is required']),
    ...(role && (ROLES as readonly string[]).includes(role) ? [] : [`--role must be one of ${ROLES.join(', ')}`]),
    ...(expiresIn !== undefined && expiresInSeconds === undefined
      ? [`--expires-in "${expiresIn}" is not a duration like 90s, 15m, 12h, 30d or 2w`]
      : []),
  ];
  if (problems.length > 0) {
    console.error(`capstan: ${problems.join('; ')}`);
    return 2;
  }
  const databaseUrl = option('--database-url');
  let created: { id: string; token: string; expiresAt: string | null };
  if (databaseUrl) {
    // No API and no token needed: whoever can reach the database can already do anything to Capstan's records.
    const db = await openDatabase(databaseUrl, createLogger('capstan-cli', 'warn'), 10_000);
    try {
      const expiresAt = expiresInSeconds === undefined ? undefined : new Date(Date.now() + expiresInSeconds * 1000);
      const { record, secret } = await createToken(db, {
        principal: principal!,
        role: role as Role,
        createdBy: `${osUser()}@${hostname()} (capstan token create --database-url)`,
        expiresAt,
      });
      created = { id: record.id, token: secret, expiresAt: record.expiresAt?.toISOString() ?? null };
    } finally {
      await db.end();
    }
  } else {
    created = await callApi(api, 'POST', '/v1/tokens', {
      principal,
      role,
      ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
    });
  }
  console.error(
    `created token ${created.id} for ${principal} (${role}), expires ${created.expiresAt ?? 'never'}; it is shown once, store it now:`,
  );
  console.log(created.token);
  return 0;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown'; // a uid without a passwd entry (some containers)
  }
}

function readSpec(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

// `capstan logs … | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/** Exits once stdout has taken everything written to it, so a piped log is never cut short. */
function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exitAfterOutput, (err: unknown) => {
  if (err instanceof CommandLineError) {
    console.error(`capstan: ${err.message}${err.usage ? `\n${USAGE}` : ''}`);
    return exitAfterOutput(2);
  }
  console.error(err instanceof ApiCallError || err instanceof Error ? `capstan: ${err.message}` : err);
  // 2: the request was refused as invalid; 3: the token was refused (401) or may not do it (403).
  exitAfterOutput(
    !(err instanceof ApiCallError) ? 1 : err.status === 400 ? 2 : err.status === 401 || err.status === 403 ? 3 : 1,
  );
});
