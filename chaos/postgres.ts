/**
 * A PostgreSQL server the chaos run can kill -9 and start again on the same data: initdb once,
 * `pg_ctl start` (again after a kill, retried while the dead postmaster's backends are still exiting).
 * Asynchronous throughout, so the load keeps running while the server restarts.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgresBinDir } from '../test/helpers/postgres-server';

const run = promisify(execFile);

/** A PostgreSQL server under the chaos run. */
export interface ChaosPostgres {
  url: string;
  /** The postmaster's process id, from its pid file; undefined when it is not running. */
  pid(): number | undefined;
  /** Starts the server; after a kill -9, retries until the old backends are gone (up to `timeoutMs`). */
  start(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Creates a cluster under `dir` (owned by the `postgres` user when run as root) and starts it on `port`. */
export async function startChaosPostgres(dir: string, port: number): Promise<ChaosPostgres> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const pg = (program: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args], { timeout: 90_000 })
      : run(join(bin, program), args, { timeout: 90_000 });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  // fsync stays on (the default): a kill -9 of the postmaster must not lose committed rows, which is what is tested.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300`;
  const server: ChaosPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pid: () => {
      try {
        return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
      } catch {
        return undefined;
      }
    },
    start: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          await pg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '30', 'start']);
          return;
        } catch (err) {
          // "pre-existing shared memory block is still in use": backends of the killed postmaster are still exiting.
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    },
    stop: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
    },
  };
  await server.start();
  return server;
}
