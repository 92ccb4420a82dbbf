/** A run's fairness key and weight, from the label the deployment names (CAPSTAN_FAIRNESS_LABEL). */
import type { Priority } from '@temporalio/common';
import type { FairnessConfig } from '../../config/env';
import type { FairnessPolicy } from '../../workflows/contracts/task-run';
import { validationError } from '../errors';

/** Temporal refuses longer fairness keys. */
const MAX_FAIRNESS_KEY_BYTES = 64;

/**
 * The fairness part of a run's policy: `{ fairness }` when a label is configured and the run carries
 * it, else `{}` (the run shares the empty key with every unlabelled run). Throws a 400 naming
 * `labels.<label>` for a value Temporal cannot take as a key.
 */
export function fairnessPolicy(
  labels: Record<string, string>,
  config: FairnessConfig | undefined,
  what: string,
): { fairness?: FairnessPolicy } {
  if (!config) return {};
  const key = labels[config.label];
  if (key === undefined || key === '') return {};
  if (Buffer.byteLength(key) > MAX_FAIRNESS_KEY_BYTES) {
    throw validationError(
      [
        {
          field: `labels.${config.label}`,
          message: `is this deployment's fairness label (CAPSTAN_FAIRNESS_LABEL), whose value must be at most ${MAX_FAIRNESS_KEY_BYTES} bytes`,
        },
      ],
      what,
    );
  }
  const weight = config.weights[key];
  return { fairness: weight === undefined ? { key } : { key, weight } };
}

/** The priority a run is started with so that its workflow tasks, too, are dispatched fairly (undefined: none). */
export function fairnessPriority(policy: { fairness?: FairnessPolicy }): Priority | undefined {
  const fairness = policy.fairness;
  if (!fairness) return undefined;
  return { fairnessKey: fairness.key, ...(fairness.weight === undefined ? {} : { fairnessWeight: fairness.weight }) };
}
