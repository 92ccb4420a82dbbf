/**
 * Outputs too large for a Temporal payload: stored outside history, passed downstream by reference,
 * expanded by the worker before the command runs, readable through the API.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { formatOutputRef, parseOutputRef } from '../workflows/contracts/output-ref';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
});

const byKey = (run: any): Record<string, any> => Object.fromEntries(run.dag.nodes.map((n: any) => [n.key, n]));

async function runDag(spec: unknown): Promise<any> {
  const started = await stack.request('POST', '/v1/dags', spec);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForRunEnd(stack, started.body.runId, 120_000);
}

/** Raw bytes of `GET path`, which answers octet-stream rather than JSON. */
async function download(path: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const response = await fetch(`${stack.baseUrl}${path}`, { headers: { Authorization: `Bearer ${stack.adminToken}` } });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

/** 3 MiB of base64 on one line (2,359,296 random bytes), with its own SHA-256 and length, and a small output. */
const PRODUCE = [
  'big=$(head -c 2359296 /dev/urandom | base64 -w0)',
  'echo "big=$big" >> "$CAPSTAN_OUTPUT"',
  'echo "sha=$(printf %s "$big" | sha256sum | cut -d" " -f1)" >> "$CAPSTAN_OUTPUT"',
  'echo "bytes=${#big}" >> "$CAPSTAN_OUTPUT"',
  'echo "small=kept inline" >> "$CAPSTAN_OUTPUT"',
].join('\n');

/** Reads a's big output through a heredoc in the script (no exec limit there) and measures it. */
const CONSUME = [
  "v=$(cat <<'CAPSTAN_EOF'",
  '${{ tasks.a.outputs.big }}',
  'CAPSTAN_EOF',
  ')',
  'echo "sha=$(printf %s "$v" | sha256sum | cut -d" " -f1)" >> "$CAPSTAN_OUTPUT"',
  'echo "bytes=${#v}" >> "$CAPSTAN_OUTPUT"',
  'echo "small=${{ tasks.a.outputs.small }}" >> "$CAPSTAN_OUTPUT"',
].join('\n');

describe('a 3 MiB output', () => {
  let run: any;
  before(async () => {
    run = await runDag({
      name: 'large-outputs',
      failFast: false,
      tasks: [
        { id: 'a', nodeClass: 'a', script: PRODUCE },
        { id: 'b', nodeClass: 'b', dependsOn: ['a'], script: CONSUME },
        // Too large for one environment variable: refused before the spawn, and not retried.
        {
          id: 'c',
          nodeClass: 'a',
          dependsOn: ['a'],
          env: { X: '${{ tasks.a.outputs.big }}' },
          command: 'true',
          retry: { maxAttempts: 3, initialIntervalSeconds: 0.1 },
        },
      ],
    });
  });

  test('reaches the downstream script byte for byte, while the small output stays inline', () => {
    const nodes = byKey(run);
    assert.equal(nodes.a.status, 'succeeded', JSON.stringify(nodes.a));
    assert.equal(nodes.b.status, 'succeeded', JSON.stringify(nodes.b));
    assert.equal(nodes.a.outputs.bytes, String(3 * 1024 * 1024));
    assert.deepEqual(parseOutputRef(nodes.a.outputs.big), { sha256: nodes.a.outputs.sha, bytes: 3 * 1024 * 1024 });
    assert.equal(nodes.a.outputs.small, 'kept inline');
    assert.equal(nodes.b.outputs.sha, nodes.a.outputs.sha);
    assert.equal(nodes.b.outputs.bytes, nodes.a.outputs.bytes);
    assert.equal(nodes.b.outputs.small, 'kept inline');
  });

  test('in env it fails the task at once, naming env.X and the limit', () => {
    const c = byKey(run).c;
    assert.equal(c.status, 'failed', JSON.stringify(c));
    assert.equal(c.attempts, 1, 'an invalid task is not retried');
    assert.match(
      c.message,
      /env\.X is 3145728 bytes after templates, over the 131072-byte limit Linux puts on one argument or variable/,
    );
    assert.match(c.message, /inside "script"/);
    assert.equal(run.status, 'failed');
  });

  test("stays out of the run's history", async (t) => {
    const history = await stack.client.workflow.getHandle(run.runId).fetchHistory();
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    t.diagnostic(`history of the run: ${bytes} bytes, ${history.events?.length} events`);
    assert.ok(bytes < 200 * 1024, `history is ${bytes} bytes`);
  });

  test('GET /v1/outputs/:reference returns exactly the content', async () => {
    const reference = byKey(run).a.outputs.big;
    const got = await download(`/v1/outputs/${reference}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/octet-stream');
    assert.equal(got.headers.get('content-length'), String(3 * 1024 * 1024));
    assert.equal(createHash('sha256').update(got.body).digest('hex'), byKey(run).a.outputs.sha);
  });
});

describe('GET /v1/outputs/:reference', () => {
  test('a malformed reference is a 400 naming the parameter', async () => {
    const bad = await stack.request('GET', '/v1/outputs/capstan-ref:sha256:abc:1');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
    assert.equal(bad.body.error.details[0].field, 'reference');
  });

  test('an unknown reference is a 404', async () => {
    const unknown = await stack.request('GET', `/v1/outputs/${formatOutputRef({ sha256: '3'.repeat(64), bytes: 10 })}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'output_not_found');
  });
});

test('a reference the store lacks fails the task without retrying, naming the field and the store', async () => {
  const missing = formatOutputRef({ sha256: '4'.repeat(64), bytes: 10 });
  const started = await stack.request('POST', '/v1/tasks', {
    nodeClass: 'a',
    command: 'echo "$X"',
    env: { X: missing },
    retry: { maxAttempts: 3, initialIntervalSeconds: 0.1 },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = await waitForRunEnd(stack, started.body.runId);
  assert.equal(run.status, 'failed');
  assert.equal(run.failure.details.attempts, 1);
  assert.match(
    run.failure.message,
    new RegExp(`env\\.X: ${missing} is not in the output store ${stack.dataDir}/outputs`),
  );
});
