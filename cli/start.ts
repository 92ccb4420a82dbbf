/** Entry point of `npm start`: the whole stack on one machine, stopped cleanly by Ctrl-C. */
import { loadConfig } from '../config/env';
import { loadNodeClasses } from '../config/node-classes';
import { startLocalStack, type LocalStack } from './local-stack';

const say = (line: string): void => {
  process.stderr.write(`[capstan] ${line}\n`);
};

async function main(): Promise<void> {
  // Handlers go in first: a signal during a long start (building the Temporal CLI) must still stop
  // what has started, once it has, instead of leaving the dev server and workers behind.
  const running: { stack?: LocalStack } = {};
  let stopRequested = false;
  const shutdown = (signal: string): void => {
    if (stopRequested) return;
    stopRequested = true;
    say(`${signal} received; stopping workers, API and Temporal`);
    if (running.stack) void stopAndExit(running.stack);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const config = loadConfig(startEnv(process.argv.slice(2)));
  const nodeClasses = loadNodeClasses(config.nodeClassesFile);
  say(`data directory: ${config.dataDir}`);
  const stack = await startLocalStack(config, nodeClasses, say);
  running.stack = stack;
  if (stopRequested) return stopAndExit(stack);
  say(`console:         ${stack.apiUrl}/  (sign in with a Capstan token)`);
  say(
    `API:             ${stack.apiUrl}  (try, with CAPSTAN_TOKEN set to an admin or operator token: curl -X POST ${stack.apiUrl}/v1/tasks -H "Authorization: Bearer $CAPSTAN_TOKEN" -H 'Content-Type: application/json' -d '{"nodeClass":"${nodeClasses[0]?.name}","command":"echo hello"}')`,
  );
  say(`Temporal Web UI: ${stack.uiUrl ?? '(external cluster; set CAPSTAN_TEMPORAL_UI_URL)'}`);
  say(`Temporal:        ${config.temporal.address} (namespace ${config.temporal.namespace})`);
  say(
    `worker metrics:  ${Object.entries(stack.workerMetricsPorts)
      .map(([n, p]) => `${n}=:${p}`)
      .join(' ')}`,
  );
  say('Capstan is up. Press Ctrl-C to stop.');
}

/** The environment with `npm start`'s own options applied: `--verbose` is CAPSTAN_VERBOSE=true; others are refused. */
function startEnv(args: string[]): NodeJS.ProcessEnv {
  const unknown = args.filter((arg) => arg !== '--verbose');
  if (unknown.length > 0) {
    throw new Error(`unknown option ${unknown.join(' ')}; npm start takes --verbose (npm start -- --verbose)`);
  }
  return args.includes('--verbose') ? { ...process.env, CAPSTAN_VERBOSE: 'true' } : process.env;
}

async function stopAndExit(stack: LocalStack): Promise<void> {
  await stack.stop();
  say('stopped');
  process.exit(0);
}

main().catch((err: unknown) => {
  say(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
