/**
 * The pipeline spec: triggers, jobs that run on a node class, steps that share the job's workspace,
 * deploy environments with approval and rollback, and concurrency groups. One zod schema validates
 * pipeline files and API bodies and types the pipeline workflow; zod is pure, so this is workflow-safe.
 */
import { StackTaskSchema } from './stack-operation';
import { z } from 'zod';
import { withTextRule } from './text-rule';
import { TaskRetrySchema } from './task-spec';
import { JobStrategySchema } from './pipeline-matrix';
import { PipelineOnSchema } from './pipeline-triggers';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A job id: usable in `needs`, artifact addresses and task-queue-free names. */
const JOB_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
/** A step id: what `${{ steps.<id>.outputs.<name> }}` names, unique within its job. */
const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
/** A job output name, as `${{ needs.<job>.outputs.<name> }}` spells it. */
const JOB_OUTPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;
/** An artifact name: a file-name-safe word. */
const ARTIFACT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const envMap = z
  .record(z.string().regex(ENV_NAME, 'must be a valid environment variable name'), z.string().max(131_072))
  .default({});
const stepId = z
  .string()
  .regex(STEP_ID_PATTERN, 'must be letters, digits, "_" or "-", starting with a letter or "_"')
  .optional()
  .describe('Names the step for `${{ steps.<id>.outputs.<name> }}` in later steps and job outputs.');
const relativePath = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..'),
    'must be a path relative to the job workspace, without ".."',
  );
/** An `if:` condition: an expression, bare or in `${{ }}` (workflows/pipeline/conditions.ts). */
const condition = z
  // YAML reads `if: false` (a common way to switch a job off) as a boolean; it is the expression `false`.
  .preprocess((value) => (typeof value === 'boolean' ? String(value) : value), z.string().min(1).max(10_000))
  .optional()
  .describe("Runs only when true, e.g. `branch == 'main'` or `failure()`; otherwise skipped with the reason.");
const continueOnError = z
  .boolean()
  .optional()
  .describe('A failure is recorded but does not fail the job (step) or the run (job); what follows proceeds.');
/** The shells a run step may use. */
const shell = z.enum(['bash', 'sh']).describe('bash: `bash -e -o pipefail` (the default); sh: `sh -e`.');

/** A shell step: one activity with its own timeout, retry and exit code. */
const RunStepSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  id: stepId,
  run: z.string().min(1).max(1_048_576).describe('Script run by bash -e -o pipefail in the job workspace.'),
  env: envMap,
  workingDirectory: relativePath.optional(),
  'working-directory': relativePath.optional().describe("GitHub's spelling of workingDirectory."),
  shell: shell.optional(),
  if: condition,
  'continue-on-error': continueOnError,
  timeoutSeconds: z.number().int().positive().max(86_400).optional().describe('Default 3600 (stepTimeoutSeconds).'),
  'timeout-minutes': z.number().positive().max(1440).optional().describe('timeoutSeconds in minutes; not both.'),
  retry: TaskRetrySchema.default(TaskRetrySchema.parse({})),
});

export { stepTimeoutSeconds } from './step-timeout';

/** A checkout step: clones the triggering repository at the run's commit into the workspace. */
const CheckoutStepSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  id: stepId,
  if: condition,
  'continue-on-error': continueOnError,
  checkout: z.union([z.literal(true), z.strictObject({ path: relativePath.optional() })]),
});

/** Uploads a file or directory of the workspace as an artifact of this run and job. */
const UploadStepSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  id: stepId,
  if: condition,
  'continue-on-error': continueOnError,
  'upload-artifact': z.strictObject({
    name: z.string().regex(ARTIFACT_NAME_PATTERN, 'must be letters, digits, ".", "_" or "-"'),
    path: relativePath,
  }),
});

/** Downloads an artifact uploaded by a job this job needs (directly or not). */
const DownloadStepSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  id: stepId,
  if: condition,
  'continue-on-error': continueOnError,
  'download-artifact': z.strictObject({
    name: z.string().regex(ARTIFACT_NAME_PATTERN),
    path: relativePath.default('.'),
  }),
});

/** Runs an operation on a declared Pulumi stack (waiting in line if it is busy); the stack outputs become the step's outputs. */
const StackStepSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  id: stepId,
  if: condition,
  'continue-on-error': continueOnError,
  stack: StackTaskSchema,
});

/**
 * Restores directories of the workspace saved by an earlier run (GitHub's actions/cache): by `key`, else the
 * newest entry whose key starts with a `restore-keys` prefix; saved after the job's last step when the job
 * succeeded and `key` was not an exact hit. Its fields are rendered on the worker, so they may use hashFiles().
 */
const CacheStepSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  id: stepId,
  if: condition,
  'continue-on-error': continueOnError,
  cache: z.strictObject({
    key: z.string().min(1).max(512).describe("The entry's key, e.g. npm-${{ hashFiles('package-lock.json') }}."),
    'restore-keys': z
      .array(z.string().min(1).max(512))
      .max(20)
      .default([])
      .describe(
        'Key prefixes tried in order when `key` has no entry; the newest match of the first that has one wins.',
      ),
    path: z
      .union([relativePath, z.array(relativePath).min(1).max(20)])
      .describe('The directories or files to keep, relative to the workspace.'),
  }),
});

