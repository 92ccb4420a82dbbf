/**
 * Stops dynamic-provider processes orphaned by a killed worker. Pulumi starts the provider (a shell
 * script running node) under its engine; when the worker is killed, the engine ends and the
 * provider is reparented to PID 1, where it would wait for an engine that never comes back.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { Logger } from '../../config/logger';

/** Markers in a provider's command line (the script, and the node process it runs). */
const PROVIDER_MARKERS = ['pulumi-resource-pulumi-nodejs', '@pulumi/pulumi/cmd/dynamic-provider'];

interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

/** Kills orphaned providers and the processes they started; returns their pids. Linux only (reads /proc); elsewhere nothing. */
export async function stopOrphanProviders(logger: Logger): Promise<number[]> {
  const processes = await listProcesses();
  // An orphan's parent is init; the node process under a live orphaned script is stopped with it.
  const orphans = processes.filter((p) => p.ppid === 1 && PROVIDER_MARKERS.some((m) => p.cmdline.includes(m)));
  const children = processes.filter((p) => orphans.some((o) => o.pid === p.ppid));
  const pids = [...orphans, ...children].map((p) => p.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Gone already, or not ours to signal.
    }
  }
  if (pids.length > 0) logger.warn({ pids }, 'stopped Pulumi dynamic-provider processes left by a killed worker');
  return pids;
}

/** Sweeps at once and then every `intervalMs`; returns the stop function. */
export function startOrphanProviderSweeper(logger: Logger, intervalMs: number): () => void {
  const sweep = (): void => {
    void stopOrphanProviders(logger).catch((err: unknown) => logger.warn({ err }, 'orphan provider sweep failed'));
  };
  sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

async function listProcesses(): Promise<ProcessInfo[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found = await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid): Promise<ProcessInfo | undefined> => {
        try {
          const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
          // The command name in parentheses may hold spaces; fields after the last ')' are fixed.
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim();
          return { pid: Number(pid), ppid, cmdline };
        } catch {
          return undefined;
        }
      }),
  );
  return found.filter((p): p is ProcessInfo => p !== undefined);
}
