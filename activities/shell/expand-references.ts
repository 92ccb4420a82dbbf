/** Before a command runs: output references in its spec become the stored content, and what Linux cannot pass is refused. */
import { findOutputRefs, replaceOutputRefs } from '../../workflows/contracts/output-ref';
import { STACK_OUTPUT_REF_PATTERN } from '../../workflows/contracts/stack-operation';
import type { TaskSpec } from '../../workflows/contracts/task-spec';
import { InvalidTaskError } from './attempt-files';
import { StoredOutputMissingError, type OutputStore } from '../../config/outputs/output-store';

/** Linux's MAX_ARG_STRLEN: the longest one argument or `NAME=value` variable may be, its closing NUL included. */
export const MAX_ARG_STRLEN = 131_072;

/**
 * The spec with every reference in command, script, args, env values and workingDirectory replaced
 * by its content; throws InvalidTaskError naming the field for content the store lacks and for an
 * argument or variable that would make the spawn fail with E2BIG. The secret stack output values
 * filled in are added to `secrets`, so the task's log can mask them.
 */
export async function expandReferences(
  spec: TaskSpec,
  store: OutputStore,
  stackOutputs?: StackOutputReader,
  secrets?: Set<string>,
): Promise<TaskSpec> {
  const withStackOutputs = await expandStackOutputs(spec, stackOutputs, secrets);
  if (withStackOutputs !== spec) return expandReferences(withStackOutputs, store);
  const contents = await readOutputRefs(textFields(spec), store, (message) => new InvalidTaskError(message));
  const expand = (text: string): string =>
    contents.size === 0 ? text : replaceOutputRefs(text, (reference) => contents.get(reference)!);
  const expanded = mapTexts(spec, expand);
  checkArgumentSizes(expanded);
  return expanded;
}

/**
 * Reads the stored content of every output reference in `fields`; `fail` makes the error for one
 * the store lacks, naming the field.
 */
export async function readOutputRefs(
  fields: ReadonlyArray<{ field: string; text: string }>,
  store: OutputStore,
  fail: (message: string) => Error,
): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  for (const { field, text } of fields) {
    for (const reference of findOutputRefs(text)) {
      if (contents.has(reference)) continue;
      try {
        contents.set(reference, await store.get(reference));
      } catch (err) {
        if (!(err instanceof StoredOutputMissingError)) throw err;
        throw fail(
          `${field}: ${err.message} (workers on several machines need CAPSTAN_OUTPUT_STORE_DIR on a filesystem they all share)`,
        );
      }
    }
  }
  return contents;
}

/** Reads a stack output (secrets decrypted) from the stack's state; undefined when the stack has no such output. */
export type StackOutputReader = (project: string, stack: string, key: string) => Promise<string | undefined>;

/** The spec with stack output references replaced by the values, read from the stack's state on this worker; the same spec when it has none. */
async function expandStackOutputs(
  spec: TaskSpec,
  read: StackOutputReader | undefined,
  secrets: Set<string> | undefined,
): Promise<TaskSpec> {
  const values = await readStackOutputRefs(textFields(spec), read, (message) => new InvalidTaskError(message));
  for (const value of values.values()) secrets?.add(value);
  return values.size === 0 ? spec : mapTexts(spec, (text) => replaceStackOutputRefs(text, values));
}

/**
 * Reads the value of every stack output reference in `fields`; `fail` makes the error for a
 * reference this worker cannot resolve (no Pulumi settings, no such output), naming the field.
 */
export async function readStackOutputRefs(
  fields: ReadonlyArray<{ field: string; text: string }>,
  read: StackOutputReader | undefined,
  fail: (message: string) => Error,
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const { field, text } of fields) {
    for (const [reference, project, stack, key] of text.matchAll(STACK_OUTPUT_REF_PATTERN)) {
      if (values.has(reference)) continue;
      if (!read)
        throw fail(
          `${field}: ${reference} needs this worker to reach Pulumi state (CAPSTAN_PULUMI_BACKEND_URL and its passphrase)`,
        );
      const value = await read(project!, stack!, key!);
      if (value === undefined) throw fail(`${field}: stack ${project}/${stack} has no output "${key}"`);
      values.set(reference, value);
    }
  }
  return values;
}

/** `text` with each stack output reference replaced by its value from `values`. */
export function replaceStackOutputRefs(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(STACK_OUTPUT_REF_PATTERN, (reference) => values.get(reference) ?? reference);
}

/** The spec with `expand` applied to every text a reference may sit in. */
function mapTexts(spec: TaskSpec, expand: (text: string) => string): TaskSpec {
  return {
    ...spec,
    ...(spec.command !== undefined ? { command: expand(spec.command) } : {}),
    ...(spec.script !== undefined ? { script: expand(spec.script) } : {}),
    args: spec.args.map(expand),
    env: Object.fromEntries(Object.entries(spec.env).map(([name, value]) => [name, expand(value)])),
    ...(spec.workingDirectory !== undefined ? { workingDirectory: expand(spec.workingDirectory) } : {}),
  };
}

/** One text of a spec: the field name messages give, and for what reaches exec, what precedes it in its string. */
interface TextField {
  field: string;
  text: string;
  /** Set for command, args and env (`NAME=`): the strings exec passes, which MAX_ARG_STRLEN bounds. */
  execPrefix?: string;
}

function textFields(spec: TaskSpec): TextField[] {
  const fields: TextField[] = [];
  if (spec.command !== undefined) fields.push({ field: 'command', text: spec.command, execPrefix: '' });
  // The script reaches bash as a file, so no exec limit applies to it.
  if (spec.script !== undefined) fields.push({ field: 'script', text: spec.script });
  spec.args.forEach((text, i) => fields.push({ field: `args[${i}]`, text, execPrefix: '' }));
  for (const [name, text] of Object.entries(spec.env))
    fields.push({ field: `env.${name}`, text, execPrefix: `${name}=` });
  if (spec.workingDirectory !== undefined) fields.push({ field: 'workingDirectory', text: spec.workingDirectory });
  return fields;
}

/** A spawn that fails with E2BIG looks like the worker's fault and would be retried; refuse it here, naming the field. */
function checkArgumentSizes(spec: TaskSpec): void {
  for (const { field, text, execPrefix } of textFields(spec)) {
    if (execPrefix === undefined) continue;
    const bytes = Buffer.byteLength(text);
    if (Buffer.byteLength(execPrefix) + bytes + 1 <= MAX_ARG_STRLEN) continue;
    const counting = execPrefix === '' ? 'its closing NUL' : `"${execPrefix}" and a closing NUL`;
    throw new InvalidTaskError(
      `${field} is ${bytes} bytes after templates, over the ${MAX_ARG_STRLEN}-byte limit Linux puts on one argument or variable (counting ${counting}); use the value inside "script" instead`,
    );
  }
}
