/**
 * The OpenAPI document tells the truth about answers: routes of every capability, called on a real
 * stack, answer only statuses the document lists, with bodies that match the schemas it gives.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { testDatabaseAdminUrl } from './helpers/database';
import { assertDocumentedAnswer } from './helpers/openapi-conformance';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'] });
});
after(async () => {
  await stack?.stop();
});

/** Sends a request and checks its answer against the operation at `template`; returns the answer. */
async function call(method: string, path: string, template: string, body?: unknown, headers?: Record<string, string>) {
  const answer = await stack.request(method, path, body, headers);
  assertDocumentedAnswer(method, template, answer.status, answer.body);
  return answer;
}

describe('answers match the OpenAPI document', () => {
  test('tokens, audit and roles', async () => {
    const created = await call('POST', '/v1/tokens', '/v1/tokens', {
      principal: 'docs-viewer',
      role: 'viewer',
      expiresInSeconds: 3600,
    });
    assert.equal(created.status, 201);
    assert.equal((await call('GET', '/v1/tokens', '/v1/tokens')).status, 200);
    const viewer = { authorization: `Bearer ${created.body.token}` };
    assert.equal(
      (await call('POST', '/v1/tasks', '/v1/tasks', { nodeClass: 'a', command: 'true' }, viewer)).status,
      403,
    );
    assert.equal((await call('GET', '/v1/tokens', '/v1/tokens', undefined, viewer)).status, 403);
    assert.equal((await call('DELETE', `/v1/tokens/${created.body.id}`, '/v1/tokens/{id}')).status, 200);
    assert.equal((await call('DELETE', '/v1/tokens/tok_unknown', '/v1/tokens/{id}')).status, 404);
    assert.equal((await call('GET', '/v1/runs', '/v1/runs', undefined, viewer)).status, 401, 'revoked');
    assert.equal((await call('GET', '/v1/audit?limit=5', '/v1/audit')).status, 200);
    assert.equal((await call('GET', '/v1/audit?limit=x', '/v1/audit')).status, 400);
  });

  test('a DAG: start, read, graph as JSON, retry refused', async () => {
    const dag = {
      name: 'documented',
      tasks: [
        { id: 'one', nodeClass: 'a', command: 'true' },
        { id: 'two', nodeClass: 'a', command: 'true', dependsOn: ['one'] },
      ],
    };
    const started = await call('POST', '/v1/dags', '/v1/dags', dag);
    assert.equal(started.status, 202);
    await waitForRunEnd(stack, started.body.runId);
    const path = `/v1/runs/${started.body.runId}`;
    assert.equal((await call('GET', path, '/v1/runs/{id}')).body.kind, 'dag');
    assert.equal((await call('GET', `${path}/graph?format=json`, '/v1/runs/{id}/graph')).body.nodes.length, 2);
    assert.equal((await call('GET', `${path}/graph?format=png`, '/v1/runs/{id}/graph')).status, 400);
    assert.equal((await call('POST', `${path}/retry`, '/v1/runs/{id}/retry')).status, 409);
    assert.equal((await call('GET', `${path}/log`, '/v1/runs/{id}/log')).status, 400, 'a DAG names its task');
    assert.equal((await call('GET', `${path}/tasks/one/log?tail=0`, '/v1/runs/{id}/tasks/{key}/log')).status, 400);
    assert.equal((await call('GET', `${path}/tasks/three/log`, '/v1/runs/{id}/tasks/{key}/log')).status, 404);
    assert.equal((await call('GET', '/v1/runs/none/log', '/v1/runs/{id}/log')).status, 404);
    assert.equal(
      (
        await call('POST', '/v1/dags', '/v1/dags', {
          name: 'cyclic',
          tasks: [{ id: 'x', nodeClass: 'a', command: 'true', dependsOn: ['x'] }],
        })
      ).status,
      400,
    );
  });

  test('stacks: declare, read, refuse, forget', async () => {
    const config = {
      adminUrl: testDatabaseAdminUrl(),
      database: 'app_docs',
      role: 'app_docs',
      password: 'docs-password',
    };
    assert.equal(
      (
        await call('PUT', '/v1/stacks/shop/docs', '/v1/stacks/{project}/{stack}', {
          program: 'postgres-database',
          config,
          labels: { team: 'docs' },
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await call('PUT', '/v1/stacks/shop/docs', '/v1/stacks/{project}/{stack}', {
          program: 'postgres-database',
          config,
        })
      ).status,
      200,
    );
    assert.equal((await call('GET', '/v1/stacks', '/v1/stacks')).body.stacks.length, 1);
    assert.equal(
      (await call('GET', '/v1/stacks/shop/docs', '/v1/stacks/{project}/{stack}')).body.config.password !==
        'docs-password',
      true,
    );
    const operations = '/v1/stacks/{project}/{stack}/operations';
    assert.equal(
      (await call('POST', '/v1/stacks/shop/docs/operations', operations, { operation: 'destroy' })).status,
      400,
    );
    assert.equal(
      (await call('POST', '/v1/stacks/shop/none/operations', operations, { operation: 'preview' })).status,
      404,
    );
    assert.equal(
      (await call('POST', '/v1/stacks/shop/docs/approve', '/v1/stacks/{project}/{stack}/approve', {})).status,
      409,
    );
    assert.equal((await call('DELETE', '/v1/stacks/shop/docs', '/v1/stacks/{project}/{stack}')).status, 200);
    assert.equal((await call('GET', '/v1/stacks/shop/docs', '/v1/stacks/{project}/{stack}')).status, 404);
  });

  test('repositories, webhooks, pipelines and environments', async () => {
    const secret = 'a-webhook-secret-of-some-length';
    const repository = {
      name: 'acme/docs',
      provider: 'github',
      cloneUrl: '/nonexistent/acme-docs',
      webhookSecret: secret,
    };
    assert.equal((await call('POST', '/v1/repositories', '/v1/repositories', repository)).status, 201);
    assert.equal((await call('POST', '/v1/repositories', '/v1/repositories', repository)).status, 409);
    assert.equal((await call('GET', '/v1/repositories', '/v1/repositories')).body.repositories.length, 1);
    const ping = JSON.stringify({
      zen: 'Keep it logically awesome.',
      hook_id: 1,
      repository: { full_name: 'acme/docs' },
    });
    const signature = `sha256=${createHmac('sha256', secret).update(ping).digest('hex')}`;
    const headers = { authorization: '', 'X-GitHub-Event': 'ping', 'X-GitHub-Delivery': 'docs-ping' };
    assert.equal(
      (
        await call('POST', '/v1/webhooks/github', '/v1/webhooks/github', ping, {
          ...headers,
          'X-Hub-Signature-256': signature,
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await call('POST', '/v1/webhooks/github', '/v1/webhooks/github', ping, {
          ...headers,
          'X-Hub-Signature-256': 'sha256=00',
        })
      ).status,
      401,
    );

    const manual = { repository: 'acme/docs', cloneUrl: '/nonexistent/acme-docs', sha: 'a'.repeat(40), branch: 'main' };
    assert.equal((await call('POST', '/v1/pipelines/runs', '/v1/pipelines/runs', manual)).status, 422);
    assert.equal(
      (await call('POST', '/v1/pipelines/runs', '/v1/pipelines/runs', { ...manual, sha: 'main' })).status,
      400,
    );
    assert.equal(
      (await call('POST', '/v1/runs/pipeline-none/approve', '/v1/runs/{id}/approve', { job: 'deploy' })).status,
      404,
    );
    assert.equal(
      (await call('GET', '/v1/runs/pipeline-none/jobs/build/steps/0/log', '/v1/runs/{id}/jobs/{job}/steps/{step}/log'))
        .status,
      404,
    );
    assert.equal((await call('DELETE', '/v1/repositories/acme/docs', '/v1/repositories/{name}')).status, 200);

    assert.equal((await call('GET', '/v1/environments', '/v1/environments')).status, 200);
    assert.equal(
      (await call('GET', '/v1/environments/prod/deployments', '/v1/environments/{name}/deployments')).status,
      200,
    );
    assert.equal(
      (await call('GET', '/v1/environments/PROD/deployments', '/v1/environments/{name}/deployments')).status,
      400,
    );
  });

  test('usage, costs, outputs and the service routes', async () => {
    assert.equal((await call('GET', '/v1/usage?groupBy=day', '/v1/usage')).status, 200);
    assert.equal((await call('GET', '/v1/runs/task-none/attempts', '/v1/runs/{id}/attempts')).status, 404);
    assert.equal((await call('GET', '/v1/costs?groupBy=kind', '/v1/costs')).status, 200);
    assert.equal((await call('GET', '/v1/costs?from=2020-01-01&to=2026-01-01', '/v1/costs')).status, 400);
    assert.equal((await call('GET', '/v1/costs/reports', '/v1/costs/reports')).status, 200);
    assert.equal((await call('GET', '/v1/costs/reports?date=2020-01-01', '/v1/costs/reports')).status, 404);
    assert.equal((await call('GET', '/v1/costs/schedules', '/v1/costs/schedules')).status, 200);
    assert.equal(
      (await call('POST', '/v1/costs/schedules/nope/trigger', '/v1/costs/schedules/{id}/trigger')).status,
      404,
    );
    const backfill = '/v1/costs/schedules/{id}/backfill';
    assert.equal(
      (await call('POST', '/v1/costs/schedules/nope/backfill', backfill, { from: 'yesterday' })).status,
      400,
    );
    const reference = `capstan-ref:sha256:${'0'.repeat(64)}:5`;
    assert.equal(
      (await call('GET', `/v1/outputs/${encodeURIComponent(reference)}`, '/v1/outputs/{reference}')).status,
      404,
    );
    assert.equal((await call('GET', '/v1/outputs/not-a-reference', '/v1/outputs/{reference}')).status, 400);
    assert.equal((await call('GET', '/v1/node-classes', '/v1/node-classes')).status, 200);
    const workers = await call('GET', '/v1/workers?nodeClass=a', '/v1/workers');
    assert.equal(workers.status, 200);
    assert.equal((await call('GET', '/v1/workers?nodeClass=zz', '/v1/workers')).status, 400);
    const reports = '/v1/workers/{identity}/reports';
    const identity = encodeURIComponent(workers.body.workers[0].identity);
    assert.equal((await call('GET', `/v1/workers/${identity}/reports?limit=5`, reports)).status, 200);
    assert.equal((await call('GET', `/v1/workers/${identity}/reports?limit=0`, reports)).status, 400);
    assert.equal((await call('GET', '/v1/workers/nobody/reports', reports)).status, 404);
    assert.equal(
      (await call('GET', '/v1/openapi.json', '/v1/openapi.json', undefined, { authorization: '' })).status,
      200,
    );
  });
});
