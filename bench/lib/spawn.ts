/** Costs inside a Capstan task that are not orchestration: spawning the shell, and the whole activity body. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { tmpdir } from 'node:os';
import {
  createRunShellCommand,
  type RunShellCommandInput,
  type ShellActivityDeps,
} from '../../activities/shell/run-shell-command';
import { runProcessGroup } from '../../activities/shell/process-group';
import type { CommandOutcome } from '../../workflows/contracts/task-run';
import type { TaskSpec } from '../../workflows/contracts/task-spec';
import { since, summarize, type Summary } from './stats';

/** `/bin/sh -c true` through runProcessGroup, the spawner the activity uses (own process group, piped output); n samples. */
export async function measureShellSpawn(n: number): Promise<Summary> {
  const samples: number[] = [];
  const signal = new AbortController().signal;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await runProcessGroup({
      file: '/bin/sh',
      args: ['-c', 'true'],
      cwd: tmpdir(),
      env: process.env,
      timeoutMs: 10_000,
      signal,
      killGraceMs: 1000,
      onStdout: () => undefined,
      onStderr: () => undefined,
    });
    samples.push(since(t0));
  }
  return summarize(samples);
}

/**
 * The complete `runShellCommand` activity (workspace setup, spawn, output file, cleanup) run outside
 * Temporal in a mock activity context; n samples.
 */
export async function measureActivityBody(n: number, spec: TaskSpec, deps: ShellActivityDeps): Promise<Summary> {
  const activity = createRunShellCommand(deps);
  // WARN level: the activity logs two INFO lines per call, which would land in the middle of the progress output.
  const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('WARN') });
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const outcome = await env.run<[RunShellCommandInput], CommandOutcome, typeof activity>(activity, { spec });
    samples.push(since(t0));
    if (outcome.exitCode !== 0) throw new Error(`the activity body exited with ${outcome.exitCode}`);
  }
  return summarize(samples);
}
