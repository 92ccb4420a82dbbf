/**
 * The compose file's Temporal, run without a Docker engine: its schema script with the real
 * temporal-sql-tool on the suite's PostgreSQL, the server with the configuration the server image
 * renders (the server module's own template) from the compose service's environment, its setup
 * script with the real Temporal CLI, and then a Capstan task started, run and listed through it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { stopChild } from '../cli/stop-child';
import { testDatabaseAdminUrl, withAdmin } from './helpers/database';
import { freePort } from './helpers/ports';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const ROOT = join(__dirname, '..', '..');
/** Where the server image keeps its configuration; the compose file's paths are relative to it. */
const IMAGE_TEMPORAL_HOME = '/etc/temporal';

interface ComposeService {
  environment?: Record<string, unknown>;
  command?: string[];
  volumes?: string[];
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has a ${name} service`);
  return found;
};
const environmentOf = (s: ComposeService): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** A one-shot's `sh -ec` script as the shell inside the container receives it: Compose turns `$$` into `$`. */
function scriptOf(name: string): string {
  const command = service(name).command;
  assert.ok(command?.length === 1 && typeof command[0] === 'string', `${name}: one script for sh -ec`);
  // A lone `$` would be filled in by Compose from the host's environment, not by the container's shell.
  assert.doesNotMatch(command[0].replaceAll('$$', ''), /\$/, `${name}: every $ is escaped as $$`);
  return command[0].replaceAll('$$', '$');
}

const run = promisify(execFile);
const id = randomBytes(3).toString('hex');
const admin = new URL(testDatabaseAdminUrl());
/** The compose file's database settings, pointed at the suite's server and at databases of this test's own. */
const databaseEnv = {
  POSTGRES_SEEDS: admin.hostname,
  DB_PORT: admin.port,
  POSTGRES_USER: decodeURIComponent(admin.username),
  // The suite's server trusts local connections; the script passes a password either way.
  POSTGRES_PWD: decodeURIComponent(admin.password) || 'unused',
  DBNAME: `temporal_${id}`,
  VISIBILITY_DBNAME: `temporal_visibility_${id}`,
};
let scratch: string;
let bin: string;
let server: ChildProcess | undefined;
let serverLog = '';
let frontend: string;
let stack: TestStack | undefined;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'capstan-compose-temporal-'));
  // The admin-tools image has both tools on its PATH under these names.
  bin = join(scratch, 'bin');
  mkdirSync(bin);
  const tools = {
    'temporal-sql-tool': process.env.CAPSTAN_TEMPORAL_SQL_TOOL_BIN,
    temporal: process.env.CAPSTAN_TEST_TEMPORAL_BIN,
  };
  for (const [name, path] of Object.entries(tools)) {
    assert.ok(path, `the test runner passes the ${name} binary`);
    symlinkSync(path, join(bin, name));
  }
});

after(async () => {
  await stack?.stop();
  if (server) await stopChild(server, 10_000);
  await withAdmin(testDatabaseAdminUrl(), async (c) => {
    for (const db of [databaseEnv.DBNAME, databaseEnv.VISIBILITY_DBNAME])
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const toolEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...process.env,
  ...extra,
  PATH: `${bin}:${process.env.PATH ?? ''}`,
});

test("the compose file's Temporal settings name its PostgreSQL service and that service's credentials", () => {
  // The live tests below point these at the suite's server; here, that the values they replace are right.
  const postgres = environmentOf(service('postgres'));
  for (const name of ['temporal-schema', 'temporal']) {
    const env = environmentOf(service(name));
    assert.equal(env.DB, 'postgres12', `${name}: the template's PostgreSQL plugin`);
    assert.ok(compose.services[env.POSTGRES_SEEDS ?? ''], `${name}: POSTGRES_SEEDS names a service`);
    assert.equal(env.POSTGRES_USER, postgres.POSTGRES_USER, `${name}: POSTGRES_USER`);
    assert.equal(env.POSTGRES_PWD, postgres.POSTGRES_PASSWORD, `${name}: POSTGRES_PWD`);
  }
  assert.equal(environmentOf(service('temporal-setup')).TEMPORAL_ADDRESS, 'temporal:7233');
});

test('the compose schema script sets up both databases, and running it again changes nothing', async () => {
  const env = toolEnv({ ...environmentOf(service('temporal-schema')), ...databaseEnv });
  await run('sh', ['-ec', scriptOf('temporal-schema')], { env, timeout: 180_000 });
  const versions = async (): Promise<string[]> =>
    Promise.all(
      [databaseEnv.DBNAME, databaseEnv.VISIBILITY_DBNAME].map(async (db) => {
        const url = new URL(testDatabaseAdminUrl());
        url.pathname = `/${db}`;
        return withAdmin(url.toString(), async (c) => {
          const { rows } = await c.query<{ curr_version: string }>('SELECT curr_version FROM schema_version');
          return rows[0]?.curr_version ?? 'none';
        });
      }),
    );
  const first = await versions();
  assert.ok(
    first.every((v) => /^\d+\.\d+$/.test(v) && v !== '0.0'),
    `both schemas are at a real version: ${first.join(', ')}`,
  );
  await run('sh', ['-ec', scriptOf('temporal-schema')], { env, timeout: 180_000 });
  assert.deepEqual(await versions(), first);
});

