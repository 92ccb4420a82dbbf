/**
 * A throwaway real PostgreSQL server for the test suite: initdb into a scratch directory and
 * pg_ctl on a free loopback port. The binaries come from the Debian packages `.ci/run` installs.
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running PostgreSQL server owned by the tests. */
export interface PostgresServer {
  /** Connection URL of the `postgres` database as the `postgres` superuser (trust authentication). */
  url: string;
  port: number;
  stop(): void;
  /** Stops the server and deletes its files. */
  remove(): void;
  /** Starts the server again after `stop`, on the same port and data. */
  start(): void;
}

/** The directory holding initdb and pg_ctl: PATH, else the newest /usr/lib/postgresql/<version>/bin. */
export function postgresBinDir(): string {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const dir = join('/usr/lib/postgresql', version, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  throw new Error(
    'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install the Debian package `postgresql` (.ci/run does)',
  );
}

/**
 * Creates a cluster in a new temporary directory (its own, so the `postgres` user can own it) and starts it on `port`,
 * listening on `listen` (loopback by default); a non-loopback address also admits clients of its /24 without a password.
 */
export function startPostgresServer(port: number, listen = '127.0.0.1'): PostgresServer {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-postgres-'));
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]): void => {
    const command = asRoot
      ? (['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] as const)
      : ([join(bin, program), args] as const);
    execFileSync(command[0], command[1], { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const data = join(dir, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  if (listen !== '127.0.0.1') {
    // initdb's rules admit loopback only; the test's own hosts sit on the listen address's /24.
    const subnet = `${listen.split('.').slice(0, 3).join('.')}.0/24`;
    appendFileSync(join(data, 'pg_hba.conf'), `host all all ${subnet} trust\n`);
  }
  // fsync off: a test cluster needs speed, not crash safety of its own files.
  const options = `-p ${port} -k ${dir} -c listen_addresses=${listen} -c fsync=off -c synchronous_commit=off -c max_connections=200`;
  const server: PostgresServer = {
    url: `postgres://postgres@${listen}:${port}/postgres`,
    port,
    start: () => run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', 'start']),
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    remove: () => {
      try {
        server.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  server.start();
  return server;
}
