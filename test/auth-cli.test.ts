/** The command line with tokens: every verb sends one, refusals are clear, and tokens are managed through the API or the database. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestStack, type TestStack } from './helpers/test-stack';

const CLI = join(__dirname, '..', 'cli', 'capstan.js');
let stack: TestStack;
before(async () => {
  stack = await startTestStack({ startWorkersFor: [] });
});
after(async () => {
  await stack?.stop();
});

function capstan(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const base: NodeJS.ProcessEnv = { ...process.env, CAPSTAN_API_URL: stack.baseUrl };
    delete base.CAPSTAN_TOKEN;
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...base, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

test(
  'token create, list and revoke through the API as an admin (CAPSTAN_TOKEN or --token)',
  { timeout: 60_000 },
  async () => {
    const created = await capstan(
      ['token', 'create', '--principal', 'ci', '--role', 'operator', '--expires-in', '30d'],
      { CAPSTAN_TOKEN: stack.adminToken },
    );
    assert.equal(created.code, 0, created.err);
    const secret = created.out.trim();
    assert.match(secret, /^cap_[\w-]{43}$/, 'stdout is the token alone');
    const id = /created token (tok_[\w-]+) for ci \(operator\), expires (\S+);/.exec(created.err)?.[1];
    assert.ok(id, created.err);
    assert.equal(
      (await stack.request('GET', '/v1/runs', undefined, { authorization: `Bearer ${secret}` })).status,
      200,
    );

    const listed = await capstan(['token', 'list', '--token', stack.adminToken]);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, new RegExp(`${id}  ci  operator  active`));
    assert.ok(!listed.out.includes(secret.slice(4)), 'no secret in the list');

    const revoked = await capstan(['token', 'revoke', id, '--token', stack.adminToken]);
    assert.equal(revoked.code, 0, revoked.err);
    assert.match(revoked.out, new RegExp(`revoked ${id}`));
    assert.equal(
      (await stack.request('GET', '/v1/runs', undefined, { authorization: `Bearer ${secret}` })).status,
      401,
    );

    const bad = await capstan(['token', 'create', '--role', 'root', '--expires-in', 'soon'], {
      CAPSTAN_TOKEN: stack.adminToken,
    });
    assert.equal(bad.code, 2);
    assert.match(
      bad.err,
      /--principal NAME is required; --role must be one of viewer, operator, admin; --expires-in "soon" is not a duration/,
    );
  },
);

test('every verb sends the token; 401 and 403 are said clearly and exit 3', { timeout: 60_000 }, async () => {
  const file = join(stack.dataDir, 'task.yaml');
  writeFileSync(file, 'nodeClass: a\ncommand: "true"\n');
  const none = await capstan(['run', file]);
  assert.equal(none.code, 3);
  assert.match(none.err, /the API needs a token: set CAPSTAN_TOKEN or pass --token/);
  const wrong = await capstan(['status', 'task-x'], { CAPSTAN_TOKEN: 'cap_wrong' });
  assert.equal(wrong.code, 3);
  assert.match(wrong.err, /the API refused the token: the token is not known/);

  const viewer = await stack.mintToken('viewer');
  const refused = await capstan(['run', file], { CAPSTAN_TOKEN: viewer.token });
  assert.equal(refused.code, 3);
  assert.match(refused.err, /the token may not do this: this request needs the operator role/);

  const operator = await stack.mintToken('operator', { principal: 'cli-user' });
  const started = await capstan(['run', file], { CAPSTAN_TOKEN: operator.token });
  assert.equal(started.code, 0, started.err);
  const runId = /started (\S+)/.exec(started.out)?.[1];
  const status = await capstan(['status', runId!], { CAPSTAN_TOKEN: viewer.token });
  assert.equal(status.code, 0, status.err);
  assert.equal(JSON.parse(status.out).startedBy, 'cli-user');
  const cancel = await capstan(['cancel', runId!], { CAPSTAN_TOKEN: operator.token });
  assert.equal(cancel.code, 0, cancel.err);
  const noTokenCancel = await capstan(['cancel', runId!]);
  assert.equal(noTokenCancel.code, 3);
  const retry = await capstan(['retry', runId!, '--token', viewer.token]);
  assert.equal(retry.code, 3);
});

test(
  'with --database-url a token is made without the API, for when every admin token is lost',
  { timeout: 60_000 },
  async () => {
    const made = await capstan([
      'token',
      'create',
      '--principal',
      'rescue',
      '--role',
      'admin',
      '--database-url',
      stack.databaseUrl,
      '--api',
      'http://127.0.0.1:9',
    ]);
    assert.equal(made.code, 0, made.err);
    const secret = made.out.trim();
    const listed = await stack.request('GET', '/v1/tokens', undefined, { authorization: `Bearer ${secret}` });
    assert.equal(listed.status, 200, 'the new token is an admin token of the running API');
    const rescue = listed.body.tokens.find((t: any) => t.principal === 'rescue');
    assert.match(rescue.createdBy, /capstan token create --database-url/);
  },
);
