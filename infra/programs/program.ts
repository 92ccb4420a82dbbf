/** The shape of a Pulumi program Capstan can run for a stack, and validation of its config. */
import type { z } from 'zod';
import { describeIssues, fieldIssues, type FieldIssue } from '../../config/zod-issues';

/** Which stack a program runs for; outputs and resource names may use it. */
export interface ProgramContext {
  project: string;
  stack: string;
}

/** A named program: a config schema and the body of the Automation API inline program. */
export interface CapstanProgram<Schema extends z.ZodType = z.ZodType> {
  name: string;
  /** One sentence for listings. */
  description: string;
  configSchema: Schema;
  /** Config fields to store and pass as Pulumi secrets. */
  secretFields: readonly string[];
  /** Declares the resources for a parsed config and returns the stack outputs. */
  run(config: z.infer<Schema>, context: ProgramContext): Promise<Record<string, unknown>>;
}

/** Keeps each program's config type tied to its schema while the registry holds them side by side. */
export function defineProgram<Schema extends z.ZodType>(program: CapstanProgram<Schema>): CapstanProgram<Schema> {
  return program;
}

/** The outcome of checking a config against a program's schema. */
export type ConfigCheck<T> = { ok: true; config: T } | { ok: false; issues: FieldIssue[]; message: string };

/** Parses `config` with the program's schema; issues name fields as `config.<path>`. */
export function validateProgramConfig<Schema extends z.ZodType>(
  program: CapstanProgram<Schema>,
  config: unknown,
): ConfigCheck<z.infer<Schema>> {
  const parsed = program.configSchema.safeParse(config);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issues = fieldIssues(parsed.error.issues, 'config');
  return { ok: false, issues, message: `invalid config for program ${program.name}: ${describeIssues(issues)}` };
}
