/**
 * Capstan's dynamic providers and shipped programs through the real Pulumi CLI: a real PostgreSQL
 * database and role, real files, a real HTTP server process. Each scenario is one stack's lifecycle.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EngineEvent, Stack } from '@pulumi/pulumi/automation/index.js';
import { Client } from 'pg';
import { openStack } from '../activities/pulumi/workspace';
import type { PulumiSettings } from '../toolchain/pulumi-settings';
import { stackPrograms, type CapstanProgram } from '../infra/programs';
import { Directory, File } from '../infra/providers/local-files';
import { testDatabaseAdminUrl, withAdmin } from './helpers/database';
import { freePort } from './helpers/ports';
import { scramIsFor } from './helpers/scram';

function pulumiBinary(): string {
  const binary = process.env.CAPSTAN_TEST_PULUMI_BIN;
  if (!binary) throw new Error('CAPSTAN_TEST_PULUMI_BIN is not set: run the tests with `npm test`');
  return binary;
}

let scratch = '';
let settings: PulumiSettings;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'capstan-pulumi-providers-'));
  settings = {
    binary: pulumiBinary(),
    backendUrl: `file://${join(scratch, 'backend')}`,
    passphrase: 'test',
    stateDir: scratch,
  };
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A stack whose config can be changed between operations, as a redeclared Capstan stack would be. */
async function programStack(
  program: CapstanProgram,
  stackName: string,
  initial: unknown,
): Promise<{ stack: Stack; configure(config: unknown): void }> {
  let config = program.configSchema.parse(initial);
  const address = { project: `capstan-${program.name}`, stack: stackName };
  const stack = await openStack(settings, address, async () => program.run(config as never, address));
  return {
    stack,
    configure: (next) => {
      config = program.configSchema.parse(next);
    },
  };
}

/** What a (refresh) preview found per resource, as `op type` strings; a refresh's verdict is on the outputs event. */
function stepCollector(): { onEvent(event: EngineEvent): void; steps: string[] } {
  const steps: string[] = [];
  return {
    steps,
    onEvent(event) {
      const meta = event.resOutputsEvent?.metadata;
      if (meta && meta.op !== 'same' && meta.type !== 'pulumi:pulumi:Stack') steps.push(`${meta.op} ${meta.type}`);
    },
  };
}

/** One connection to the test server (or to `url`) for `work`. */
function admin<T>(work: (client: Client) => Promise<T>, url = testDatabaseAdminUrl()): Promise<T> {
  return withAdmin(url, work);
}

async function roleInfo(name: string): Promise<{ oid: number; secret: string } | undefined> {
  return admin(
    async (c) =>
      (
        await c.query(
          'SELECT oid::int AS oid, rolpassword AS secret FROM pg_authid WHERE rolname = $1 AND rolcanlogin',
          [name],
        )
      ).rows[0],
  );
}

async function databaseOwner(name: string): Promise<string | undefined> {
  return admin(
    async (c) =>
      (await c.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [name])).rows[0]
        ?.owner,
  );
}

