/** Loads and validates the node-class file that declares Capstan's worker pools. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { NODE_CLASS_NAME_PATTERN } from '../workflows/contracts/node-class';
import { ResourcesSchema } from '../workflows/contracts/resources';
import { describeIssues, fieldIssues } from './zod-issues';

/** One worker pool. */
export const NodeClassSchema = z.strictObject({
  name: z
    .string()
    .regex(NODE_CLASS_NAME_PATTERN, 'must be lowercase letters, digits and dashes, starting with a letter (max 40)'),
  description: z.string().max(500).optional(),
  concurrency: z.number().int().min(1).max(1000),
  pricePerHour: z.number().min(0),
  labels: z.record(z.string().min(1), z.string()).default({}),
  // Apart from the free-form labels: a label says what a machine is, this is what a worker may hand out.
  resources: ResourcesSchema.optional(),
});

/** A validated node class. */
export type NodeClass = z.output<typeof NodeClassSchema>;

const NodeClassFileSchema = z
  .strictObject({
    nodeClasses: z.array(NodeClassSchema).min(1, 'must declare at least one node class'),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.nodeClasses.forEach((nodeClass, index) => {
      if (seen.has(nodeClass.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodeClasses', index, 'name'],
          message: `duplicate node class "${nodeClass.name}"`,
        });
      }
      seen.add(nodeClass.name);
    });
  });

/** A node-class file that cannot be used; the message names the file and each bad entry. */
export class NodeClassConfigError extends Error {}

/** Parses node-class YAML text; `source` names the file in errors. */
export function parseNodeClasses(text: string, source: string): NodeClass[] {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new NodeClassConfigError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  const result = NodeClassFileSchema.safeParse(raw);
  if (!result.success) {
    throw new NodeClassConfigError(`${source}: ${describeIssues(fieldIssues(result.error.issues))}`);
  }
  return result.data.nodeClasses;
}

/** Reads and validates the node-class file at `path`. */
export function loadNodeClasses(path: string): NodeClass[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NodeClassConfigError(
      `cannot read node-class file ${path} (CAPSTAN_NODE_CLASSES_FILE): ${(err as Error).message}`,
    );
  }
  return parseNodeClasses(text, path);
}
