/**
 * A pipeline job's `strategy`, as GitHub Actions spells it: a matrix of axes whose combinations each
 * run as a job of their own, with `include`/`exclude` entries, `fail-fast` and `max-parallel`. Pure zod.
 */
import { z } from 'zod';

/** A pipeline matrix key: GitHub's spelling allows `-` (`matrix.node-version`), which pipeline templates read. */
export const PIPELINE_MATRIX_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** One value of a matrix axis. */
const MatrixValueSchema = z.union([z.string().max(1024), z.number(), z.boolean()]);

/** An `include` or `exclude` entry: matrix keys and their values. */
const MatrixEntriesSchema = z
  .array(
    z.record(
      z
        .string()
        .regex(PIPELINE_MATRIX_KEY_PATTERN, 'must be letters, digits, "_" or "-", starting with a letter or "_"'),
      MatrixValueSchema,
    ),
  )
  .max(256)
  .default([]);

/**
 * The matrix: axes (`node: [18, 20]`), and, as on GitHub, `include` and `exclude` inside it. Axis
 * names are checked by validation (check-matrix), since a catch-all cannot carry a key pattern.
 */
const MatrixSchema = z
  .object({ include: MatrixEntriesSchema, exclude: MatrixEntriesSchema })
  .catchall(z.array(MatrixValueSchema).min(1).max(1000));

/** How a job fans out over a matrix. */
export const JobStrategySchema = z.strictObject({
  matrix: MatrixSchema.describe('Axes of values; each combination runs as a job of its own, e.g. `test[2]`.'),
  include: MatrixEntriesSchema.describe('Entries added to matching combinations, or as new ones (GitHub semantics).'),
  exclude: MatrixEntriesSchema.describe('Combinations to leave out: those matching every key of an entry.'),
  'fail-fast': z
    .boolean()
    .default(true)
    .describe("One failed combination cancels the job's other combinations still pending or running."),
  'max-parallel': z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe('Most combinations of the job running at once (all by default).'),
});

/** A validated job strategy. */
export type JobStrategy = z.output<typeof JobStrategySchema>;
