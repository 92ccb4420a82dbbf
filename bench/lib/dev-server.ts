/** Starts and stops the bench's own Temporal dev servers, each in a throwaway directory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../cli/dev-server';
import { pickPort } from './ports';

/** A dev server started for the bench. */
export interface BenchServer {
  label: string;
  address: string;
  logFile: string;
  /** The server's process id, for reading its memory. */
  pid?: number;
  /** Stops the server and deletes its database and log. */
  stop(): Promise<void>;
}

/** Servers not yet stopped, so an interrupted run can still stop them. */
const live = new Set<DevServer>();

/** Starts a headless dev server on a free port in the bench range with the given dynamic config (and SQLite pragmas, else Capstan's). */
export async function startBenchServer(
  binary: string,
  label: string,
  dynamicConfig: Record<string, string>,
  portFrom: number,
  sqlitePragmas?: Record<string, string>,
): Promise<BenchServer> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-bench-'));
  const logFile = join(dir, 'temporal.log');
  let server: DevServer;
  try {
    server = await startDevServer({
      binary,
      dbFile: join(dir, 'temporal.db'),
      logFile,
      ip: '127.0.0.1',
      port: await pickPort(portFrom),
      namespace: 'default',
      dynamicConfig,
      ...(sqlitePragmas ? { sqlitePragmas } : {}),
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  live.add(server);
  return {
    label,
    address: server.address,
    logFile,
    pid: server.process.pid,
    stop: async () => {
      await server.stop();
      live.delete(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Kills every server still running; for signal handlers, where there is no time to wait. */
export function killLiveServers(): void {
  for (const server of live) server.process.kill('SIGTERM');
}
