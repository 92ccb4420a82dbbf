/**
 * The Temporal dev server under `npm start`, supervised like the other children: when it dies it is
 * started again on the same SQLite file and port, so the runs in flight carry on once it is back.
 */
import { startDevServer, type DevServer, type DevServerOptions } from './dev-server';

const MAX_BACKOFF_MS = 30_000;

/** A dev server that comes back when it dies, until `stop`. */
export interface SupervisedDevServer {
  address: string;
  uiUrl?: string;
  /** The running server's process id, undefined while it is being restarted. */
  pid(): number | undefined;
  /**
   * From now on an exit is no death to recover from: `npm start` is stopping (a terminal's Ctrl-C
   * reaches the server too).
   */
  endSupervision(): void;
  /** Stops the server (and any restart under way) for good. */
  stop(): Promise<void>;
}

/** Starts the dev server and restarts it, with backoff, whenever it exits on its own. */
export async function superviseDevServer(
  options: DevServerOptions,
  report: (line: string) => void,
): Promise<SupervisedDevServer> {
  let current: DevServer | undefined = await startDevServer(options);
  let stopping = false;
  let restarting: Promise<void> | undefined;
  const where = `the same database (${options.dbFile}) and port ${options.port}`;

  const restart = async (diedAt: number): Promise<void> => {
    for (let attempt = 0; !stopping; attempt += 1) {
      try {
        const server = await startDevServer(options);
        current = server;
        if (stopping) return;
        const seconds = ((Date.now() - diedAt) / 1000).toFixed(1);
        report(`the Temporal dev server is back after ${seconds}s; runs in flight carry on`);
        watch(server);
        return;
      } catch (err) {
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
        const why = (err as Error).message;
        report(`the Temporal dev server did not come back (${why}); trying again in ${delay / 1000}s`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  const watch = (server: DevServer): void => {
    server.process.once('exit', (code, signal) => {
      if (stopping) return;
      current = undefined;
      report(`the Temporal dev server stopped (${signal ?? `exit code ${code}`}); restarting it on ${where}`);
      restarting = restart(Date.now()).finally(() => {
        restarting = undefined;
      });
    });
  };
  watch(current);

  return {
    address: current.address,
    uiUrl: current.uiUrl,
    pid: () => current?.process.pid,
    endSupervision: () => {
      stopping = true;
    },
    stop: async () => {
      stopping = true;
      await restarting;
      await current?.stop();
    },
  };
}
