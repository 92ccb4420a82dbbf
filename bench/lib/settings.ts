/** Settings and progress lines shared by the bench entry points. */

/** A positive integer from the environment, or the default; a bad value stops the run before anything starts. */
export function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** A progress logger on stderr (stdout holds the report), stamped with seconds since `started`. */
export function progressLogger(tag: string, started: number): (line: string) => void {
  return (line) => process.stderr.write(`[${tag} +${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
}
