#!/usr/bin/env node
/** The `capstan` command line: submit a DAG or a task from a file and follow it, check, cancel or retry runs. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ApiCallError, callApi, followEvents } from './api-client';
import { printProgress, type ProgressEvent } from './progress-printer';

const USAGE = `usage: capstan <command> [options]
  run <spec.yaml|spec.json> [--follow]   submit a DAG (a file with "tasks") or a single task
  status <run-id>                        show a run
  cancel <run-id>                        cancel a running run
  retry <run-id> [--follow]              retry a failed DAG run from its failure
options: --api URL (default $CAPSTAN_API_URL or http://127.0.0.1:8080), --idempotency-key KEY`;

async function main(argv: string[]): Promise<number> {
  const flags = new Set(argv.filter((a) => a === '--follow'));
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const positional = argv.filter((a, i) => !a.startsWith('--') && !['--api', '--idempotency-key'].includes(argv[i - 1] ?? ''));
  const [command, target] = positional;
  const api = option('--api') ?? process.env.CAPSTAN_API_URL ?? 'http://127.0.0.1:8080';
  if (!command || !target) {
    console.error(USAGE);
    return 2;
  }
  switch (command) {
    case 'run': {
      const spec = readSpec(target);
      const isDag = typeof spec === 'object' && spec !== null && 'tasks' in spec;
      const started = await callApi<{ runId: string }>(api, 'POST', isDag ? '/v1/dags' : '/v1/tasks', spec);
      return report(api, started.runId, flags.has('--follow'));
    }
    case 'retry': {
      const started = await callApi<{ runId: string; rerun: number; reused: number }>(api, 'POST', `/v1/runs/${encodeURIComponent(target)}/retry`);
      console.log(`retrying ${target}: ${started.rerun} task(s) to run again, ${started.reused} reused`);
      return report(api, started.runId, flags.has('--follow'));
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

/** Prints where the run is; with --follow, streams its progress and returns non-zero unless it completed. */
async function report(api: string, runId: string, follow: boolean): Promise<number> {
  console.log(`started ${runId}`);
  if (!follow) {
    console.log(`follow it: capstan status ${runId}  (or GET ${api}/v1/runs/${runId})`);
    return 0;
  }
  let finalStatus = 'unknown';
  await followEvents(api, `/v1/runs/${encodeURIComponent(runId)}/events`, (event, data) => {
    if (event === 'progress') printProgress(data as ProgressEvent);
    if (event === 'end') finalStatus = (data as { status: string }).status;
  });
  return finalStatus === 'completed' ? 0 : 1;
}

function readSpec(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof ApiCallError || err instanceof Error ? `capstan: ${err.message}` : err);
  process.exit(err instanceof ApiCallError && err.status === 400 ? 2 : 1);
});
