/** Progress lines for long steps (building or downloading binaries), on stderr so stdout stays JSON. */

/** Reports elapsed time and a counter every few seconds until stopped. */
export function startProgress(label: string, intervalMs = 5000): { tick(): void; stop(summary: string): void } {
  const started = Date.now();
  let count = 0;
  const elapsed = (): string => `${Math.round((Date.now() - started) / 1000)}s`;
  process.stderr.write(`[capstan] ${label} ...\n`);
  const timer = setInterval(() => {
    process.stderr.write(`[capstan] ${label}: ${elapsed()} elapsed${count > 0 ? `, ${count} packages built` : ''}\n`);
  }, intervalMs);
  return {
    tick: () => {
      count += 1;
    },
    stop: (summary) => {
      clearInterval(timer);
      process.stderr.write(`[capstan] ${label}: ${summary} in ${elapsed()}\n`);
    },
  };
}
