/**
 * Every `ApplicationFailure` type Capstan raises, in one place: workflows throw and list them in
 * `nonRetryableErrorTypes`, activities throw them, the API and the metering read them. The string
 * values are recorded in workflow histories and shown to API clients, so they never change.
 */
export const FailureTypes = {
  /** A task's command exited non-zero (or wrote bad output); the task workflow retries by the user's policy. */
  commandFailed: 'CommandFailed',
  /** A task's command ran past its timeout and its process group was killed. */
  commandTimedOut: 'CommandTimedOut',
  /** A task that can never run as specified (bad working directory, E2BIG, a missing stored output). */
  invalidTask: 'InvalidTask',
  /** A task's last command attempt failed; the task workflow's own failure. */
  taskFailed: 'TaskFailed',
  /** The worker shut down during an attempt; the attempt is handed to another worker. */
  workerShutdown: 'WorkerShutdown',
  /** The worker could not start a command (disk full, no shell): retried on another worker. */
  workerSetupFailed: 'WorkerSetupFailed',
  /** A pipeline step's command exited non-zero. */
  stepFailed: 'StepFailed',
  /** A pipeline step that can never run (a bad artifact or input). */
  stepInvalid: 'StepInvalid',
  /** A DAG run ended with failed tasks; its details carry the DAG result. */
  dagFailed: 'DagFailed',
  /** A pipeline run ended with failed jobs; its details carry the run's state. */
  pipelineFailed: 'PipelineFailed',
  /** A stack that is not declared, names an unknown program, or whose config no longer fits it. */
  stackInputError: 'StackInputError',
  /** The stack changed since its preview, so applying the approved plan was refused. */
  planViolation: 'PlanViolation',
  /** The worker has no Pulumi CLI (yet): another worker, or a later attempt, runs the operation. */
  pulumiUnavailable: 'PulumiUnavailable',
  /** An `up` was rejected, or no decision came before its approval timeout. */
  stackApprovalRefused: 'StackApprovalRefused',
  /** A stack task or step did not run (the stack was busy and the request was to skip). */
  stackTaskNotRun: 'StackTaskNotRun',
  /** The forge refused a commit status (bad token, unknown repository or commit): retrying cannot help. */
  forgeStatusRejected: 'ForgeStatusRejected',
  /** The forge could not be reached or failed (5xx, 429): Temporal retries. */
  forgeStatusUnavailable: 'ForgeStatusUnavailable',
  /** The input cannot name a commit status (not a commit SHA, an unknown state). */
  invalidCommitStatus: 'InvalidCommitStatus',
} as const;
