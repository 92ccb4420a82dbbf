/** What the API's services need: a Temporal client and the settings of this deployment. */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { CapstanConfig, FairnessConfig } from '../../config/env';
import type { ArtifactSettings } from '../../config/artifacts/open-artifact-store';
import type { NodeClass } from '../../config/node-classes';
import type { AlertRule } from '../../workflows/contracts/alert-rules';
import type { DagLimits } from '../../workflows/dag/validate';
import type { ProgramRegistry } from '../../infra/programs/registry';
import type { RateLimitStore } from '../auth/request-limiter';
import type { S3Location } from '../../config/outputs/output-store';

/** Dependencies injected into `createApp`; the API reads no environment itself. */
export interface ApiDeps {
  client: Client;
  /** Capstan's own database: tokens, audit log, runs and usage. */
  db: Pool;
  namespace: string;
  taskQueuePrefix: string;
  nodeClasses: NodeClass[];
  /** Limits every task run gets; see TaskExecutionPolicy. */
  taskPolicy: { heartbeatTimeoutSeconds: number; infraMaxAttempts: number };
  /** The label whose value is a run's fairness key, and the keys' weights; absent: every run shares one key. */
  fairness?: FairnessConfig;
  /** A poller seen longer ago than this is not counted as a live worker. */
  pollerLivenessSeconds: number;
  /** A worker whose health reports stopped this long ago is lost (DEFAULT_WORKER_LOST_AFTER_SECONDS when absent). */
  workerLostAfterSeconds?: number;
  maxBodyBytes: number;
  /** Body limit of `POST /v1/dags`: a 10,000-task spec is several MB of JSON. */
  maxDagBodyBytes: number;
  dagLimits: DagLimits;
  dagPolicy: { continueAsNewAfterEvents: number };
  /** Base URL of the Temporal Web UI, to link runs to their history. */
  webUiUrl?: string;
  /** Per-token rate limit: `burst` requests at once, refilled at `ratePerSecond`, kept in `store` (memory when absent). */
  auth: { ratePerSecond: number; burst: number; store?: RateLimitStore };
  /** How long found tokens (off unless given), ended runs' details and poller answers (defaults when absent) are reused (ms); 0 turns one off. */
  caches?: { tokenMs?: number; closedRunMs?: number; pollerMs?: number };
  /** Console sessions (POST /v1/session); the defaults of DEFAULT_SESSION_SETTINGS when absent. */
  session?: SessionSettings;
  /** The workers' output store, which `GET /v1/outputs/:reference` reads: the directory, or the bucket when given. */
  outputStoreDir: string;
  outputS3?: S3Location;
  /** The node class whose workers run Pulumi stack operations. */
  pulumiNodeClass: string;
  /** The Pulumi programs stacks may name, to validate a stack's config before anything runs. */
  programs: ProgramRegistry;
  /** Seals the secret fields of a stack's config before it is stored (see db/stores/stack-config-secrets). */
  stackConfigKey: Buffer;
  /** The pipeline artifact store the workers write, which `GET /v1/runs/:id/artifacts` reads. */
  artifacts: ArtifactSettings;
  /** The alert rules file as loaded at start, and its schedule; absent: no rules are configured. */
  alerts?: AlertSettings;
}

/** What `GET /v1/alerts` lists: the rules of the file the API loaded, and how they are evaluated. */
export interface AlertSettings {
  file: string;
  rules: AlertRule[];
  intervalSeconds: number;
  scheduleId: string;
}

/** How console sessions are made: their lifetime, and whether the cookie is always marked Secure. */
export interface SessionSettings {
  hours: number;
  secureCookie: boolean;
}

/** Twelve hours, and Secure only for a request that reached the API over TLS. */
export const DEFAULT_SESSION_SETTINGS: SessionSettings = { hours: 12, secureCookie: false };

/** What the API is built from besides its configuration: its clients and what start-up loaded. */
export interface ApiParts {
  client: Client;
  db: Pool;
  nodeClasses: NodeClass[];
  programs: ProgramRegistry;
  stackConfigKey: Buffer;
  alerts?: AlertSettings;
}

/** The API's dependencies as a deployment's configuration sets them. */
export function apiDepsFromConfig(config: CapstanConfig, parts: ApiParts): ApiDeps {
  const { client, db, nodeClasses, programs, stackConfigKey, alerts } = parts;
  return {
    client,
    db,
    namespace: config.temporal.namespace,
    taskQueuePrefix: config.taskQueuePrefix,
    nodeClasses,
    taskPolicy: config.task,
    ...(config.fairness ? { fairness: config.fairness } : {}),
    pollerLivenessSeconds: config.pollerLivenessSeconds,
    workerLostAfterSeconds: config.fleet.lostAfterSeconds,
    maxBodyBytes: config.api.maxBodyBytes,
    maxDagBodyBytes: config.api.maxDagBodyBytes,
    dagLimits: { maxExpandedTasks: config.dag.maxExpandedTasks, maxMatrixBranches: config.dag.maxMatrixBranches },
    dagPolicy: { continueAsNewAfterEvents: config.dag.continueAsNewAfterEvents },
    webUiUrl: config.temporal.uiUrl,
    auth: { ratePerSecond: config.auth.ratePerSecond, burst: config.auth.burst, store: config.auth.rateLimitStore },
    caches: { tokenMs: config.auth.tokenCacheMs },
    session: { hours: config.auth.sessionHours, secureCookie: config.auth.secureCookie },
    outputStoreDir: config.worker.outputStoreDir,
    outputS3: config.worker.outputS3,
    pulumiNodeClass: config.pulumi.nodeClass,
    programs,
    stackConfigKey,
    artifacts: { artifactDir: config.pipeline.artifactDir, artifactStore: config.pipeline.artifactStore },
    ...(alerts ? { alerts } : {}),
  };
}
