/** This machine's figures as a worker reports them, read with Node's standard library (libuv), not by parsing /proc. */
import { mkdir, statfs } from 'node:fs/promises';
import { availableParallelism, freemem, loadavg, totalmem } from 'node:os';
import type { MachineFigures } from '../db/stores/worker-reports';

/** Reads the figures; `workspaceDir` is created if missing, so a fresh worker can report before its first task. */
export async function readMachineFigures(workspaceDir: string): Promise<MachineFigures> {
  await mkdir(workspaceDir, { recursive: true });
  const disk = await statfs(workspaceDir);
  const [load1, load5, load15] = loadavg() as [number, number, number];
  return {
    // The CPUs this process may use (affinity honoured), the figure a load average is judged against.
    cpus: availableParallelism(),
    load1,
    load5,
    load15,
    memoryTotalBytes: totalmem(),
    memoryAvailableBytes: freemem(),
    diskPath: workspaceDir,
    diskTotalBytes: disk.blocks * disk.bsize,
    diskFreeBytes: disk.bavail * disk.bsize,
  };
}
