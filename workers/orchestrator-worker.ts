/** Entry point: the orchestrator worker, which runs Capstan's workflows. */
import { setFlagsFromString } from 'node:v8';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { bundleWorkflowsInChild } from './bundle-workflows';
import { connectWorker, createOrchestratorWorker } from './create-orchestrator';
import { installWorkerRuntime } from './runtime';

/**
 * Young-generation semi-spaces of 4 MB instead of V8's 16 MB, for the workflow thread the SDK starts
 * later (the flag is read when an isolate is created): a DAG run's state is rebuilt at every
 * continue-as-new, and the larger nursery let the thread's heap swing by ~40 MB at those moments.
 */
setFlagsFromString('--max-semi-space-size=4');
/**
 * Old generation allowed to grow 60% past what the last full GC kept, for both isolates (read at
 * every GC). V8 lets a heap with a multi-GB limit grow up to 4x first: the SDK records a stack trace
 * for every promise a workflow creates, and on a 10,000-task DAG the workflow thread's heap climbed
 * from ~45 MB live to ~115 MB between full GCs, which the process kept as RSS (peak 334 MB; 255 MB
 * with 60%, 247 MB with 30% at ~7% more orchestrator CPU). No hard heap limit is set.
 */
setFlagsFromString('--heap-growing-percent=60');

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('orchestrator-worker', config.logLevel);
  installWorkerRuntime(logger, { host: config.worker.metricsHost, port: config.worker.metricsPort });
  // Bundled in a child process, so the worker does not keep webpack's memory for the rest of its life.
  const bundle = await bundleWorkflowsInChild();
  const connection = await connectWorker(config);
  const worker = await createOrchestratorWorker(connection, config, bundle);
  logger.info(
    { taskQueue: worker.options.taskQueue, identity: worker.options.identity },
    'orchestrator worker polling',
  );
  await worker.run();
  await connection.close();
  logger.info('orchestrator worker stopped');
}

main().catch((err: unknown) => {
  console.error(`orchestrator worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
