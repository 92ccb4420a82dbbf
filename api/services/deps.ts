/** What the API's services need: a Temporal client and the settings of this deployment. */
import type { Client } from '@temporalio/client';
import type { NodeClass } from '../../config/node-classes';

/** Dependencies injected into `createApp`; the API reads no environment itself. */
export interface ApiDeps {
  client: Client;
  namespace: string;
  taskQueuePrefix: string;
  nodeClasses: NodeClass[];
  /** Limits every task run gets; see TaskExecutionPolicy. */
  taskPolicy: { heartbeatTimeoutSeconds: number; infraMaxAttempts: number };
  /** A poller seen longer ago than this is not counted as a live worker. */
  pollerLivenessSeconds: number;
  maxBodyBytes: number;
  /** Base URL of the Temporal Web UI, to link runs to their history. */
  webUiUrl?: string;
}
