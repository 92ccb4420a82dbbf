/** Capstan's configuration: read once from the environment at a process edge and validated. */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { defaultCacheDir, REPO_ROOT } from './paths';
import { describeIssues, fieldIssues } from './zod-issues';
import type { S3Location } from './outputs/output-store';
import { WORKER_HOST_PATTERN, WORKER_HOST_RULE } from '../workflows/contracts/node-class';

/** Variables whose values task logs mask unless CAPSTAN_LOG_REDACTED_VARS says otherwise: Buildkite's defaults, plus passphrases. */
export const DEFAULT_LOG_REDACTED_VARS = [
  '*_PASSWORD',
  '*_SECRET',
  '*_TOKEN',
  '*_ACCESS_KEY',
  '*_SECRET_KEY',
  '*_PASSPHRASE',
] as const;

/** A whole number written in plain decimal digits; '', ' ' and '0x50' are refused, not read as 0 or 80. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().min(min).max(max));
const port = int(0, 65_535);
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
// An S3 bucket's settings, the same for every store that can live in one (artifacts, outputs).
const bucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be a bucket name: 3 to 63 lowercase letters, digits, dots and dashes',
  );
const endpointUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const regionName = z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a region name such as us-east-1');
const keyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9._\/-]{1,512}$/, 'must be letters, digits, ".", "_", "-" and "/"')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not hold "." or ".." segments');

const EnvSchema = z
  .object({
    CAPSTAN_DATA_DIR: z.string().min(1).default(join(REPO_ROOT, '.capstan')),
    CAPSTAN_CACHE_DIR: z.string().min(1).optional(),
    CAPSTAN_NODE_CLASSES_FILE: z
      .string()
      .min(1)
      .default(join(REPO_ROOT, 'config', 'node-classes.yaml')),
    CAPSTAN_TASK_QUEUE_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lowercase letters, digits and dashes')
      .default('capstan'),
    CAPSTAN_TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'must be host:port')
      .default('127.0.0.1:7233'),
    CAPSTAN_TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    CAPSTAN_TEMPORAL_DEV_SERVER: flag.default(true),
    CAPSTAN_TEMPORAL_BIN: z.string().min(1).optional(),
    CAPSTAN_TEMPORAL_UI_PORT: port.default(8233),
    CAPSTAN_TEMPORAL_UI_URL: z.url().optional(),
    CAPSTAN_API_HOST: z.string().min(1).default('127.0.0.1'),
    CAPSTAN_API_PORT: port.default(8080),
    CAPSTAN_API_MAX_BODY_BYTES: int(1024).default(1_048_576),
    CAPSTAN_API_MAX_DAG_BODY_BYTES: int(1024).default(16_777_216),
    CAPSTAN_DAG_MAX_TASKS: int(1).default(10_000),
    CAPSTAN_DAG_MAX_MATRIX_BRANCHES: int(1).default(256),
    CAPSTAN_DAG_CONTINUE_AS_NEW_EVENTS: int(100, 50_000).default(10_000),
    CAPSTAN_NODE_CLASS: z.string().min(1).optional(),
    CAPSTAN_WORKER_METRICS_PORT: port.optional(),
    CAPSTAN_WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    CAPSTAN_WORKSPACE_DIR: z.string().min(1).optional(),
    CAPSTAN_KEEP_WORKSPACES: flag.default(false),
    CAPSTAN_OUTPUT_TAIL_BYTES: int(256, 524_288).default(16_384),
    CAPSTAN_OUTPUT_STORE_DIR: z.string().min(1).optional(),
    CAPSTAN_OUTPUT_STORE: z.enum(['local', 's3']).default('local'),
    CAPSTAN_OUTPUT_S3_BUCKET: bucketName.optional(),
    CAPSTAN_OUTPUT_S3_ENDPOINT: endpointUrl.optional(),
    CAPSTAN_OUTPUT_S3_REGION: regionName.default('us-east-1'),
    CAPSTAN_OUTPUT_S3_PREFIX: keyPrefix.optional(),
    // The file is parsed as one string; V8 strings stop near 512 MiB.
    CAPSTAN_MAX_OUTPUT_BYTES: int(1024, 268_435_456).default(67_108_864),
    // Four times this stays inline at most, so at 65536 a result holds what it did before the store (256 KiB).
    CAPSTAN_INLINE_OUTPUT_BYTES: int(256, 65_536).default(16_384),
    CAPSTAN_HEARTBEAT_TIMEOUT_SECONDS: int(2, 3600).default(20),
    CAPSTAN_INFRA_MAX_ATTEMPTS: int(1, 100).default(10),
    CAPSTAN_POLLER_LIVENESS_SECONDS: int(5).default(75),
    CAPSTAN_SHUTDOWN_GRACE_SECONDS: int(0).default(10),
    CAPSTAN_WORKER_HOST: z.string().regex(WORKER_HOST_PATTERN, WORKER_HOST_RULE).optional(),
    CAPSTAN_WORKER_REPORT_INTERVAL_SECONDS: int(1, 3600).default(15),
    CAPSTAN_WORKER_REPORT_RETENTION_HOURS: int(0).default(24),
    CAPSTAN_WORKER_LOST_AFTER_SECONDS: int(1).optional(),
    // Per attempt, head and tail together; past it the middle is cut (and the cut stated).
    CAPSTAN_LOG_MAX_BYTES: int(65_536, 1_073_741_824).default(16_777_216),
    // 0 keeps logs for ever.
    CAPSTAN_LOG_RETENTION_DAYS: int(0, 36_500).default(30),
    // Comma-separated names (with * wildcards) of variables whose values logs mask; Buildkite's defaults when unset.
    CAPSTAN_LOG_REDACTED_VARS: z
      .string()
      .regex(/^[A-Za-z0-9_*]+(,[A-Za-z0-9_*]+)*$/, 'must be comma-separated variable names, * matching any characters')
      .optional(),
    CAPSTAN_ARTIFACT_DIR: z.string().min(1).optional(),
    CAPSTAN_MAX_ARTIFACT_BYTES: int(1024).default(1_073_741_824),
    CAPSTAN_ARTIFACT_STORE: z.enum(['local', 's3']).default('local'),
    CAPSTAN_ARTIFACT_S3_BUCKET: bucketName.optional(),
    CAPSTAN_ARTIFACT_S3_ENDPOINT: endpointUrl.optional(),
    CAPSTAN_ARTIFACT_S3_REGION: regionName.default('us-east-1'),
    CAPSTAN_ARTIFACT_S3_PREFIX: keyPrefix.optional(),
    // 0 keeps artifacts for ever (or leaves expiry to a bucket lifecycle rule).
    CAPSTAN_ARTIFACT_RETENTION_DAYS: int(0, 36_500).default(30),
    // Dependency caches of `cache` steps: the largest entry, and the most one repository keeps (least recently used go first).
    CAPSTAN_CACHE_MAX_BYTES: int(1024).default(2_147_483_648),
    CAPSTAN_CACHE_REPOSITORY_MAX_BYTES: int(1024).default(10_737_418_240),
    CAPSTAN_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    CAPSTAN_EMBEDDED_DB_PORT: port.default(54329),
    CAPSTAN_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    CAPSTAN_API_RATE_LIMIT_PER_SECOND: int(1).default(20),
    CAPSTAN_API_RATE_LIMIT_BURST: int(1).default(60),
    // Buckets in PostgreSQL hold a token to one limit across every API process; `npm start`, one API on an
    // embedded database, keeps them in memory.
    CAPSTAN_API_RATE_LIMIT_STORE: z.enum(['database', 'memory']).default('database'),
    // How long a token found by its secret is trusted without a lookup; 0 looks every request's token up. Another API
    // process's revocation (or a direct database write) takes this long to reach this one: only `npm start` sets it.
    CAPSTAN_API_TOKEN_CACHE_MS: int(0, 60_000).default(0),
    // Console sessions: absolute lifetime from sign-in (never past the token's own expiry), and whether the
    // cookie is always marked Secure (set it behind a TLS proxy: the API itself only sees plain http).
    CAPSTAN_SESSION_HOURS: int(1, 8760).default(12),
    CAPSTAN_SESSION_COOKIE_SECURE: flag.default(false),
    CAPSTAN_PULUMI_BIN: z.string().min(1).optional(),
    CAPSTAN_PULUMI_BACKEND_URL: z
      .string()
      .regex(
        /^[a-z][a-z0-9+]*:\/\//,
        'must be a Pulumi backend URL such as file:///path, s3://bucket or https://api.pulumi.com',
      )
      .optional(),
    CAPSTAN_PULUMI_PASSPHRASE: z.string().min(1).optional(),
    CAPSTAN_PULUMI_SECRETS_PROVIDER: z.string().min(1).optional(),
    CAPSTAN_PULUMI_NODE_CLASS: z.string().min(1).default('general'),
    // Cost analysis on a Temporal Schedule: five-field cron in UTC (default 00:30 daily), its catch-up window, where alerts go.
    CAPSTAN_COST_CRON: z
      .string()
      .regex(/^\S+( \S+){4}$/, 'must be a five-field cron expression such as "30 0 * * *"')
      .default('30 0 * * *'),
    CAPSTAN_COST_CATCHUP_WINDOW_SECONDS: int(60, 31_536_000).default(172_800),
    CAPSTAN_COST_OVERLAP: z.enum(['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'ALLOW_ALL']).default('BUFFER_ONE'),
    CAPSTAN_COST_NODE_CLASS: z.string().min(1).optional(),
    // Alert rules (see config/alerts.ts) and where their notifications go (default: the cost webhook).
    CAPSTAN_ALERTS_FILE: z
      .string()
      .min(1)
      .default(join(REPO_ROOT, 'config', 'alerts.yaml')),
    CAPSTAN_ALERTS_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    CAPSTAN_COST_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    CAPSTAN_COST_PRICE_CATALOG_FILE: z.string().min(1).optional(),
    CAPSTAN_COST_BUDGETS_FILE: z
      .string()
      .min(1)
      .default(join(REPO_ROOT, 'config', 'budgets.yaml')),
    CAPSTAN_COST_LOOKBACK_DAYS: int(7, 366).default(28),
    CAPSTAN_COST_ANOMALY_THRESHOLD: z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a positive number such as 3.5')
      .transform(Number)
      .pipe(z.number().min(1))
      .default(3.5),
    CAPSTAN_COST_LOW_UTILISATION_PERCENT: int(0, 100).default(25),
    CAPSTAN_COST_STALE_STACK_DAYS: int(1, 3650).default(14),
    CAPSTAN_COST_BILLING_SOURCES: z
      .string()
      .regex(/^\s*((aws|gcp)\s*(,\s*(aws|gcp)\s*)*)?$/, 'must be empty or a comma-separated list of "aws" and "gcp"')
      .transform(
        (v) =>
          [
            ...new Set(
              v
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s !== ''),
            ),
          ] as Array<'aws' | 'gcp'>,
      )
      .default(() => []),
    CAPSTAN_COST_AWS_REGION: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/, 'must be a region name such as us-east-1')
      .default('us-east-1'),
    CAPSTAN_COST_AWS_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    // The billing export table is written into the query (a table cannot be a parameter), so only its documented shape passes.
    CAPSTAN_COST_GCP_BILLING_TABLE: z
      .string()
      .regex(
        /^(?:[a-z][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]{1,1024}\.gcp_billing_export_(?:resource_)?v1_[0-9A-F]{6}_[0-9A-F]{6}_[0-9A-F]{6}$/,
        'must be <project>.<dataset>.gcp_billing_export_v1_<BILLING_ACCOUNT> such as my-project.billing.gcp_billing_export_v1_012345_6789AB_CDEF01',
      )
      .optional(),
    CAPSTAN_COST_GCP_PROJECT: z
      .string()
      .regex(
        /^(?:[a-z][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
        'must be a project ID: 6 to 30 lowercase letters, digits and dashes',
      )
      .optional(),
    CAPSTAN_COST_GCP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    // The label whose value is a run's team, Temporal's fairness key for its tasks; unset, every run shares one key.
    CAPSTAN_FAIRNESS_LABEL: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/, 'must be a lowercase label key such as team')
      .optional(),
    // Weights of fairness keys, e.g. "team-a=2,team-b=1": a key of weight 2 is served twice as often; others weigh 1.
    CAPSTAN_FAIRNESS_WEIGHTS: z
      .string()
      .regex(
        /^\s*([^=,\s][^=,]*=\s*\d+(\.\d+)?\s*(,\s*[^=,\s][^=,]*=\s*\d+(\.\d+)?\s*)*)?$/,
        'must be comma-separated key=weight pairs such as "team-a=2,team-b=1"',
      )
      .transform(parseFairnessWeights)
      .refine(
        (weights) => Object.values(weights).every((w) => w >= 0.001 && w <= 1000),
        'each weight must be between 0.001 and 1000 (Temporal clamps to that range)',
      )
      .optional(),
    CAPSTAN_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    // npm start: also show the processes' JSON log lines in the terminal (they always go to files under the data directory).
    CAPSTAN_VERBOSE: flag.default(false),
  })
  .refine((e) => e.CAPSTAN_OUTPUT_STORE !== 's3' || e.CAPSTAN_OUTPUT_S3_BUCKET !== undefined, {
    path: ['CAPSTAN_OUTPUT_S3_BUCKET'],
    message: 'is required when CAPSTAN_OUTPUT_STORE is s3',
  })
  .refine((e) => e.CAPSTAN_ARTIFACT_STORE !== 's3' || e.CAPSTAN_ARTIFACT_S3_BUCKET !== undefined, {
    path: ['CAPSTAN_ARTIFACT_S3_BUCKET'],
    message: 'is required when CAPSTAN_ARTIFACT_STORE is s3',
  })
  .refine((e) => e.CAPSTAN_FAIRNESS_WEIGHTS === undefined || e.CAPSTAN_FAIRNESS_LABEL !== undefined, {
    path: ['CAPSTAN_FAIRNESS_WEIGHTS'],
    message: 'needs CAPSTAN_FAIRNESS_LABEL (the label whose values the weights are for)',
  })
  .refine((e) => !e.CAPSTAN_COST_BILLING_SOURCES.includes('gcp') || e.CAPSTAN_COST_GCP_BILLING_TABLE !== undefined, {
    path: ['CAPSTAN_COST_GCP_BILLING_TABLE'],
    message: 'is required when CAPSTAN_COST_BILLING_SOURCES has gcp',
  });

/** Capstan's validated configuration. */
export interface CapstanConfig {
  dataDir: string;
  cacheDir: string;
  nodeClassesFile: string;
  taskQueuePrefix: string;
  temporal: {
    address: string;
    namespace: string;
    startDevServer: boolean;
    binary?: string;
    uiPort: number;
    uiUrl?: string;
  };
  api: { host: string; port: number; maxBodyBytes: number; maxDagBodyBytes: number };
  dag: { maxExpandedTasks: number; maxMatrixBranches: number; continueAsNewAfterEvents: number };
  worker: {
    nodeClass?: string;
    metricsPort?: number;
    metricsHost: string;
    workspaceDir: string;
    keepWorkspaces: boolean;
    outputTailBytes: number;
    shutdownGraceSeconds: number;
    outputStoreDir: string;
    /** The bucket of `CAPSTAN_OUTPUT_STORE=s3`, which holds the output store instead of the directory. */
    outputS3?: S3Location;
    maxOutputFileBytes: number;
    inlineOutputBytes: number;
  };
  task: { heartbeatTimeoutSeconds: number; infraMaxAttempts: number };
  /** Fair sharing of busy node classes among teams; absent when no fairness label is configured. */
  fairness?: FairnessConfig;
  /** Task logs (every task attempt, DAG node and pipeline step), kept in the database. */
  taskLogs: { maxBytes: number; retentionDays: number; redactedVars: string[] };
  pollerLivenessSeconds: number;
  /** Worker health reports: the host name workers answer to, how often they report, how long history is kept. */
  fleet: FleetConfig;
  /** Where pipeline artifacts go (a shared directory, or a bucket when workers and API are on several machines). */
  pipeline: {
    artifactDir: string;
    maxArtifactBytes: number;
    artifactStore: ArtifactStoreConfig;
    artifactRetentionDays: number;
    /** `cache` steps: the largest entry and the most one repository keeps, in bytes (kept in the artifact store). */
    cacheMaxBytes: number;
    cacheRepositoryMaxBytes: number;
  };
  /** Capstan's own database; without a URL, `npm start` runs the embedded one on `embeddedPort`. */
  database: { url?: string; embeddedPort: number };
  auth: {
    adminToken?: string;
    ratePerSecond: number;
    burst: number;
    /** Where per-token buckets are kept: PostgreSQL (shared by every API process) or this process's memory. */
    rateLimitStore: 'database' | 'memory';
    /** How long a found token is reused without a lookup (0: never); revocations elsewhere take this long to apply. */
    tokenCacheMs: number;
    /** Console sessions: lifetime in hours, and whether the cookie is marked Secure whatever the request's scheme. */
    sessionHours: number;
    secureCookie: boolean;
  };
  /** Pulumi stack operations: the CLI, the state backend, secrets, and the node class whose workers run them. */
  pulumi: {
    binary?: string;
    backendUrl: string;
    passphrase?: string;
    secretsProvider?: string;
    nodeClass: string;
    stateDir: string;
  };
  /** Scheduled cost analysis; see activities/cost. */
  cost: CostConfig;
  /** Alerts: the rules file (read by the API) and the webhook their notifications go to (used by workers). */
  alerts: { file: string; webhookUrl?: string };
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Where `npm start` writes each process's output, and whether it also shows those JSON lines in the terminal. */
  logs: { dir: string; verbose: boolean };
}

