/** Task logs on the worker: one per attempt, masked, written to the log store as the command prints. */
import type { Logger } from '../../config/logger';
import type { AttemptKey } from '../../db/stores/attempt-ledger';
import type { TaskLogStore } from '../../db/stores/task-log-store';
import { AttemptLog } from './attempt-log';
import { SecretMasker } from './secret-masker';

export { AttemptLog } from './attempt-log';
export { MASK, SecretMasker } from './secret-masker';

/** What a worker needs to keep its attempts' logs. */
export interface TaskLogDeps {
  store: TaskLogStore;
  /** Bytes kept per attempt, head and tail (CAPSTAN_LOG_MAX_BYTES). */
  limitBytes: number;
  /** Names (with `*` wildcards) of environment variables whose values are masked (CAPSTAN_LOG_REDACTED_VARS). */
  redactedVars: readonly string[];
  logger: Logger;
}

/** A masker that already knows the secret values of the command's environment and the `secrets` resolved for it. */
export function maskerFor(
  deps: TaskLogDeps | undefined,
  env: Readonly<Record<string, string | undefined>>,
  secrets: Iterable<string>,
): SecretMasker {
  const masker = new SecretMasker();
  masker.addFromEnv(env, deps?.redactedVars ?? []);
  for (const value of secrets) masker.add(value);
  return masker;
}

/** Opens the attempt's log, or undefined on a worker without a log store (unit tests of the activity alone). */
export function openAttemptLog(
  deps: TaskLogDeps | undefined,
  key: AttemptKey,
  worker: string,
  masker: SecretMasker,
): AttemptLog | undefined {
  if (!deps) return undefined;
  return new AttemptLog({ store: deps.store, key, worker, limitBytes: deps.limitBytes, masker, logger: deps.logger });
}
