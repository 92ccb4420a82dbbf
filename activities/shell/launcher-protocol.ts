/** Messages between a worker and its command launcher (launcher-main), sent over Node's IPC channel with structured clone. */

/** Worker to launcher: start one command as the leader of a new process group. */
export interface LaunchRequest {
  t: 'spawn';
  id: number;
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
}

/** Launcher to worker: what became of one command, in the order it happened. */
export type LaunchEvent =
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'out'; id: number; stream: 'o' | 'e'; data: Uint8Array }
  | { t: 'failed'; id: number; code?: string; message: string }
  | { t: 'exited'; id: number; exitCode: number };