/** A service name: a word usable in log paths and task ids. */
const SERVICE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** How a job learns that a service is ready: a command that exits 0, or a TCP port that accepts connections. */
const ServiceReadySchema = z.union([
  z.strictObject({
    run: z.string().min(1).max(65_536).describe('Run by bash every second until it exits 0.'),
    'timeout-seconds': z.number().int().positive().max(3600).default(60),
  }),
  z.strictObject({
    port: z.number().int().min(1).max(65_535).describe('A TCP port on localhost that accepts a connection once ready.'),
    'timeout-seconds': z.number().int().positive().max(3600).default(60),
  }),
]);

/**
 * Processes the job's steps need (a database, a cache server): each a command started on the job's worker before
 * the first step, in its own process group, and stopped after the last step (or when the job fails or is cancelled).
 */
const ServicesSchema = z
  .record(
    z.string().regex(SERVICE_NAME_PATTERN, 'must be letters, digits, "_" or "-", starting with a letter or "_"'),
    z.strictObject({
      run: z
        .string()
        .min(1)
        .max(65_536)
        .describe('Started by bash in $CAPSTAN_SERVICE_DIR, a directory of its own; it must keep running.'),
      env: envMap.describe("The service's environment, which the job's steps see too."),
      ready: ServiceReadySchema.optional(),
    }),
  )
  .refine((services) => Object.keys(services).length <= 20, 'may have at most 20 services')
  .optional();

/** One step of a job. */
export const PipelineStepSchema = z.union([
  RunStepSchema,
  CheckoutStepSchema,
  UploadStepSchema,
  DownloadStepSchema,
  StackStepSchema,
  CacheStepSchema,
]);

/** Who must approve a deploy before it runs, and how long the run waits. */
const ApprovalSchema = z.strictObject({
  required: z.boolean().default(true),
  /** Principals allowed to approve; empty means any operator. */
  approvers: z.array(z.string().min(1).max(200)).max(100).default([]),
  /** Whether the principal that triggered the run may approve it. */
  allowTriggerer: z.boolean().default(false),
  timeoutSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86_400)
    .default(86_400),
});

/** A concurrency group: runs (or deploy jobs) of one group run one at a time. */
const ConcurrencySchema = z.strictObject({
  group: z.string().min(1).max(200).describe("Group name; `${{ branch }}` is replaced by the run's branch."),
  cancelInProgress: z
    .boolean()
    .default(false)
    .describe('Cancel the running member of the group instead of queueing behind it.'),
});

/** A job: steps on one worker of `runs-on`, sharing its workspace. */
const PipelineJobSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Display name, e.g. `test (node ${{ matrix.node }})`; names its commit status.'),
  'runs-on': z.string().min(1).describe('Node class whose worker runs every step of the job.'),
  strategy: JobStrategySchema.optional().describe('A matrix: the job runs once per combination of its values.'),
  needs: z.array(z.string().min(1)).max(100).default([]),
  if: condition,
  'continue-on-error': continueOnError,
  'timeout-minutes': z
    .number()
    .positive()
    .max(10_080)
    .optional()
    .describe("The whole job's steps; when it runs out, the running step's process is killed and the job fails."),
  defaults: z
    .strictObject({
      run: z.strictObject({ 'working-directory': relativePath.optional(), shell: shell.optional() }).optional(),
    })
    .optional()
    .describe('Applied to run steps that do not set their own working directory or shell.'),
  env: envMap,
  environment: z
    .strictObject({
      name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase environment name'),
      approval: ApprovalSchema.optional(),
    })
    .optional(),
  concurrency: ConcurrencySchema.optional(),
  services: ServicesSchema,
  steps: z.array(PipelineStepSchema).min(1).max(200),
  rollback: z
    .array(RunStepSchema)
    .max(50)
    .default([])
    .describe('Steps run on the same worker when the job fails after it began.'),
  outputs: z
    .record(
      z.string().regex(JOB_OUTPUT_NAME_PATTERN, 'must be letters, digits, "_" or "-", starting with a letter or "_"'),
      z.string().max(131_072),
    )
    .optional()
    .describe('Outputs of the job for jobs that need it, e.g. `version: ${{ steps.tag.outputs.version }}`.'),
});

/** The whole pipeline; every text in it is held to the text rule (text-rule.ts), as files come from any editor. */
export const PipelineSpecSchema = withTextRule(
  z.strictObject({
    name: z.string().min(1).max(200),
    on: PipelineOnSchema,
    env: envMap,
    concurrency: ConcurrencySchema.optional(),
    jobs: z
      .record(
        z.string().regex(JOB_ID_PATTERN, 'must be letters, digits, "_" or "-", starting with a letter or "_"'),
        PipelineJobSchema,
      )
      .refine((jobs) => Object.keys(jobs).length > 0, 'must have at least one job'),
  }),
);

/** A validated pipeline spec. */
export type PipelineSpec = z.output<typeof PipelineSpecSchema>;
/** A validated job. */
export type PipelineJob = z.output<typeof PipelineJobSchema>;
/** A validated step. */
export type PipelineStep = z.output<typeof PipelineStepSchema>;
/** A validated cache step. */
export type PipelineCacheStep = z.output<typeof CacheStepSchema>;
/** A validated service of a job. */
export type PipelineService = NonNullable<z.output<typeof ServicesSchema>>[string];
