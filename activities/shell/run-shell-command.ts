/** The shell-command activity: one attempt of a task in a fresh workspace. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FailureTypes, type CommandOutcome } from '../../workflows/contracts/task-run';
import type { TaskSpec } from '../../workflows/contracts/task-spec';
import { OutputFileError, parseOutputFile } from './output-file';
import { runProcessGroup } from './process-group';
import { TailBuffer } from './tail-buffer';

/** What the shell activities need from the worker that hosts them. */
export interface ShellActivityDeps {
  /** Directory under which every attempt gets a fresh workspace. */
  workspaceRoot: string;
  /** Identity of the worker, reported in results. */
  workerIdentity: string;
  /** Bytes of stdout and of stderr kept for the result. */
  outputTailBytes: number;
  /** Keep workspaces after the attempt (for debugging) instead of deleting them. */
  keepWorkspaces: boolean;
  /** Upper bound between heartbeats; a third of the activity's heartbeat timeout when that is shorter. */
  maxHeartbeatIntervalMs: number;
  killGraceMs: number;
}

/** Input of `runShellCommand`. */
export interface RunShellCommandInput {
  spec: TaskSpec;
}

/** Largest `$CAPSTAN_OUTPUT` file accepted; bigger outputs belong in artifacts. */
const MAX_OUTPUT_FILE_BYTES = 256 * 1024;

/** Builds the `runShellCommand` activity bound to one worker's settings. */
export function createRunShellCommand(deps: ShellActivityDeps) {
  return async function runShellCommand({ spec }: RunShellCommandInput): Promise<CommandOutcome> {
    const ctx = Context.current();
    const { attempt } = ctx.info;
    const runId = ctx.info.workflowExecution?.workflowId ?? ctx.info.activityId;
    const attemptDir = resolve(deps.workspaceRoot, safeSegment(runId), `attempt-${attempt}`);
    const workspace = join(attemptDir, 'workspace');
    const outputFile = join(attemptDir, 'output.env');
    await rm(attemptDir, { recursive: true, force: true });
    const cwd = spec.workingDirectory ? join(workspace, spec.workingDirectory) : workspace;
    await mkdir(cwd, { recursive: true });
    await writeFile(outputFile, '');
    const [file, args] = await commandLine(spec, attemptDir);
    const env = taskEnvironment(spec, { workspace, outputFile, runId, attempt });

    const stdout = new TailBuffer(deps.outputTailBytes);
    const stderr = new TailBuffer(deps.outputTailBytes);
    const startedAt = Date.now();
    ctx.log.info('task attempt started', { runId, attempt, nodeClass: spec.nodeClass });
    // The attempt number rides along so a heartbeat timeout still tells the workflow how many attempts ran.
    const heartbeat = (): void => ctx.heartbeat({
      attempt, elapsedMs: Date.now() - startedAt, stdoutBytes: stdout.totalBytes, stderrBytes: stderr.totalBytes,
    });
    heartbeat();
    const beat = setInterval(heartbeat, heartbeatIntervalMs(ctx.info.heartbeatTimeoutMs, deps.maxHeartbeatIntervalMs));
    let exit;
    try {
      exit = await runProcessGroup({
        file, args, cwd, env,
        timeoutMs: spec.timeoutSeconds * 1000,
        signal: ctx.cancellationSignal,
        killGraceMs: deps.killGraceMs,
        onStdout: (chunk) => stdout.push(chunk),
        onStderr: (chunk) => stderr.push(chunk),
      });
    } finally {
      clearInterval(beat);
    }

    const outcome: CommandOutcome = {
      exitCode: exit.exitCode,
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      outputs: {},
      durationMs: Date.now() - startedAt,
      worker: deps.workerIdentity,
      activityAttempt: attempt,
      timedOut: exit.timedOut,
    };
    let outputError: string | undefined;
    try {
      outcome.outputs = await readOutputs(outputFile);
    } catch (err) {
      if (!(err instanceof OutputFileError)) throw err;
      outputError = `$CAPSTAN_OUTPUT ${err.message}`;
    }
    if (!deps.keepWorkspaces) await rm(attemptDir, { recursive: true, force: true });
    ctx.log.info('task attempt finished', {
      runId, attempt, exitCode: exit.exitCode, durationMs: outcome.durationMs,
      timedOut: exit.timedOut, aborted: exit.aborted,
    });

    if (exit.aborted) throw abortFailure(ctx.cancellationDetails?.workerShutdown === true);
    if (exit.timedOut) {
      throw ApplicationFailure.create({
        type: FailureTypes.commandTimedOut,
        message: `command timed out after ${spec.timeoutSeconds}s; its process group was killed`,
        details: [outcome],
      });
    }
    if (exit.exitCode !== 0 || outputError !== undefined) {
      throw ApplicationFailure.create({
        type: FailureTypes.commandFailed,
        message: outputError ?? `command exited with code ${exit.exitCode}`,
        details: [outcome],
      });
    }
    return outcome;
  };
}

function heartbeatIntervalMs(heartbeatTimeoutMs: number | undefined, maxMs: number): number {
  return Math.max(200, Math.min(maxMs, heartbeatTimeoutMs ? heartbeatTimeoutMs / 3 : maxMs));
}

/** A stopping worker hands the attempt back for another worker; a user's cancel ends it. */
function abortFailure(workerShutdown: boolean): Error {
  if (workerShutdown) {
    return ApplicationFailure.retryable('worker shut down during the attempt; process group killed', 'WorkerShutdown');
  }
  return new CancelledFailure('task cancelled; process group killed');
}

async function commandLine(spec: TaskSpec, attemptDir: string): Promise<[string, string[]]> {
  if (spec.command !== undefined) return ['/bin/sh', ['-c', spec.command, 'capstan-task', ...spec.args]];
  const scriptPath = join(attemptDir, 'script.sh');
  await writeFile(scriptPath, spec.script ?? '', { mode: 0o700 });
  return ['/bin/bash', ['-e', '-o', 'pipefail', scriptPath, ...spec.args]];
}

interface TaskContextVars {
  workspace: string;
  outputFile: string;
  runId: string;
  attempt: number;
}

/** The worker's environment without Capstan's own settings, then Capstan's task variables, then the spec's. */
function taskEnvironment(spec: TaskSpec, vars: TaskContextVars): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CAPSTAN_')));
  return {
    ...inherited,
    CAPSTAN_RUN_ID: vars.runId,
    CAPSTAN_ATTEMPT: String(vars.attempt),
    CAPSTAN_NODE_CLASS: spec.nodeClass,
    CAPSTAN_WORKSPACE: vars.workspace,
    CAPSTAN_OUTPUT: vars.outputFile,
    ...spec.env,
  };
}

async function readOutputs(outputFile: string): Promise<Record<string, string>> {
  const text = await readFile(outputFile, 'utf8').catch(() => '');
  if (Buffer.byteLength(text) > MAX_OUTPUT_FILE_BYTES) {
    throw new OutputFileError(`is ${Buffer.byteLength(text)} bytes, over the ${MAX_OUTPUT_FILE_BYTES}-byte limit`);
  }
  return parseOutputFile(text);
}

/** Workflow ids may hold characters a directory name should not. */
function safeSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
