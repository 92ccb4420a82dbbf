/**
 * Webhooks end to end on a real stack: a fixture git repository registered as a GitHub and as a
 * GitLab repository, signed deliveries that start (and redeliveries that do not restart) runs,
 * refused deliveries that start nothing, the registry hiding its secrets, and the audit log.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';
import { gitIn } from './helpers/git';

const GITHUB_SECRET = 'github-secret-0123456789';
const GITLAB_SECRET = 'gitlab-token-0123456789';
let stack: TestStack;
let repo: string;
let mainSha: string;
let brokenSha: string;
let bareSha: string;
/** A local server standing in for GitHub's API: it records the commit statuses Capstan sends. */
let forge: Server;
let forgeUrl: string;
const statuses: Array<{ path: string; authorization?: string; body: any }> = [];

function git(...args: string[]): string {
  return gitIn(repo, ...args);
}

function commit(message: string): string {
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
}

before(async () => {
  forge = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on('end', () => {
      statuses.push({
        path: `${req.method} ${req.url}`,
        authorization: req.headers.authorization,
        body: JSON.parse(text),
      });
      res.writeHead(201, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => forge.listen(0, '127.0.0.1', r));
  forgeUrl = `http://127.0.0.1:${(forge.address() as AddressInfo).port}`;
  stack = await startTestStack({ startWorkersFor: ['a'] });
  repo = mkdtempSync(join(tmpdir(), 'capstan-webhook-repo-'));
  git('init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: hooks
on: { push: { branches: [main] } }
jobs:
  build:
    runs-on: a
    steps:
      - run: echo "built $CAPSTAN_SHA on $CAPSTAN_BRANCH for $CAPSTAN_TRIGGERED_BY"
`,
  );
  mainSha = commit('pipeline');
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: hooks
on: { push: { branches: ['**'] } }
jobs:
  build:
    runs-on: nowhere
    steps:
      - run: echo never
`,
  );
  brokenSha = commit('a pipeline on an unknown node class');
  rmSync(join(repo, '.capstan'), { recursive: true });
  bareSha = commit('no pipeline at all');
});

after(async () => {
  await stack?.stop();
  await new Promise((r) => forge?.close(r));
  if (repo) rmSync(repo, { recursive: true, force: true });
});

const sign = (body: string, secret = GITHUB_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const githubPush = (sha: string, ref = 'refs/heads/main', name = 'acme/web') =>
  JSON.stringify({
    ref,
    before: '1'.repeat(40),
    after: sha,
    repository: { full_name: name },
    sender: { login: 'alice' },
  });

/** Posts a delivery without a bearer token; `headers` are sent as given. */
function deliver(forge: 'github' | 'gitlab', body: string, headers: Record<string, string>) {
  return stack.request('POST', `/v1/webhooks/${forge}`, body, { authorization: '', ...headers });
}

/** A body as GitHub's form content type sends it: `payload=` and the JSON, URL-encoded (spaces as +). */
const formBody = (json: string) => new URLSearchParams({ payload: json }).toString();

function github(event: string, delivery: string, body: string, signature = sign(body)) {
  return deliver('github', body, {
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': delivery,
    'X-Hub-Signature-256': signature,
  });
}

let firstRunId: string;

test('the registry: register (201), a duplicate (409), bad fields named (400), admin only, secrets never listed', async () => {
  const created = await stack.request('POST', '/v1/repositories', {
    name: 'acme/web',
    provider: 'github',
    cloneUrl: repo,
    webhookSecret: GITHUB_SECRET,
    statusApiUrl: forgeUrl,
    statusToken: 'ghp_status_token',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(
    { ...created.body, createdAt: undefined, schedule: undefined },
    {
      name: 'acme/web',
      provider: 'github',
      cloneUrl: repo,
      pipelinePath: '.capstan/pipeline.yaml',
      webhookSecretSet: true,
      statusApiUrl: forgeUrl,
      statusTokenSet: true,
      createdAt: undefined,
      createdBy: 'test-admin',
      schedule: undefined,
    },
  );
  // The default branch's head has no pipeline file, so there is no schedule to set.
  assert.deepEqual(created.body.schedule, {
    id: `${stack.prefix}-pipeline-acme/web`,
    outcome: 'absent',
    reason: `.capstan/pipeline.yaml does not exist at ${bareSha.slice(0, 12)}`,
  });
  const gitlab = await stack.request('POST', '/v1/repositories', {
    name: 'group/sub/web',
    provider: 'gitlab',
    cloneUrl: repo,
    webhookSecret: GITLAB_SECRET,
  });
  assert.equal(gitlab.status, 201, JSON.stringify(gitlab.body));
  assert.equal(gitlab.body.statusTokenSet, false);

  const again = await stack.request('POST', '/v1/repositories', {
    name: 'Acme/Web',
    provider: 'github',
    cloneUrl: repo,
    webhookSecret: GITHUB_SECRET,
  });
  assert.equal(again.status, 409);
  assert.deepEqual(again.body.error.details, [{ field: 'name', message: 'is registered already' }]);

  const bad = await stack.request('POST', '/v1/repositories', {
    name: 'web',
    provider: 'bitbucket',
    cloneUrl: repo,
    webhookSecret: 'short',
    statusApiUrl: 'ftp://x',
    pipelinePath: '../p.yaml',
    extra: 1,
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.details.map((d: any) => d.field).sort(), [
    'extra',
    'name',
    'pipelinePath',
    'provider',
    'statusApiUrl',
    'webhookSecret',
  ]);
  assert.match(JSON.stringify(bad.body.error.details), /webhookSecret.*at least 16 characters/);
  const halfStatus = await stack.request('POST', '/v1/repositories', {
    name: 'acme/half',
    provider: 'github',
    cloneUrl: repo,
    webhookSecret: GITHUB_SECRET,
    statusApiUrl: 'https://api.github.com',
  });
  assert.deepEqual(halfStatus.body.error.details, [{ field: 'statusToken', message: 'is needed with statusApiUrl' }]);

  const operator = await stack.mintToken('operator');
  const refused = await stack.request('GET', '/v1/repositories', undefined, {
    authorization: `Bearer ${operator.token}`,
  });
  assert.equal(refused.status, 403);

  const listed = await stack.request('GET', '/v1/repositories');
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.repositories.map((r: any) => [r.name, r.provider, r.webhookSecretSet, r.statusTokenSet]),
    [
      ['acme/web', 'github', true, true],
      ['group/sub/web', 'gitlab', true, false],
    ],
  );
  const text = JSON.stringify(listed.body);
  for (const secret of [GITHUB_SECRET, GITLAB_SECRET, 'ghp_status_token'])
    assert.ok(!text.includes(secret), `the list shows ${secret}`);
});

test(
  'a signed push to main starts a run that completes; the same delivery again answers the same run and starts nothing',
  { timeout: 180_000 },
  async () => {
    const before = await stack.countRuns();
    const body = githubPush(mainSha);
    const started = await github('push', 'delivery-1', body);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.started, true);
    assert.equal(started.body.created, true);
    assert.deepEqual(
      [started.body.event, started.body.repository, started.body.sha, started.body.branch],
      ['push', 'acme/web', mainSha, 'main'],
    );
    firstRunId = started.body.runId;
    const run = await waitForRunEnd(stack, encodeURIComponent(firstRunId), 120_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    assert.equal(run.startedBy, 'webhook:github');
    assert.deepEqual(run.pipeline.trigger, {
      event: 'push',
      repository: 'acme/web',
      cloneUrl: repo,
      sha: mainSha,
      branch: 'main',
      deliveryId: 'delivery-1',
      triggeredBy: 'github:alice',
    });
    const log = await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(firstRunId)}/jobs/build/steps/0/log`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    assert.match(await log.text(), new RegExp(`built ${mainSha} on main for github:alice`));
    assert.equal(await stack.countRuns(), before + 1);
    // The forge heard pending when the run began and success when it ended, for the pushed commit; and so for its job.
    assert.deepEqual(
      statuses.map((s) => [s.path, s.authorization, s.body.state, s.body.context]),
      [
        [`POST /repos/acme/web/statuses/${mainSha}`, 'Bearer ghp_status_token', 'pending', 'capstan/hooks'],
        [`POST /repos/acme/web/statuses/${mainSha}`, 'Bearer ghp_status_token', 'pending', 'capstan/hooks/build'],
        [`POST /repos/acme/web/statuses/${mainSha}`, 'Bearer ghp_status_token', 'success', 'capstan/hooks/build'],
        [`POST /repos/acme/web/statuses/${mainSha}`, 'Bearer ghp_status_token', 'success', 'capstan/hooks'],
      ],
    );
    assert.equal(run.pipeline.commitStatus, 'reported success');

    const redelivered = await github('push', 'delivery-1', body);
    assert.equal(redelivered.status, 202, JSON.stringify(redelivered.body));
    assert.deepEqual(
      [redelivered.body.started, redelivered.body.runId, redelivered.body.created],
      [true, firstRunId, false],
    );
    assert.equal(redelivered.headers.get('idempotent-replayed'), 'true');
    assert.equal(await stack.countRuns(), before + 1, 'a redelivery starts no run');
  },
);

test('an unknown repository and a missing, malformed or wrong signature get one 401, and start nothing', async () => {
  const before = await stack.countRuns();
  const body = githubPush(mainSha);
  const tampered = body.replace('alice', 'mallory');
  const unknown = githubPush(mainSha, 'refs/heads/main', 'acme/other');
  const cases: Array<[string, Record<string, string>, string]> = [
    ['unknown repository', { 'X-Hub-Signature-256': sign(unknown) }, unknown],
    ['unknown repository, unsigned', {}, unknown],
    ['an unregistrable name', { 'X-Hub-Signature-256': sign(body) }, githubPush(mainSha, undefined, 'acme/\u0000web')],
    ['tampered body', { 'X-Hub-Signature-256': sign(body) }, tampered],
    ['wrong secret', { 'X-Hub-Signature-256': sign(body, 'another-secret-0123456789') }, body],
    ['missing header', {}, body],
    ['malformed header', { 'X-Hub-Signature-256': 'sha1=abc' }, body],
  ];
  const answers = [];
  for (const [what, signature, sent] of cases) {
    const answer = await deliver('github', sent, {
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': `unsigned-${what}`,
      ...signature,
    });
    assert.equal(answer.status, 401, what);
    answers.push(answer.body);
  }
  // Nothing in the answer tells a registered name from an unknown one.
  for (const [index, answer] of answers.entries()) assert.deepEqual(answer, answers[0], cases[index]![0]);
  assert.equal(answers[0].error.code, 'invalid_signature');
  assert.match(answers[0].error.message, /not signed with the webhook secret of a registered github repository/);
  assert.equal(answers[0].error.details[0].field, 'X-Hub-Signature-256');

  const gitlabPush = (name: string) =>
    JSON.stringify({ ref: 'refs/heads/main', after: mainSha, project: { path_with_namespace: name } });
  const gitlab = async (name: string, token: string) =>
    deliver('gitlab', gitlabPush(name), {
      'X-Gitlab-Event': 'Push Hook',
      'X-Gitlab-Event-UUID': 'gl-unsigned',
      'X-Gitlab-Token': token,
    });
  const wrongToken = await gitlab('group/sub/web', `${GITLAB_SECRET}x`);
  assert.equal(wrongToken.status, 401);
  assert.match(wrongToken.body.error.message, /not signed with the webhook secret of a registered gitlab repository/);
  assert.deepEqual((await gitlab('group/sub/other', GITLAB_SECRET)).body, wrongToken.body, 'an unknown GitLab project');
  const asGithub = await gitlab('acme/web', GITHUB_SECRET);
  assert.deepEqual(asGithub.body, wrongToken.body, 'a GitHub repository takes no GitLab deliveries');
  assert.equal(await stack.countRuns(), before);
});

test('malformed JSON 400, a body of another type 415, a ping 200', async () => {
  const malformed = await github('push', 'd-malformed', '{"ref": ');
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, 'malformed_json');
  const noName = await github('push', 'd-noname', JSON.stringify({ ref: 'refs/heads/main', after: mainSha }));
  assert.equal(noName.status, 400);
  assert.equal(noName.body.error.details[0].field, 'repository');
  const text = await deliver('github', '{}', { 'Content-Type': 'text/plain' });
  assert.equal(text.status, 415);
  const accepted = 'must be application/json or application/x-www-form-urlencoded';
  assert.deepEqual(text.body.error.details, [{ field: 'Content-Type', message: accepted }]);
  const form = formBody(githubPush(mainSha, 'refs/heads/main', 'group/sub/web'));
  const gitlabForm = await deliver('gitlab', form, {
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Gitlab-Event': 'Push Hook',
    'X-Gitlab-Token': GITLAB_SECRET,
  });
  assert.equal(gitlabForm.status, 415, 'GitLab always sends JSON');
  const ping = await github(
    'ping',
    'd-ping',
    JSON.stringify({ zen: 'Keep it logically awesome.', repository: { full_name: 'acme/web' } }),
  );
  assert.equal(ping.status, 200);
  assert.deepEqual(ping.body, { pong: true, repository: 'acme/web' });
  const noDelivery = await deliver('github', githubPush(mainSha), {
    'X-GitHub-Event': 'push',
    'X-Hub-Signature-256': sign(githubPush(mainSha)),
  });
  assert.equal(noDelivery.status, 400);
  assert.equal(noDelivery.body.error.details[0].field, 'X-GitHub-Delivery');
});

test("an organization hook's ping signed with its repositories' secret is 200, any other the one 401", async () => {
  // What GitHub sends when an organization hook is created: the organization, no repository.
  const orgPing = (login: string) =>
    JSON.stringify({
      zen: 'Approachable is better than simple.',
      hook_id: 7,
      hook: { type: 'Organization', id: 7, events: ['push'] },
      organization: { login, id: 42 },
      sender: { login: 'alice' },
    });
  const pong = await github('ping', 'org-ping', orgPing('Acme'));
  assert.equal(pong.status, 200, JSON.stringify(pong.body));
  assert.deepEqual(pong.body, { pong: true, organization: 'Acme' });
  // As a form, the content type GitHub gives a new hook by default.
  const formPong = await deliver('github', formBody(orgPing('acme')), {
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-GitHub-Event': 'ping',
    'X-GitHub-Delivery': 'org-ping-form',
    'X-Hub-Signature-256': sign(formBody(orgPing('acme'))),
  });
  assert.deepEqual([formPong.status, formPong.body], [200, { pong: true, organization: 'acme' }]);

  const refusals = [
    await github('ping', 'org-ping-wrong', orgPing('acme'), sign(orgPing('acme'), 'another-secret-0123456789')),
    await deliver('github', orgPing('acme'), { 'X-GitHub-Event': 'ping', 'X-GitHub-Delivery': 'org-ping-unsigned' }),
    // No repository of that organization is registered, so no secret can vouch for its hook.
    await github('ping', 'org-ping-other', orgPing('globex')),
  ];
  const repositoryRefusal = await github('push', 'org-compare', githubPush(mainSha, 'refs/heads/main', 'acme/other'));
  for (const answer of refusals) assert.deepEqual([answer.status, answer.body], [401, repositoryRefusal.body]);

  const { body } = await stack.request('GET', '/v1/audit?principal=webhook:github&limit=500');
  const rows = body.entries.filter((e: any) => e.requestId.startsWith('org-ping'));
  assert.deepEqual(rows.map((e: any) => [e.requestId, e.action, e.tokenId, e.target, e.status]).sort(), [
    ['org-ping', 'webhook.ping', 'webhook:org:Acme', 'Acme', 200],
    ['org-ping-form', 'webhook.ping', 'webhook:org:acme', 'acme', 200],
  ]);
});

test('a form-encoded push signed as sent starts the run; tampered, it is refused', { timeout: 180_000 }, async () => {
  const before = await stack.countRuns();
  const form = formBody(githubPush(mainSha).replace('alice', 'dora'));
  // GitHub's default content type for a new hook.
  const post = (sent: string, delivery: string) =>
    deliver('github', sent, {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': delivery,
      'X-Hub-Signature-256': sign(form),
    });
  const tampered = form.replace('dora', 'mallory');
  const refused = await post(tampered, 'form-tampered');
  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, 'invalid_signature');
  // Re-encoding the same payload (lower-case escapes) changes the bytes, so the signature no longer holds either.
  const reencoded = form.replaceAll('%3A', '%3a');
  assert.notEqual(reencoded, form);
  const reencodedAnswer = await post(reencoded, 'form-reencoded');
  assert.equal(reencodedAnswer.status, 401);
  assert.equal(await stack.countRuns(), before, 'a refused delivery starts nothing');

  const started = await post(form, 'form-1');
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const { body } = started;
  assert.deepEqual([body.started, body.created, body.sha, body.branch], [true, true, mainSha, 'main']);
  const run = await waitForRunEnd(stack, encodeURIComponent(started.body.runId), 120_000);
  assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
  assert.deepEqual([run.pipeline.trigger.deliveryId, run.pipeline.trigger.triggeredBy], ['form-1', 'github:dora']);
  assert.equal(await stack.countRuns(), before + 1);
});

test('deliveries that start nothing answer 202 with the reason: another branch, a tag of a branches-only filter, a deleted branch, a pull request, other events', async () => {
  const before = await stack.countRuns();
  const cases: Array<[string, string, RegExp]> = [
    ['push', githubPush(mainSha, 'refs/heads/dev'), /branch "dev" matches none of main/],
    ['push', githubPush(mainSha, 'refs/tags/v1.0'), /tag "v1\.0": the pipeline's push filters name branches only/],
    ['push', githubPush('0'.repeat(40), 'refs/heads/old'), /branch old was deleted/],
    [
      'pull_request',
      JSON.stringify({
        action: 'opened',
        pull_request: { head: { sha: mainSha, ref: 'feature' }, base: { ref: 'main' } },
        repository: { full_name: 'acme/web' },
        sender: { login: 'bob' },
      }),
      /pipeline does not trigger on pull_request/,
    ],
    [
      'pull_request',
      JSON.stringify({ action: 'closed', pull_request: {}, repository: { full_name: 'acme/web' } }),
      /action "closed" does not start pipelines/,
    ],
    [
      'issues',
      JSON.stringify({ action: 'opened', repository: { full_name: 'acme/web' } }),
      /event "issues" does not start pipelines/,
    ],
    [
      'push',
      githubPush(bareSha, 'refs/heads/main'),
      new RegExp(`commit ${bareSha} has no pipeline file at \\.capstan/pipeline\\.yaml`),
    ],
  ];
  for (const [index, [event, body, reason]] of cases.entries()) {
    const answer = await github(event, `ignored-${index}`, body);
    assert.equal(answer.status, 202, `${event} ${body}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.started, false);
    assert.match(answer.body.reason, reason);
  }
  assert.equal(await stack.countRuns(), before);
});

test('a pipeline file that is not valid at the pushed commit is 422 with every issue', async () => {
  const answer = await github('push', 'd-broken', githubPush(brokenSha, 'refs/heads/feature/x'));
  assert.equal(answer.status, 422, JSON.stringify(answer.body));
  assert.equal(answer.body.error.code, 'invalid_pipeline');
  assert.match(answer.body.error.message, /\.capstan\/pipeline\.yaml:5:\d+: jobs\.build\.runs-on: .*nowhere/);
  assert.equal(answer.body.error.details[0].field, 'jobs.build.runs-on');
});

test(
  'a GitLab push with the right X-Gitlab-Token starts a run as its user; a redelivery (same Idempotency-Key) starts nothing',
  { timeout: 120_000 },
  async () => {
    const before = await stack.countRuns();
    const body = JSON.stringify({
      object_kind: 'push',
      ref: 'refs/heads/main',
      after: mainSha,
      user_username: 'carol',
      project: { path_with_namespace: 'group/sub/web' },
    });
    const headers = {
      'X-Gitlab-Event': 'Push Hook',
      'X-Gitlab-Token': GITLAB_SECRET,
      'Idempotency-Key': 'gl-key-1',
      'X-Gitlab-Event-UUID': 'gl-event-1',
    };
    const started = await deliver('gitlab', body, headers);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.created, true);
    assert.notEqual(started.body.runId, firstRunId);
    const run = await waitForRunEnd(stack, encodeURIComponent(started.body.runId), 90_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    assert.equal(run.startedBy, 'webhook:gitlab');
    assert.equal(run.pipeline.trigger.triggeredBy, 'gitlab:carol');
    assert.equal(run.pipeline.trigger.repository, 'group/sub/web');
    const again = await deliver('gitlab', body, headers);
    assert.deepEqual([again.status, again.body.runId, again.body.created], [202, started.body.runId, false]);
    assert.equal(await stack.countRuns(), before + 1);
  },
);

test('every verified delivery has an audit row (delivery id as request id, the run or repository as target); unsigned ones none', async () => {
  const { body } = await stack.request('GET', '/v1/audit?principal=webhook:github&limit=500');
  const byDelivery = new Map<string, any[]>();
  for (const entry of body.entries)
    byDelivery.set(entry.requestId, [...(byDelivery.get(entry.requestId) ?? []), entry]);
  const started = byDelivery.get('delivery-1')!;
  assert.equal(started.length, 2, 'the delivery and its redelivery');
  for (const entry of started) {
    assert.deepEqual(
      [entry.action, entry.method, entry.path, entry.target, entry.outcome, entry.status, entry.tokenId],
      ['webhook.push', 'POST', '/v1/webhooks/github', firstRunId, 'succeeded', 202, 'webhook:acme/web'],
    );
  }
  const ignored = byDelivery.get('ignored-0')![0];
  assert.deepEqual([ignored.action, ignored.target, ignored.status], ['webhook.push', 'acme/web', 202]);
  assert.deepEqual(
    [byDelivery.get('ignored-3')![0].action, byDelivery.get('ignored-5')![0].action],
    ['webhook.pull_request', 'webhook.other'],
  );
  const broken = byDelivery.get('d-broken')![0];
  assert.deepEqual([broken.outcome, broken.status], ['rejected', 422]);
  const refused = [
    'form-tampered',
    'form-reencoded',
    'org-ping-wrong',
    'org-ping-unsigned',
    'org-ping-other',
    'org-compare',
  ];
  const refusedRows = [...byDelivery.keys()].filter((id) => id.startsWith('unsigned-') || refused.includes(id));
  assert.deepEqual(refusedRows, [], 'refused deliveries leave no row');
  const gitlab = await stack.request('GET', '/v1/audit?principal=webhook:gitlab');
  assert.deepEqual(gitlab.body.entries.map((e: any) => e.requestId).sort(), ['gl-key-1', 'gl-key-1']);
});

test('DELETE /v1/repositories/<owner>/<name> removes a repository; its deliveries are then refused', async () => {
  const removed = await stack.request('DELETE', '/v1/repositories/acme/web');
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  assert.equal(removed.body.name, 'acme/web');
  assert.equal(removed.body.webhookSecret, undefined);
  assert.equal((await stack.request('DELETE', '/v1/repositories/acme/web')).status, 404);
  assert.equal(
    (await stack.request('DELETE', `/v1/repositories/${encodeURIComponent('group/sub/web')}`)).status,
    200,
    'an encoded name works too',
  );
  assert.deepEqual((await stack.request('GET', '/v1/repositories')).body.repositories, []);
  assert.equal((await github('push', 'after-delete', githubPush(mainSha))).status, 401);
  const audit = await stack.request('GET', '/v1/audit?target=acme/web&action=DELETE%20/v1/repositories/acme/web');
  assert.equal(audit.body.entries.length, 2, 'both deletions are audited with the repository as target');
});
