/**
 * `npm run chaos`: a full stack under a mixed load of tasks, DAGs and pipelines while a driver
 * kills -9 its parts at random and brings them back; then it stops the load and the kills, lets
 * every started run end, and checks that nothing was lost, metered twice or left running.
 * Exit code 0 only when 0 runs are lost, 0 metering rows missing or doubled and 0 processes orphaned.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareMetering } from './accounting';
import { startClusterStack } from './cluster-stack';
import { Killer } from './killer';
import { Load } from './load';
import { parseChaosOptions, seededRandom, type ChaosOptions } from './options';
import { findOrphans, OrphanWatch } from './orphans';
import { summarise } from './report';
import { makePipelineRepo } from './specs';
import type { ChaosStack } from './stack';
import { startStartStack } from './start-stack';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** What a chaos run ends with. */
export interface ChaosResult {
  passed: boolean;
  /** The summary's lines, as printed. */
  lines: string[];
  /** Kills made, over every target. */
  kills: number;
}

/** Runs one chaos run with `options`, writing progress and the summary through `write`. */
export async function runChaos(options: ChaosOptions, write: (line: string) => void = print): Promise<ChaosResult> {
  const say = (line: string): void => write(`[chaos] ${line}`);
  const id = randomBytes(4).toString('hex');
  const root = mkdtempSync(join(tmpdir(), `capstan-chaos-${options.profile}-`));
  // PostgreSQL runs as its own user when the driver is root: it must be able to reach its directory under this one.
  chmodSync(root, 0o755);
  const random = seededRandom(options.seed);
  say(`profile ${options.profile}, ${options.minutes} min, seed ${options.seed}, directory ${root}`);
  const adminToken = `cap_chaos_${randomBytes(24).toString('hex')}`;
  const stack: ChaosStack =
    options.profile === 'cluster'
      ? await startClusterStack(root, id, adminToken, say)
      : await startStartStack(root, id, adminToken, say);
  let stopped = false;
  const stopStack = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stack.stop();
  };
  const interrupt = (): void => {
    say('interrupted: stopping the stack');
    void stopStack().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const repoDir = join(root, 'repo');
    mkdirSync(repoDir);
    const load = new Load({
      apiUrls: stack.apiUrls,
      token: stack.adminToken,
      intervalSeconds: options.startEverySeconds,
      startRetrySeconds: 120,
      repo: makePipelineRepo(repoDir),
      random,
    });
    const killer = new Killer({ killables: stack.killables, meanGapSeconds: options.killEverySeconds, random, say });
    const began = Date.now();
    const progress = (phase: string): void => {
      const started = load.runs.filter((r) => r.runId !== undefined).length;
      const ended = load.runs.filter((r) => r.status !== undefined).length;
      const kills = Object.entries(killer.byTarget())
        .map(([t, n]) => `${t} ${n}`)
        .join(', ');
      say(
        `${phase} ${Math.round((Date.now() - began) / 1000)} s: runs started ${started}, ended ${ended}, starts retrying ${load.inFlight}; kills: ${kills || 'none yet'}`,
      );
    };
    const watch = new OrphanWatch(stack.marker);
    load.begin();
    killer.begin();
    watch.begin();
    const ticker = setInterval(() => progress('load'), 15_000);
    await new Promise((r) => setTimeout(r, options.minutes * 60_000));
    clearInterval(ticker);
    say('time is up: stopping the kills (the last killed process is brought back) and the load');
    await killer.stop();
    await load.stopStarting();
    progress('stopped');
    const settleMs = options.settleMinutes * 60_000;
    const open = await load.settle(settleMs, () => progress('settling'));
    progress('settled');
    if (open > 0) say(`${open} started runs had not ended after ${options.settleMinutes} min`);
    const runIds = load.runs.flatMap((r) => (r.runId ? [r.runId] : []));
    say(`reading ${runIds.length} runs' histories and the metering rows`);
    const metering = await compareMetering(stack.temporalAddress, stack.databaseUrl, runIds);
    say('stopping the stack (workers first)');
    await stopStack();
    watch.stop();
    const orphans = await findOrphans(stack.marker);
    const { lines, passed } = summarise({
      profile: options.profile,
      minutes: options.minutes,
      storage: stack.storage,
      runs: load.runs,
      kills: killer.byTarget(),
      killCounts: killer.counts,
      metering,
      orphans,
      orphanedDuringRun: [...watch.seen.values()],
      settleSeconds: settleMs / 1000,
    });
    for (const line of lines) write(line);
    if (passed && !options.keep) rmSync(root, { recursive: true, force: true });
    else say(`logs and data kept in ${root} (process logs in ${stack.logDir})`);
    return { passed, lines, kills: Object.values(killer.byTarget()).reduce((a, b) => a + b, 0) };
  } finally {
    await stopStack().catch(() => undefined);
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

if (require.main === module) {
  let options: ChaosOptions;
  try {
    options = parseChaosOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  runChaos(options).then(
    (result) => process.exit(result.passed ? 0 : 1),
    (err: unknown) => {
      process.stderr.write(`chaos run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
