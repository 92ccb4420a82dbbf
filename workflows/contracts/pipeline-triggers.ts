/**
 * The `on:` of a pipeline, in GitHub Actions' words: push (branches, tags, paths and their -ignore
 * forms), pull_request (branches, paths), schedule (cron) and manual (GitHub's workflow_dispatch,
 * with typed inputs). Pure zod, so the workflow, the API and the CLI share it.
 */
import { z } from 'zod';

/** A list of glob filters; `!` at the start of one negates it (GitHub's filter pattern syntax). */
const filter = z.array(z.string().min(1).max(1024)).min(1).max(200).optional();

/** A manual input's name, as `${{ inputs.<name> }}` spells it. */
export const INPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;

/** The kinds of manual input GitHub's workflow_dispatch offers (but `environment`). */
export const INPUT_TYPES = ['string', 'number', 'boolean', 'choice'] as const;

/** A value a manual input may take. */
export type InputValue = string | number | boolean;

/** One input of a manual run: its type, whether it must be given, its default and, for a choice, its options. */
export const ManualInputSchema = z.strictObject({
  type: z.enum(INPUT_TYPES).default('string'),
  description: z.string().max(1000).optional(),
  required: z.boolean().default(false),
  default: z.union([z.string().max(65_536), z.number(), z.boolean()]).optional(),
  options: z.array(z.string().min(1).max(1000)).min(1).max(200).optional(),
});

/** `on.manual`: `true`, or `{ inputs }` as GitHub's workflow_dispatch declares them. */
export const ManualTriggerSchema = z.union([
  z.boolean(),
  z.strictObject({
    inputs: z
      .record(
        z.string().regex(INPUT_NAME_PATTERN, 'must be letters, digits, "_" or "-", starting with a letter or "_"'),
        ManualInputSchema,
      )
      .default({}),
  }),
]);

/** `on.push`: which branches, tags and changed paths start a run. */
export const PushTriggerSchema = z.strictObject({
  branches: filter,
  'branches-ignore': filter,
  tags: filter,
  'tags-ignore': filter,
  paths: filter,
  'paths-ignore': filter,
});

/** `on.pull_request`: which base branches and changed paths start a run. */
export const PullRequestTriggerSchema = z.strictObject({
  branches: filter,
  'branches-ignore': filter,
  paths: filter,
  'paths-ignore': filter,
});

/** `on.schedule`: cron expressions (UTC, five fields) that start the pipeline on the default branch's head. */
export const ScheduleTriggerSchema = z
  .array(z.strictObject({ cron: z.string().min(1).max(200) }))
  .min(1)
  .max(20);

/** The whole `on:`; without it a pipeline runs by hand only. */
export const PipelineOnSchema = z
  .strictObject({
    push: PushTriggerSchema.optional(),
    pull_request: PullRequestTriggerSchema.optional(),
    schedule: ScheduleTriggerSchema.optional(),
    manual: ManualTriggerSchema.optional(),
  })
  .default({ manual: true });

/** A validated `on:`. */
export type PipelineOn = z.output<typeof PipelineOnSchema>;
/** A validated manual input. */
export type ManualInput = z.output<typeof ManualInputSchema>;

/** Whether the pipeline may be run by hand: `manual: true` or `manual: { inputs }`. */
export function manualEnabled(on: PipelineOn): boolean {
  return on.manual === true || (typeof on.manual === 'object' && on.manual !== null);
}

/** The declared inputs of a manual run; empty for `manual: true`. */
export function manualInputs(on: PipelineOn): Record<string, ManualInput> {
  return typeof on.manual === 'object' && on.manual !== null ? on.manual.inputs : {};
}
