/**
 * The files of one task attempt: a fresh workspace, the script, the `$CAPSTAN_OUTPUT` file, and their removal.
 * The few small operations of a light task are synchronous: each is one system call of microseconds, where the
 * promise API costs a thread-pool round trip and several promises apiece (with the SDK's async hooks on every one),
 * and a fan-out runs a hundred attempts at once on one worker. Whatever can take long (a workspace left full, a
 * large output file) still goes through the promise API, so the event loop never waits on it.
 */
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TaskSpec } from '../../workflows/contracts/task-spec';
import { OutputFileError, parseOutputFile } from './output-file';

/** A spec that can never run as given (not this worker's fault); the task fails without retrying. */
export class InvalidTaskError extends Error {}

/** Where one attempt's files live. */
export interface AttemptFiles {
  /** Directories between the workspace root and the attempt, innermost first: removed once empty. */
  parents: string[];
  attemptDir: string;
  workspace: string;
  cwd: string;
  outputFile: string;
}

/** Creates an empty workspace (and working directory) for attempt `attempt` of the task named by `path` (run id, then node key). */
export async function prepareAttempt(
  workspaceRoot: string,
  path: string[],
  attempt: number,
  spec: TaskSpec,
): Promise<AttemptFiles> {
  const segments = path.map(safeSegment);
  const attemptDir = resolve(workspaceRoot, ...segments, `attempt-${attempt}`);
  const parents = segments.map((_s, i) => resolve(workspaceRoot, ...segments.slice(0, i + 1))).reverse();
  const workspace = join(attemptDir, 'workspace');
  const outputFile = join(attemptDir, 'output.env');
  // A redelivered attempt finds its earlier files; usually there are none and one lstat says so.
  if (exists(attemptDir)) await rm(attemptDir, { recursive: true, force: true });
  const cwd = spec.workingDirectory ? resolve(workspace, spec.workingDirectory) : workspace;
  // A DAG template can fill in the directory at run time, after validation: check it again here.
  if (cwd !== workspace && !cwd.startsWith(`${workspace}/`)) {
    throw new InvalidTaskError(`workingDirectory "${spec.workingDirectory}" leads outside the task workspace`);
  }
  mkdirSync(cwd, { recursive: true });
  writeFileSync(outputFile, '');
  return { parents, attemptDir, workspace, cwd, outputFile };
}

/** The program and arguments that run the spec: `sh -c` for a command, `bash -e -o pipefail` for a script. */
export async function commandLine(spec: TaskSpec, attemptDir: string): Promise<[string, string[]]> {
  if (spec.command !== undefined) return ['/bin/sh', ['-c', spec.command, 'capstan-task', ...spec.args]];
  const scriptPath = join(attemptDir, 'script.sh');
  writeFileSync(scriptPath, spec.script ?? '', { mode: 0o700 });
  return ['/bin/bash', ['-e', '-o', 'pipefail', scriptPath, ...spec.args]];
}

/** Reads the outputs the command wrote; never loads a file past `maxBytes` (CAPSTAN_MAX_OUTPUT_BYTES) into memory. */
export async function readOutputs(outputFile: string, maxBytes: number): Promise<Record<string, string>> {
  let fd: number;
  try {
    fd = openSync(outputFile, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}; // the command deleted it: no outputs
    throw err;
  }
  try {
    const { size } = fstatSync(fd);
    if (size === 0) return {};
    if (size > maxBytes)
      throw new OutputFileError(`is ${size} bytes, over the ${maxBytes}-byte limit (CAPSTAN_MAX_OUTPUT_BYTES)`);
    // Small files (the usual few lines) are read at once; larger ones, up to the limit, without blocking.
    if (size <= SMALL_FILE_BYTES) {
      const buffer = Buffer.alloc(size);
      let read = 0;
      while (read < size) {
        const n = readSync(fd, buffer, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
      return parseOutputFile(buffer.toString('utf8', 0, read));
    }
  } finally {
    closeSync(fd);
  }
  return readLargeOutputs(outputFile, maxBytes);
}

/** Output files larger than SMALL_FILE_BYTES are read with the promise API. */
const SMALL_FILE_BYTES = 64 * 1024;

async function readLargeOutputs(outputFile: string, maxBytes: number): Promise<Record<string, string>> {
  let handle;
  try {
    handle = await open(outputFile, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}; // the command deleted it: no outputs
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes)
      throw new OutputFileError(`is ${size} bytes, over the ${maxBytes}-byte limit (CAPSTAN_MAX_OUTPUT_BYTES)`);
    return parseOutputFile(await handle.readFile('utf8'));
  } finally {
    await handle.close();
  }
}

/** Removes the attempt's files, and its parent directories once nothing else is left in them. */
export async function removeAttempt(files: AttemptFiles): Promise<void> {
  if (!removeUntouched(files)) await rm(files.attemptDir, { recursive: true, force: true });
  for (const dir of files.parents) {
    // Another attempt or task of the run may still be there; then the directory stays.
    try {
      rmdirSync(dir);
    } catch {
      break;
    }
  }
}

/**
 * Removes the attempt's files the quick way when the command left them as they were made (an empty workspace, the
 * output file, a script); false when anything else is there, for the recursive removal to do.
 */
function removeUntouched(files: AttemptFiles): boolean {
  try {
    // A working directory below the workspace leaves directories in between: the recursive removal takes them.
    if (files.cwd !== files.workspace) return false;
    rmdirSync(files.workspace);
    unlinkSync(files.outputFile);
    try {
      unlinkSync(join(files.attemptDir, 'script.sh'));
    } catch {
      // A command task has no script.
    }
    rmdirSync(files.attemptDir);
    return true;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Workflow ids may hold characters a directory name should not. */
function safeSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
