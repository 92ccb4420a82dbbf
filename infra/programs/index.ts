/** The Pulumi programs Capstan can run for a stack, by name. */
import { localSiteProgram } from './local-site';
import { postgresDatabaseProgram } from './postgres-database';
import type { CapstanProgram } from './program';

export { validateProgramConfig, type CapstanProgram, type ConfigCheck, type ProgramContext } from './program';

/** Every shipped program, keyed by its name (the registry the API and the stack activities use). */
export const stackPrograms = {
  'postgres-database': postgresDatabaseProgram,
  'local-site': localSiteProgram,
} as const satisfies Readonly<Record<string, CapstanProgram>>;

/** A shipped program's name. */
export type ProgramName = keyof typeof stackPrograms;

/** The program called `name`, or undefined for an unknown name. */
export function findProgram(name: string): CapstanProgram | undefined {
  return Object.hasOwn(stackPrograms, name) ? stackPrograms[name as ProgramName] : undefined;
}
