/**
 * Machines that share no filesystem: a worker "host" per node class, each with a data directory of its
 * own, sharing only Temporal, PostgreSQL and an S3-compatible server (versitygw). A large output made
 * on one host is read on the other and by the API, a task's log from either host is served by the API,
 * and a pipeline's artifact crosses from one host to the other. Where the machine allows it (root), each
 * host is also a network namespace with an address of its own, and the three services listen on a
 * bridge's address instead of loopback, so a worker reaches them only over the network, as on a fleet.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseOutputRef, outputRefPath } from '../workflows/contracts/output-ref';
import { testDatabaseAdminUrl } from './helpers/database';
import { createNetworkFabric, networkHostsUnavailable, type NetworkFabric } from './helpers/network-hosts';
import { startPostgresServer, type PostgresServer } from './helpers/postgres-server';
import { freePort } from './helpers/ports';
import { startTestDevServer, type TestTemporal } from './helpers/test-temporal';
import { gitIn } from './helpers/git';
import { startS3Server, type S3Server } from './helpers/s3-server';
import { provisionThenConnectDag } from './helpers/provision-then-connect';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let s3: S3Server;
let stack: TestStack;
const hosts: Record<string, string> = {};
let repo: string;
/** What the first tests left in the bucket, read again once the bucket is down. */
let outputReference: string | undefined;
let artifactRunId: string | undefined;
let s3Stopped = false;
/** The hosts' namespaces and the services of their own on the bridge, when the machine allows them. */
let fabric: NetworkFabric | undefined;
let temporal: TestTemporal | undefined;
let postgres: PostgresServer | undefined;
let scratch: string | undefined;
const NO_NAMESPACES = networkHostsUnavailable();

/** The PostgreSQL superuser URL every host can reach: the bridge's server, or the suite's. */
const adminUrl = (): string => postgres?.url ?? testDatabaseAdminUrl();

before(async () => {
  if (!NO_NAMESPACES) {
    fabric = createNetworkFabric(['a', 'b']);
    const cli = process.env.CAPSTAN_TEST_TEMPORAL_BIN;
    if (!cli) throw new Error('CAPSTAN_TEST_TEMPORAL_BIN is not set: run the tests with `npm test`');
    scratch = mkdtempSync(join(tmpdir(), 'capstan-hosts-services-'));
    temporal = await startTestDevServer(cli, scratch, fabric.serviceAddress);
    postgres = startPostgresServer(await freePort(), fabric.serviceAddress);
  }
  s3 = await startS3Server({ buckets: ['outputs', 'artifacts', 'pulumi-state'], host: fabric?.serviceAddress });
  // The API runs in this process (test-stack): the SDK's default credential chain reads these here, as it would
  // in an API process of its own.
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  stack = await startTestStack({
    startWorkersFor: [],
    workerEnv: {
      CAPSTAN_OUTPUT_STORE: 's3',
      CAPSTAN_OUTPUT_S3_BUCKET: 'outputs',
      CAPSTAN_OUTPUT_S3_ENDPOINT: s3.endpoint,
      CAPSTAN_OUTPUT_S3_PREFIX: 'capstan',
      CAPSTAN_ARTIFACT_STORE: 's3',
      CAPSTAN_ARTIFACT_S3_BUCKET: 'artifacts',
      CAPSTAN_ARTIFACT_S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      // Pulumi's own S3 backend (gocloud's URL parameters), and one passphrase for every host's secrets.
      CAPSTAN_PULUMI_BACKEND_URL: `s3://pulumi-state?endpoint=${new URL(s3.endpoint).host}&disableSSL=true&s3ForcePathStyle=true&region=us-east-1`,
      CAPSTAN_PULUMI_PASSPHRASE: 'no-shared-disk-test-passphrase',
      CAPSTAN_PULUMI_NODE_CLASS: 'a',
    },
    ...(temporal && postgres ? { temporalAddress: temporal.address, databaseAdminUrl: postgres.url } : {}),
  });
  // One data directory per host: workspaces, output store directory and local artifacts would all be under it.
  for (const nodeClass of ['a', 'b']) {
    hosts[nodeClass] = mkdtempSync(join(tmpdir(), `capstan-host-${nodeClass}-`));
    await stack.startWorker(nodeClass, { CAPSTAN_DATA_DIR: hosts[nodeClass] }, fabric?.execPrefix(nodeClass) ?? []);
  }
});

