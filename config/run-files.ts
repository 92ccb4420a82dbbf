/**
 * Where a run's files go under the directories a process is configured with: job workspaces and
 * step logs. The pipeline activities write them and the API reads the logs, so both import this.
 */
import { join } from 'node:path';

/** Workflow ids may hold characters a directory name should not. */
export function safeSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The workspace a job's steps share. */
export function jobWorkspace(root: string, runId: string, jobId: string): string {
  return join(root, 'pipelines', safeSegment(runId), safeSegment(jobId));
}

/** Where one step's log is written (`step` is its index, or `rollback-<index>`). */
export function stepLogPath(logDir: string, runId: string, jobId: string, step: string): string {
  return join(logDir, safeSegment(runId), safeSegment(jobId), `${safeSegment(step)}.log`);
}