test(
  'the server runs from the compose environment, and the setup script makes it ready for Capstan',
  {
    timeout: 300_000,
  },
  async () => {
    const temporal = service('temporal');
    const env = environmentOf(temporal);
    // As the image's entrypoint does: render config/docker.yaml from the server's template with dockerize.
    const root = join(scratch, 'server');
    mkdirSync(join(root, 'config'), { recursive: true });
    const template = process.env.CAPSTAN_TEMPORAL_CONFIG_TEMPLATE;
    const dockerize = process.env.CAPSTAN_DOCKERIZE_BIN;
    assert.ok(template && dockerize, 'the test runner passes the server config template and dockerize');
    // Each mounted file goes where the volume puts it in the image, relative to the server's home.
    for (const volume of temporal.volumes ?? []) {
      const [source, target] = volume.split(':') as [string, string];
      const inHome = posix.relative(IMAGE_TEMPORAL_HOME, target);
      assert.ok(!inHome.startsWith('..'), `${volume}: mounted under ${IMAGE_TEMPORAL_HOME}`);
      mkdirSync(dirname(join(root, inHome)), { recursive: true });
      copyFileSync(join(ROOT, source), join(root, inHome));
    }
    // The server's own check of the dynamic config file the compose file mounts: known keys, right types.
    // The path is relative to the server's working directory, the image's /etc/temporal.
    const dynamic = join(root, env.DYNAMIC_CONFIG_FILE_PATH!);
    await run(process.env.CAPSTAN_TEMPORAL_SERVER_BIN!, ['validate-dynamic-config', dynamic], { timeout: 60_000 });

    // Ports of this test's own (the image uses the template's defaults, 7233 and up); the image's entrypoint binds
    // the container's address, loopback here.
    const ports: Record<string, string> = { BIND_ON_IP: '127.0.0.1' };
    for (const service of ['FRONTEND', 'HISTORY', 'MATCHING', 'WORKER'])
      for (const kind of ['GRPC', 'MEMBERSHIP']) ports[`${service}_${kind}_PORT`] = String(await freePort());
    ports.FRONTEND_HTTP_PORT = String(await freePort());
    frontend = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
    const serverEnv = { ...process.env, ...env, ...databaseEnv, ...ports };
    await run(dockerize, ['-template', `${template}:${join(root, 'config', 'docker.yaml')}`], {
      env: serverEnv,
      timeout: 60_000,
    });
    server = spawn(
      process.env.CAPSTAN_TEMPORAL_SERVER_BIN!,
      ['--root', root, '--config', 'config', '--env', 'docker', 'start'],
      {
        cwd: root,
        env: serverEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (chunk: Buffer): void => {
      serverLog = (serverLog + chunk.toString()).slice(-4000);
    };
    server.stdout?.on('data', keep);
    server.stderr?.on('data', keep);

    const setup = service('temporal-setup');
    try {
      await run('sh', ['-ec', scriptOf('temporal-setup')], {
        env: toolEnv({ ...environmentOf(setup), TEMPORAL_ADDRESS: frontend }),
        timeout: 200_000,
      });
    } catch (err) {
      assert.fail(`setup failed: ${(err as Error).message}\nserver log: ${serverLog}`);
    }
    // Running it again is harmless, as the compose file says.
    await run('sh', ['-ec', scriptOf('temporal-setup')], {
      env: toolEnv({ ...environmentOf(setup), TEMPORAL_ADDRESS: frontend }),
      timeout: 120_000,
    });

    stack = await startTestStack({ temporalAddress: frontend, startWorkersFor: ['a'] });
    const started = await stack.request('POST', '/v1/tasks', {
      nodeClass: 'a',
      command: 'echo compose-temporal',
      labels: { via: 'compose' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const ended = await waitForRunEnd(stack, started.body.runId, 120_000);
    assert.equal(ended.status, 'completed', JSON.stringify(ended));
    // Listing by label filters on Capstan's search attributes, which only the setup script registered.
    const deadline = Date.now() + 30_000;
    let listed: string[] = [];
    while (Date.now() < deadline) {
      const list: { status: number; body: any } = await stack.request('GET', '/v1/runs?kind=task&label=via%3Dcompose');
      assert.equal(list.status, 200, JSON.stringify(list.body));
      listed = list.body.runs.map((r: { runId: string }) => r.runId);
      if (listed.includes(started.body.runId)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(listed, [started.body.runId]);
  },
);