/** Cost analysis settings: the schedule, the node class whose workers run its activities, files, thresholds and sources. */
export interface CostConfig {
  cron: string;
  catchupWindowSeconds: number;
  overlap: 'SKIP' | 'BUFFER_ONE' | 'BUFFER_ALL' | 'ALLOW_ALL';
  /** Undefined: the first configured class. */
  nodeClass?: string;
  webhookUrl?: string;
  priceCatalogFile?: string;
  budgetsFile: string;
  lookbackDays: number;
  anomalyThreshold: number;
  lowUtilisation: number;
  staleStackDays: number;
  billingSources: Array<'aws' | 'gcp'>;
  aws: { region: string; endpoint?: string };
  /** The GCP billing export; set when `billingSources` has gcp. `project` runs the query jobs (default: the table's project). */
  gcp?: { project: string; billingTable: string; endpoint?: string };
}

/** Which label names a run's team (its value becomes Temporal's fairness key), and the weight of some teams (others: 1). */
export interface FairnessConfig {
  label: string;
  weights: Record<string, number>;
}

/** `"team-a=2, team-b=1"` as `{ 'team-a': 2, 'team-b': 1 }`; the format is checked before this runs. */
function parseFairnessWeights(text: string): Record<string, number> {
  const pairs = text
    .split(',')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '')
    .map((pair) => pair.split('=').map((part) => part.trim()) as [string, string]);
  return Object.fromEntries(pairs.map(([key, weight]) => [key, Number(weight)]));
}

