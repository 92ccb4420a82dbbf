/** Entry point of `npm start`: the whole stack on one machine, stopped cleanly by Ctrl-C. */
import { loadConfig } from '../config/env';
import { loadNodeClasses } from '../config/node-classes';
import { startStack } from './stack';

const say = (line: string): void => {
  process.stderr.write(`[capstan] ${line}\n`);
};

async function main(): Promise<void> {
  const config = loadConfig();
  const nodeClasses = loadNodeClasses(config.nodeClassesFile);
  say(`data directory: ${config.dataDir}`);
  const stack = await startStack(config, nodeClasses, say);
  say(`API:             ${stack.apiUrl}  (try: curl -X POST ${stack.apiUrl}/v1/tasks -H 'Content-Type: application/json' -d '{"nodeClass":"${nodeClasses[0]?.name}","command":"echo hello"}')`);
  say(`Temporal Web UI: ${stack.uiUrl ?? '(external cluster; set CAPSTAN_TEMPORAL_UI_URL)'}`);
  say(`Temporal:        ${config.temporal.address} (namespace ${config.temporal.namespace})`);
  say(`worker metrics:  ${Object.entries(stack.workerMetricsPorts).map(([n, p]) => `${n}=:${p}`).join(' ')}`);
  say('Capstan is up. Press Ctrl-C to stop.');
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal} received; stopping workers, API and Temporal`);
    void stack.stop().then(() => {
      say('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  say(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