/** Pulumi's marker key of a secret value in a state file. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function isAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('postgres-database program', () => {
  test(
    'up creates a role and database; password and owner change in place; a new name replaces; drift is seen; destroy drops all',
    { timeout: 300_000 },
    async () => {
      const suffix = randomBytes(3).toString('hex');
      const names = {
        db1: `capstan_app_${suffix}`,
        db2: `capstan_app2_${suffix}`,
        role1: `capstan_owner_${suffix}`,
        role2: `capstan_owner2_${suffix}`,
      };
      const adminUrl = testDatabaseAdminUrl();
      const config = { adminUrl, database: names.db1, role: names.role1, password: `first-${suffix}-pw` };
      const { stack, configure } = await programStack(stackPrograms['postgres-database'], `pg-${suffix}`, config);
      try {
        const up = await stack.up();
        assert.deepEqual(up.summary.resourceChanges, { create: 3 });
        assert.equal(up.outputs.connectionString?.secret, true, 'the connection string is a Pulumi secret');
        assert.equal(up.outputs.database?.value, names.db1);
        assert.equal(up.outputs.role?.value, names.role1);
        assert.equal(await databaseOwner(names.db1), names.role1);
        const role = await roleInfo(names.role1);
        assert.ok(role && scramIsFor(role.secret, config.password), 'the role has the configured password');
        // The output is usable as is: a client logs in as the new role into the new database.
        const connectionString = up.outputs.connectionString!.value as string;
        const who = await admin(
          async (c) => (await c.query('SELECT current_user AS u, current_database() AS d')).rows[0],
          connectionString,
        );
        assert.deepEqual(who, { u: names.role1, d: names.db1 });
        // exportStack shows secrets decrypted, each marked as a secret; the backend's files hold only ciphertext.
        const resources: Array<{ type: string; outputs: Record<string, unknown> }> = (await stack.exportStack())
          .deployment.resources;
        const roleState = resources.find((r) => r.type === 'pulumi-nodejs:dynamic/postgres:Role');
        const databaseState = resources.find((r) => r.type === 'pulumi-nodejs:dynamic/postgres:Database');
        assert.ok(roleState && databaseState, resources.map((r) => r.type).join());
        for (const secret of [roleState.outputs.password, roleState.outputs.adminUrl, databaseState.outputs.adminUrl]) {
          assert.equal(
            typeof secret === 'object' && secret !== null && SECRET_SIG in secret,
            true,
            'outputs of secret inputs stay secret',
          );
        }
        const stored = filesUnder(join(scratch, 'backend'))
          .map((file) => readFileSync(file, 'utf8'))
          .join('\n');
        assert.ok(stored.includes(names.db1), 'the state was found');
        assert.ok(!stored.includes(config.password) && !stored.includes(adminUrl), 'no secret is stored in plain text');

        // A table the role owns shows the database survives the updates below.
        await admin((c) => c.query('CREATE TABLE kept (id int)'), connectionString);

        configure({ ...config, password: `second-${suffix}-pw` });
        const passwordUp = await stack.up();
        assert.deepEqual(passwordUp.summary.resourceChanges, { same: 2, update: 1 });
        const rolled = await roleInfo(names.role1);
        assert.equal(rolled?.oid, role.oid, 'the same role, updated in place');
        assert.ok(scramIsFor(rolled.secret, `second-${suffix}-pw`));

        configure({ ...config, password: `second-${suffix}-pw`, role: names.role2 });
        const ownerUp = await stack.up();
        assert.deepEqual(ownerUp.summary.resourceChanges, { same: 1, replace: 1, update: 1 });
        assert.equal(await databaseOwner(names.db1), names.role2, 'the database changed owner in place');
        assert.equal(await roleInfo(names.role1), undefined, 'the replaced role is dropped');
        const db1Url = new URL(adminUrl);
        db1Url.pathname = `/${names.db1}`;
        assert.deepEqual(
          await admin(
            async (c) =>
              (await c.query(`SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'kept'`)).rows,
            db1Url.toString(),
          ),
          [{ owner: names.role2 }],
          'the table survived and belongs to the new owner',
        );

        configure({ ...config, password: `second-${suffix}-pw`, role: names.role2, database: names.db2 });
        const renameUp = await stack.up();
        assert.deepEqual(renameUp.summary.resourceChanges, { same: 2, replace: 1 });
        assert.equal(await databaseOwner(names.db1), undefined, 'the old database is gone');
        assert.equal(await databaseOwner(names.db2), names.role2);

        // By hand: the database dropped, the password changed. A refresh preview reads both from the
        // server; an up with refresh brings the database back and sets the password again.
        await admin((c) => c.query(`DROP DATABASE ${names.db2}`));
        await admin((c) => c.query(`ALTER ROLE ${names.role2} PASSWORD 'changed-by-hand'`));
        const drift = stepCollector();
        await stack.previewRefresh({ onEvent: drift.onEvent });
        assert.deepEqual(drift.steps.sort(), [
          'delete pulumi-nodejs:dynamic/postgres:Database',
          'update pulumi-nodejs:dynamic/postgres:Role',
        ]);
        const healed = await stack.up({ refresh: true });
        assert.deepEqual(healed.summary.resourceChanges, { same: 1, create: 1, update: 1 });
        assert.equal(await databaseOwner(names.db2), names.role2);
        assert.ok(
          scramIsFor((await roleInfo(names.role2))!.secret, `second-${suffix}-pw`),
          'the configured password is back',
        );

        // A client still connected does not stop the destroy.
        const lingering = new Client({ connectionString: renameUp.outputs.connectionString!.value as string });
        await lingering.connect();
        lingering.on('error', () => undefined);
        const destroy = await stack.destroy();
        assert.deepEqual(destroy.summary.resourceChanges, { delete: 3 });
        await lingering.end().catch(() => undefined);
        assert.equal(await databaseOwner(names.db2), undefined);
        assert.equal(await roleInfo(names.role2), undefined);
      } finally {
        await stack.destroy().catch(() => undefined);
      }
    },
  );
});

describe('local files', () => {
  test(
    'mode and content change in place, a new path replaces, a file removed by hand is gone, destroy removes the tree',
    { timeout: 120_000 },
    async () => {
      const root = join(scratch, 'files');
      let spec = { file: 'a.txt', content: 'one', mode: '600' };
      const stack = await openStack(settings, { project: 'capstan-files', stack: 'files' }, async () => {
        const dir = new Directory('dir', { path: root, mode: '750' });
        const file = new File('file', {
          path: dir.path.apply((path) => join(path, spec.file)),
          content: spec.content,
          mode: spec.mode,
        });
        return { file: file.path };
      });
      const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);
      try {
        assert.deepEqual((await stack.up()).summary.resourceChanges, { create: 3 });
        assert.equal(modeOf(root), '750');
        assert.equal(modeOf(join(root, 'a.txt')), '600');
        assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'one');

        spec = { file: 'a.txt', content: 'two', mode: '640' };
        assert.deepEqual((await stack.up()).summary.resourceChanges, { same: 2, update: 1 });
        assert.equal(modeOf(join(root, 'a.txt')), '640');
        assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'two');

        spec = { ...spec, file: 'b.txt' };
        assert.deepEqual((await stack.up()).summary.resourceChanges, { same: 2, replace: 1 });
        assert.ok(!existsSync(join(root, 'a.txt')) && readFileSync(join(root, 'b.txt'), 'utf8') === 'two');

        rmSync(join(root, 'b.txt'));
        const drift = stepCollector();
        await stack.previewRefresh({ onEvent: drift.onEvent });
        assert.deepEqual(drift.steps, ['delete pulumi-nodejs:dynamic/local:File']);

        assert.deepEqual((await stack.destroy()).summary.resourceChanges, { delete: 3 });
        assert.ok(!existsSync(root));
      } finally {
        await stack.destroy().catch(() => undefined);
      }
    },
  );
});

describe('local-site program', () => {
  test(
    'serves the message; hand edits and a killed server are drift; a new message updates in place, a new port restarts; destroy removes all',
    { timeout: 300_000 },
    async () => {
      const dir = join(scratch, 'site');
      const [port1, port2] = [await freePort(), await freePort()];
      const { stack, configure } = await programStack(stackPrograms['local-site'], 'site', {
        dir,
        message: 'hello from capstan',
        port: port1,
      });
      const page = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/`)).text();
      let pid = 0;
      try {
        const up = await stack.up();
        assert.deepEqual(up.summary.resourceChanges, { create: 4 });
        assert.equal(up.outputs.url?.value, `http://127.0.0.1:${port1}/`);
        assert.equal(up.outputs.path?.value, dir);
        assert.match(await page(port1), /<p>hello from capstan<\/p>/);
        pid = up.outputs.pid!.value as number;
        assert.ok(isAlive(pid));

        // Edited and killed by hand: the refresh preview reads both from the machine.
        writeFileSync(join(dir, 'index.html'), 'defaced');
        process.kill(-pid, 'SIGKILL');
        await waitFor('the killed server to die', () => !isAlive(pid));
        const drift = stepCollector();
        await stack.previewRefresh({ onEvent: drift.onEvent });
        assert.deepEqual(drift.steps.sort(), [
          'delete pulumi-nodejs:dynamic/local:Process',
          'update pulumi-nodejs:dynamic/local:File',
        ]);

        await stack.refresh();
        configure({ dir, message: 'second message', port: port1 });
        const messageUp = await stack.up();
        assert.deepEqual(messageUp.summary.resourceChanges, { same: 2, update: 1, create: 1 });
        assert.match(await page(port1), /<p>second message<\/p>/);
        pid = messageUp.outputs.pid!.value as number;

        configure({ dir, message: 'second message', port: port2 });
        const portUp = await stack.up();
        assert.deepEqual(portUp.summary.resourceChanges, { same: 3, replace: 1 });
        assert.ok(!isAlive(pid), 'the replaced server was stopped');
        pid = portUp.outputs.pid!.value as number;
        assert.match(await page(port2), /second message/);

        const destroy = await stack.destroy();
        assert.deepEqual(destroy.summary.resourceChanges, { delete: 4 });
        assert.ok(!isAlive(pid), 'the server is stopped');
        assert.ok(!existsSync(dir), 'the directory is removed');
        await assert.rejects(fetch(`http://127.0.0.1:${port2}/`));
      } finally {
        await stack.destroy().catch(() => undefined);
      }
    },
  );
});