/** Worker health reports (see db/stores/worker-reports.ts). */
export interface FleetConfig {
  /** The host name this machine's workers answer to, which tasks may name (`host`). */
  host: string;
  reportIntervalSeconds: number;
  /** Hours of report history kept; 0 keeps all. */
  reportRetentionHours: number;
  /** A worker whose reports stopped this long ago is lost. */
  lostAfterSeconds: number;
}

/** Which artifact store the workers use: the directory `pipeline.artifactDir`, or an S3 bucket. */
export type ArtifactStoreConfig =
  { kind: 'local' } | { kind: 's3'; bucket: string; region: string; endpoint?: string; prefix?: string };

/** A configuration value that is missing or wrong; the message names each variable. */
export class ConfigError extends Error {}

/** Validates the environment into a config, or throws one error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CapstanConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration: ${describeIssues(fieldIssues(parsed.error.issues))}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.CAPSTAN_DATA_DIR);
  return {
    dataDir,
    cacheDir: resolve(e.CAPSTAN_CACHE_DIR ?? defaultCacheDir(env)),
    nodeClassesFile: resolve(e.CAPSTAN_NODE_CLASSES_FILE),
    taskQueuePrefix: e.CAPSTAN_TASK_QUEUE_PREFIX,
    temporal: {
      address: e.CAPSTAN_TEMPORAL_ADDRESS,
      namespace: e.CAPSTAN_TEMPORAL_NAMESPACE,
      startDevServer: e.CAPSTAN_TEMPORAL_DEV_SERVER,
      binary: e.CAPSTAN_TEMPORAL_BIN,
      uiPort: e.CAPSTAN_TEMPORAL_UI_PORT,
      uiUrl: e.CAPSTAN_TEMPORAL_UI_URL?.replace(/\/$/, ''),
    },
    api: {
      host: e.CAPSTAN_API_HOST,
      port: e.CAPSTAN_API_PORT,
      maxBodyBytes: e.CAPSTAN_API_MAX_BODY_BYTES,
      maxDagBodyBytes: e.CAPSTAN_API_MAX_DAG_BODY_BYTES,
    },
    dag: {
      maxExpandedTasks: e.CAPSTAN_DAG_MAX_TASKS,
      maxMatrixBranches: e.CAPSTAN_DAG_MAX_MATRIX_BRANCHES,
      continueAsNewAfterEvents: e.CAPSTAN_DAG_CONTINUE_AS_NEW_EVENTS,
    },
    worker: {
      nodeClass: e.CAPSTAN_NODE_CLASS,
      metricsPort: e.CAPSTAN_WORKER_METRICS_PORT,
      metricsHost: e.CAPSTAN_WORKER_METRICS_HOST,
      workspaceDir: resolve(e.CAPSTAN_WORKSPACE_DIR ?? join(dataDir, 'workspaces')),
      keepWorkspaces: e.CAPSTAN_KEEP_WORKSPACES,
      outputTailBytes: e.CAPSTAN_OUTPUT_TAIL_BYTES,
      shutdownGraceSeconds: e.CAPSTAN_SHUTDOWN_GRACE_SECONDS,
      outputStoreDir: resolve(e.CAPSTAN_OUTPUT_STORE_DIR ?? join(dataDir, 'outputs')),
      outputS3:
        e.CAPSTAN_OUTPUT_STORE === 's3'
          ? {
              bucket: e.CAPSTAN_OUTPUT_S3_BUCKET!,
              region: e.CAPSTAN_OUTPUT_S3_REGION,
              endpoint: e.CAPSTAN_OUTPUT_S3_ENDPOINT,
              prefix: e.CAPSTAN_OUTPUT_S3_PREFIX,
            }
          : undefined,
      maxOutputFileBytes: e.CAPSTAN_MAX_OUTPUT_BYTES,
      inlineOutputBytes: e.CAPSTAN_INLINE_OUTPUT_BYTES,
    },
    task: {
      heartbeatTimeoutSeconds: e.CAPSTAN_HEARTBEAT_TIMEOUT_SECONDS,
      infraMaxAttempts: e.CAPSTAN_INFRA_MAX_ATTEMPTS,
    },
    ...(e.CAPSTAN_FAIRNESS_LABEL === undefined
      ? {}
      : { fairness: { label: e.CAPSTAN_FAIRNESS_LABEL, weights: e.CAPSTAN_FAIRNESS_WEIGHTS ?? {} } }),
    taskLogs: {
      maxBytes: e.CAPSTAN_LOG_MAX_BYTES,
      retentionDays: e.CAPSTAN_LOG_RETENTION_DAYS,
      redactedVars: e.CAPSTAN_LOG_REDACTED_VARS?.split(',') ?? [...DEFAULT_LOG_REDACTED_VARS],
    },
    pollerLivenessSeconds: e.CAPSTAN_POLLER_LIVENESS_SECONDS,
    fleet: {
      host: e.CAPSTAN_WORKER_HOST ?? hostname(),
      reportIntervalSeconds: e.CAPSTAN_WORKER_REPORT_INTERVAL_SECONDS,
      reportRetentionHours: e.CAPSTAN_WORKER_REPORT_RETENTION_HOURS,
      // Three missed reports and a little: one late report (a loaded machine, a slow database) is not a loss.
      lostAfterSeconds: e.CAPSTAN_WORKER_LOST_AFTER_SECONDS ?? 3 * e.CAPSTAN_WORKER_REPORT_INTERVAL_SECONDS + 5,
    },
    pipeline: {
      artifactDir: resolve(e.CAPSTAN_ARTIFACT_DIR ?? join(dataDir, 'artifacts')),
      maxArtifactBytes: e.CAPSTAN_MAX_ARTIFACT_BYTES,
      artifactStore:
        e.CAPSTAN_ARTIFACT_STORE === 's3'
          ? {
              kind: 's3',
              bucket: e.CAPSTAN_ARTIFACT_S3_BUCKET!,
              region: e.CAPSTAN_ARTIFACT_S3_REGION,
              endpoint: e.CAPSTAN_ARTIFACT_S3_ENDPOINT,
              prefix: e.CAPSTAN_ARTIFACT_S3_PREFIX,
            }
          : { kind: 'local' },
      artifactRetentionDays: e.CAPSTAN_ARTIFACT_RETENTION_DAYS,
      cacheMaxBytes: e.CAPSTAN_CACHE_MAX_BYTES,
      cacheRepositoryMaxBytes: e.CAPSTAN_CACHE_REPOSITORY_MAX_BYTES,
    },
    database: { url: e.CAPSTAN_DATABASE_URL, embeddedPort: e.CAPSTAN_EMBEDDED_DB_PORT },
    auth: {
      adminToken: e.CAPSTAN_ADMIN_TOKEN,
      ratePerSecond: e.CAPSTAN_API_RATE_LIMIT_PER_SECOND,
      burst: e.CAPSTAN_API_RATE_LIMIT_BURST,
      rateLimitStore: e.CAPSTAN_API_RATE_LIMIT_STORE,
      tokenCacheMs: e.CAPSTAN_API_TOKEN_CACHE_MS,
      sessionHours: e.CAPSTAN_SESSION_HOURS,
      secureCookie: e.CAPSTAN_SESSION_COOKIE_SECURE,
    },
    pulumi: {
      binary: e.CAPSTAN_PULUMI_BIN,
      backendUrl: e.CAPSTAN_PULUMI_BACKEND_URL ?? `file://${join(dataDir, 'pulumi', 'backend')}`,
      passphrase: e.CAPSTAN_PULUMI_PASSPHRASE,
      secretsProvider: e.CAPSTAN_PULUMI_SECRETS_PROVIDER,
      nodeClass: e.CAPSTAN_PULUMI_NODE_CLASS,
      stateDir: join(dataDir, 'pulumi'),
    },
    cost: {
      cron: e.CAPSTAN_COST_CRON,
      catchupWindowSeconds: e.CAPSTAN_COST_CATCHUP_WINDOW_SECONDS,
      overlap: e.CAPSTAN_COST_OVERLAP,
      nodeClass: e.CAPSTAN_COST_NODE_CLASS,
      webhookUrl: e.CAPSTAN_COST_WEBHOOK_URL,
      priceCatalogFile:
        e.CAPSTAN_COST_PRICE_CATALOG_FILE === undefined ? undefined : resolve(e.CAPSTAN_COST_PRICE_CATALOG_FILE),
      budgetsFile: resolve(e.CAPSTAN_COST_BUDGETS_FILE),
      lookbackDays: e.CAPSTAN_COST_LOOKBACK_DAYS,
      anomalyThreshold: e.CAPSTAN_COST_ANOMALY_THRESHOLD,
      lowUtilisation: e.CAPSTAN_COST_LOW_UTILISATION_PERCENT / 100,
      staleStackDays: e.CAPSTAN_COST_STALE_STACK_DAYS,
      billingSources: e.CAPSTAN_COST_BILLING_SOURCES,
      aws: { region: e.CAPSTAN_COST_AWS_REGION, endpoint: e.CAPSTAN_COST_AWS_ENDPOINT },
      gcp:
        e.CAPSTAN_COST_BILLING_SOURCES.includes('gcp') && e.CAPSTAN_COST_GCP_BILLING_TABLE !== undefined
          ? {
              project: e.CAPSTAN_COST_GCP_PROJECT ?? e.CAPSTAN_COST_GCP_BILLING_TABLE.replace(/\.[^.]+\.[^.]+$/, ''),
              billingTable: e.CAPSTAN_COST_GCP_BILLING_TABLE,
              endpoint: e.CAPSTAN_COST_GCP_ENDPOINT,
            }
          : undefined,
    },
    alerts: {
      file: resolve(e.CAPSTAN_ALERTS_FILE),
      webhookUrl: e.CAPSTAN_ALERTS_WEBHOOK_URL ?? e.CAPSTAN_COST_WEBHOOK_URL,
    },
    logLevel: e.CAPSTAN_LOG_LEVEL,
    logs: { dir: join(dataDir, 'logs'), verbose: e.CAPSTAN_VERBOSE },
  };
}

/** The database URL a process other than `npm start` must be given; fails naming the variable. */
export function requireDatabaseUrl(config: CapstanConfig): string {
  if (config.database.url) return config.database.url;
  throw new ConfigError(
    'invalid configuration: CAPSTAN_DATABASE_URL is not set (npm start sets it for the processes it starts)',
  );
}