after(async () => {
  await stack?.stop();
  if (!s3Stopped) await s3?.close();
  await temporal?.stop();
  postgres?.remove();
  fabric?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  for (const dir of Object.values(hosts)) rmSync(dir, { recursive: true, force: true });
  if (repo) rmSync(repo, { recursive: true, force: true });
});

test('a DAG across two hosts passes a large output through the object store', { timeout: 180_000 }, async () => {
  const started = await stack.request('POST', '/v1/dags', {
    name: 'two-hosts',
    tasks: [
      {
        id: 'make',
        nodeClass: 'a',
        script: 'big=$(head -c 300000 /dev/urandom | base64 -w0)\necho "big=$big" >> "$CAPSTAN_OUTPUT"\necho made on a',
      },
      {
        id: 'read',
        nodeClass: 'b',
        dependsOn: ['make'],
        script: 'v=$(cat <<\'EOF\'\n${{ tasks.make.outputs.big }}\nEOF\n)\necho "read ${#v} bytes on b"',
      },
    ],
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = await waitForRunEnd(stack, started.body.runId, 120_000);
  assert.equal(run.status, 'completed', JSON.stringify(run.dag?.nodes));
  const nodes = Object.fromEntries(run.dag.nodes.map((n: any) => [n.key, n]));
  const reference: string = nodes.make.outputs.big;
  outputReference = reference;
  const ref = parseOutputRef(reference);
  assert.ok(ref, `the output travels by reference: ${reference.slice(0, 80)}`);

  // In the bucket, and in neither host's directory nor the API's.
  assert.ok((await s3.keys('outputs')).includes(`capstan/${outputRefPath(ref)}`), 'the object is in the bucket');
  for (const dir of [...Object.values(hosts), stack.dataDir])
    assert.equal(existsSync(join(dir, 'outputs', outputRefPath(ref))), false, `not under ${dir}`);

  const download = await fetch(`${stack.baseUrl}/v1/outputs/${reference}`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  assert.equal(download.status, 200);
  const body = Buffer.from(await download.arrayBuffer());
  assert.equal(body.length, ref.bytes);
  assert.equal(createHash('sha256').update(body).digest('hex'), ref.sha256, 'the API serves it from the bucket');

  // Each task's log, written on its own host, is served by the API (logs live in PostgreSQL).
  for (const [key, line] of [
    ['make', 'made on a'],
    ['read', `read ${ref.bytes} bytes on b`],
  ] as const) {
    const log = await fetch(`${stack.baseUrl}/v1/runs/${run.runId}/tasks/${key}/log`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    assert.equal(log.status, 200);
    assert.match(await log.text(), new RegExp(line));
  }
  assert.match(nodes.make.worker, /\/a\/\d+$/);
  assert.match(nodes.read.worker, /\/b\/\d+$/);
});

test(
  'each host has an address of its own and reaches the services only over the network',
  { timeout: 120_000, skip: NO_NAMESPACES },
  async () => {
    const { serviceAddress } = fabric!;
    // The dev server listens on every interface of the machine: on the root namespace's loopback too, which a
    // process on the machine itself would reach, and a host in a namespace of its own does not.
    const port = temporal!.address.split(':')[1];
    // What each task sees of its network: its interface's address, and where the Temporal port answers.
    const probe = [
      `echo "addr=$(ip -4 -o addr show dev eth0 | awk '{print $4}')" >> "$CAPSTAN_OUTPUT"`,
      `if (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; then s=open; else s=closed; fi; echo "loopback=$s" >> "$CAPSTAN_OUTPUT"`,
      `if (exec 3<>/dev/tcp/${serviceAddress}/${port}) 2>/dev/null; then s=open; else s=closed; fi; echo "bridge=$s" >> "$CAPSTAN_OUTPUT"`,
    ].join('\n');
    const started = await stack.request('POST', '/v1/dags', {
      name: 'two-addresses',
      tasks: [
        { id: 'first', nodeClass: 'a', script: probe },
        {
          id: 'second',
          nodeClass: 'b',
          dependsOn: ['first'],
          script: `${probe}\necho "first ran at \${{ tasks.first.outputs.addr }}"`,
        },
      ],
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRunEnd(stack, started.body.runId, 90_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.dag?.nodes));
    const nodes = Object.fromEntries(run.dag.nodes.map((n: any) => [n.key, n]));
    for (const [key, host] of [
      ['first', 'a'],
      ['second', 'b'],
    ] as const) {
      assert.deepEqual(
        { ...nodes[key].outputs },
        { addr: `${fabric!.hosts[host]!.address}/24`, loopback: 'closed', bridge: 'open' },
        `task ${key} on host ${host}`,
      );
    }
    const log = await fetch(`${stack.baseUrl}/v1/runs/${run.runId}/tasks/second/log`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    assert.match(await log.text(), new RegExp(`first ran at ${fabric!.hosts.a!.address.replaceAll('.', '\\.')}/24`));
  },
);

test("a pipeline's artifact crosses from one host to the other through the bucket", { timeout: 180_000 }, async () => {
  repo = mkdtempSync(join(tmpdir(), 'capstan-hosts-repo-'));
  gitIn(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(
    join(repo, '.capstan', 'pipeline.yaml'),
    `name: hosts
on: { manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - run: mkdir -p dist && echo "built on a" > dist/app.txt
      - upload-artifact: { name: app, path: dist }
  ship:
    runs-on: b
    needs: [build]
    steps:
      - download-artifact: { name: app, path: got }
      - run: cat got/dist/app.txt
`,
  );
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'fixture');
  const started = await stack.request('POST', '/v1/pipelines/runs', {
    repository: 'acme/hosts',
    cloneUrl: repo,
    sha: gitIn(repo, 'rev-parse', 'HEAD'),
    branch: 'main',
    pipelinePath: '.capstan/pipeline.yaml',
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = await waitForRunEnd(stack, started.body.runId, 120_000);
  assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
  assert.equal((await s3.keys('artifacts')).filter((k) => k.endsWith('/build/app.tar')).length, 1);
  artifactRunId = run.runId;
  for (const dir of Object.values(hosts))
    assert.deepEqual(
      existsSync(join(dir, 'artifacts')) ? readdirSync(join(dir, 'artifacts')) : [],
      [],
      `no artifact under ${dir}`,
    );
  const log = await fetch(`${stack.baseUrl}/v1/runs/${run.runId}/jobs/ship/steps/1/log`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  assert.match(await log.text(), /built on a/);
});

test(
  "a stack's secret output made on one host is read on the other from Pulumi's S3 backend",
  { timeout: 240_000 },
  async () => {
    const id = randomBytes(3).toString('hex');
    const name = `hosts${id}`;
    const declared = await stack.request('PUT', `/v1/stacks/shop/${name}`, {
      program: 'postgres-database',
      config: {
        adminUrl: adminUrl(),
        database: `app_${id}`,
        role: `app_${id}`,
        password: 'hosts-password',
      },
    });
    assert.equal(declared.status, 201, JSON.stringify(declared.body));
    const started = await stack.request(
      'POST',
      '/v1/dags',
      provisionThenConnectDag('provision-on-a-use-on-b', 'shop', name),
    );
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRunEnd(stack, started.body.runId, 180_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.dag?.nodes ?? run));
    const nodes = Object.fromEntries(run.dag.nodes.map((n: any) => [n.key, n]));
    assert.equal(
      nodes.use.outputs.who,
      `app_${id}@app_${id}`,
      'host b resolved the secret from the state host a wrote',
    );
    assert.match(nodes.use.worker, /\/b\/\d+$/);
    const state = (await s3.keys('pulumi-state')).filter((k) => k.startsWith('.pulumi/stacks/'));
    assert.ok(
      state.some((k) => k.endsWith(`/${name}.json`)),
      `the stack's state is in the bucket: ${state.join(', ')}`,
    );
    for (const dir of Object.values(hosts))
      assert.equal(existsSync(join(dir, 'pulumi', 'backend')), false, `no local Pulumi state under ${dir}`);
  },
);

test(
  'with the bucket unreachable, the API answers 503 naming the object store, not 500',
  { timeout: 60_000 },
  async (t) => {
    if (!outputReference || !artifactRunId) return t.skip('the tests that fill the bucket did not pass');
    s3Stopped = true;
    await s3.close();
    const headers = { authorization: `Bearer ${stack.adminToken}` };
    for (const [path, bucket] of [
      [`/v1/outputs/${outputReference}`, 'outputs'],
      [`/v1/runs/${artifactRunId}/artifacts`, 'artifacts'],
    ] as const) {
      const response = await fetch(`${stack.baseUrl}${path}`, { headers });
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      assert.equal(response.status, 503, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error?.code, 'object_store_unavailable', path);
      assert.match(body.error?.message ?? '', new RegExp(`s3://${bucket}/`), `${path}: the message names the bucket`);
    }
    // The API itself is fine: what does not need the bucket still answers.
    assert.equal((await stack.request('GET', `/v1/runs/${artifactRunId}`)).status, 200);
  },
);
