/** API dependencies for tests that build the app without a reachable Temporal: small limits, no stacks. */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { ApiDeps } from '../../api/services/deps';

/** Dependencies over `client` and `db` with one node class `nodeClass`; paths point nowhere, so nothing is read. */
export function offlineApiDeps(options: {
  client: Client;
  db: Pool;
  nodeClass: string;
  taskQueuePrefix: string;
}): ApiDeps {
  return {
    client: options.client,
    db: options.db,
    namespace: 'default',
    taskQueuePrefix: options.taskQueuePrefix,
    auth: { ratePerSecond: 100, burst: 100 },
    nodeClasses: [{ name: options.nodeClass, concurrency: 1, pricePerHour: 0, labels: {} }],
    taskPolicy: { heartbeatTimeoutSeconds: 5, infraMaxAttempts: 1 },
    pollerLivenessSeconds: 75,
    maxBodyBytes: 65_536,
    maxDagBodyBytes: 65_536,
    dagLimits: { maxExpandedTasks: 100, maxMatrixBranches: 10 },
    dagPolicy: { continueAsNewAfterEvents: 10_000 },
    outputStoreDir: '/nonexistent/capstan-outputs',
    pulumiNodeClass: options.nodeClass,
    programs: { find: () => undefined, names: [] },
    stackConfigKey: Buffer.alloc(32),
    artifacts: { artifactDir: '/nonexistent/capstan-artifacts', artifactStore: { kind: 'local' } },
  };
}
