/** The programs stack operations may run, looked up by name (the shipped ones live in infra/programs). */
import { findProgram, stackPrograms, type CapstanProgram } from './index';

/** Programs by name, as the API and the stack activities see them. */
export interface ProgramRegistry {
  find(name: string): CapstanProgram | undefined;
  names: readonly string[];
}

/** The programs shipped in infra/programs. */
export const shippedPrograms: ProgramRegistry = { find: findProgram, names: Object.keys(stackPrograms) };

/** A stack config with the program's secret fields masked, for API answers. */
export function maskConfig(
  program: CapstanProgram | undefined,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const secret = new Set<string>(program?.secretFields ?? []);
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, secret.has(key) ? '[secret]' : value]));
}
