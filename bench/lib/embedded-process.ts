/** The embedded database in a process of its own, exactly as `npm start` runs it when no CAPSTAN_DATABASE_URL is given. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { EmbeddedDatabase } from '../../db/embedded';

/** Starts `dist/db/embedded-server.js` with its data in `dir`, serving on 127.0.0.1:`port`; it is ready once it accepts a connection. */
export function startEmbeddedProcess(dir: string, port: number): EmbeddedDatabase & { pid: number } {
  const child = spawn(process.execPath, [join(__dirname, '../../db/embedded-server.js')], {
    env: { ...process.env, CAPSTAN_DATA_DIR: dir, CAPSTAN_EMBEDDED_DB_PORT: String(port), CAPSTAN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    pid: child.pid!,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
