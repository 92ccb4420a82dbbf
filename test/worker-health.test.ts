/**
 * Worker health reports and tasks aimed at a named host, with real worker processes: the figures a worker reports
 * are this machine's, a killed worker turns lost and a stopped one stopped, and a task naming a host runs there,
 * waits for it while it is away, and is refused when no worker of its class was ever seen there.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../config/paths';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

// One report a second; lost after 5 s without one, a window a loaded machine's scheduling hiccups stay under.
const LOST_AFTER_SECONDS = 5;
let stack: TestStack;
const workers = new Map<string, { child: ChildProcess; dataDir: string }>();

before(async () => {
  stack = await startTestStack({
    startWorkersFor: [],
    workerEnv: {
      CAPSTAN_WORKER_REPORT_INTERVAL_SECONDS: '1',
      CAPSTAN_WORKER_LOST_AFTER_SECONDS: String(LOST_AFTER_SECONDS),
    },
  });
  await Promise.all([startHost('a', 'h-one'), startHost('a', 'h-two')]);
});
after(async () => {
  await stack?.stop();
});

/** Starts a worker of `nodeClass` that answers to `host`, with a data directory (and so workspaces) of its own. */
async function startHost(nodeClass: string, host: string): Promise<ChildProcess> {
  const dataDir = join(stack.dataDir, `host-${host}`);
  mkdirSync(dataDir, { recursive: true });
  const child = await stack.startWorker(nodeClass, { CAPSTAN_WORKER_HOST: host, CAPSTAN_DATA_DIR: dataDir });
  workers.set(host, { child, dataDir });
  return child;
}

/** Polls `read` until it returns a value; fails naming `what` after a deadline generous for a loaded machine. */
async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function workerOf(child: ChildProcess): Promise<any> {
  const { status, body } = await stack.request('GET', '/v1/workers');
  assert.equal(status, 200);
  return body.workers.find((w: any) => w.identity.endsWith(`/${child.pid}`));
}

function meminfo(): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const match = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (match) fields[match[1]!] = Number(match[2]) * 1024;
  }
  return fields;
}

const loadavg = (): number[] => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

function df(path: string): { size: number; avail: number } {
  const [size, avail] = execFileSync('df', ['-B1', '--output=size,avail', path], { encoding: 'utf8' })
    .trim()
    .split('\n')[1]!
    .trim()
    .split(/\s+/)
    .map(Number);
  return { size: size!, avail: avail! };
}

test("a worker's report holds this machine's real figures, its version and identity", async () => {
  const { child, dataDir } = workers.get('h-one')!;
  const workspace = join(dataDir, 'workspaces');
  // Readings on both sides of one report: the worker read its figures between them.
  const since = Date.now();
  const [loadBefore, memBefore, diskBefore] = [loadavg(), meminfo(), df(workspace)];
  const report = await until(async () => {
    const w = await workerOf(child);
    return w && Date.parse(w.reportedAt) > since + 100 ? w : undefined;
  }, 'a report after the first readings');
  const [loadAfter, memAfter, diskAfter] = [loadavg(), meminfo(), df(workspace)];

  // The worker's Temporal identity, which its attempts carry as `worker`.
  assert.equal(report.identity, `${hostname()}/a/${child.pid}`);
  assert.equal(report.nodeClass, 'a');
  assert.equal(report.host, 'h-one');
  assert.equal(report.state, 'live');
  assert.equal(report.slots, 2);
  assert.equal(report.runningAttempts, 0);
  assert.equal(report.reportIntervalSeconds, 1);
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  assert.equal(report.version, `${pkg.version}+${commit}`);
  assert.equal(report.cpus, availableParallelism());

  // The kernel moves a load average once every 5 s: between two readings a second or two apart it holds one of
  // them (0.05 for /proc's two decimals against libuv's unrounded figure; 0.5 more should two updates fall between).
  ['load1', 'load5', 'load15'].forEach((field, i) => {
    const low = Math.min(loadBefore[i]!, loadAfter[i]!) - 0.55;
    const high = Math.max(loadBefore[i]!, loadAfter[i]!) + 0.55;
    assert.ok(report[field] >= low && report[field] <= high, `${field} ${report[field]} not in [${low}, ${high}]`);
  });
  assert.equal(report.memoryTotalBytes, memBefore.MemTotal);
  // MemAvailable moves as the other processes of this shared machine allocate: 5% of memory either side of the
  // readings, and nearer MemAvailable than MemFree whenever the two differ by more than that.
  const slack = 0.05 * memBefore.MemTotal!;
  const avail = [memBefore.MemAvailable!, memAfter.MemAvailable!];
  assert.ok(
    report.memoryAvailableBytes >= Math.min(...avail) - slack &&
      report.memoryAvailableBytes <= Math.max(...avail) + slack,
    `memoryAvailableBytes ${report.memoryAvailableBytes} vs MemAvailable ${avail.join(', ')}`,
  );
  if (Math.abs(memBefore.MemAvailable! - memBefore.MemFree!) > 2 * slack)
    assert.ok(
      Math.abs(report.memoryAvailableBytes - memBefore.MemAvailable!) <
        Math.abs(report.memoryAvailableBytes - memBefore.MemFree!),
      'reports MemAvailable, not MemFree',
    );
  assert.equal(report.diskPath, workspace);
  assert.equal(report.diskTotalBytes, diskBefore.size);
  // Free disk moves as other processes write: 1 GiB either side of df's Avail before and after.
  const gib = 1024 ** 3;
  assert.ok(
    report.diskFreeBytes >= Math.min(diskBefore.avail, diskAfter.avail) - gib &&
      report.diskFreeBytes <= Math.max(diskBefore.avail, diskAfter.avail) + gib,
    `diskFreeBytes ${report.diskFreeBytes} vs df Avail ${diskBefore.avail}, ${diskAfter.avail}`,
  );
});

test('running attempts are the worker process’s own count, and the history grows newest first', async () => {
  const { child } = workers.get('h-one')!;
  const started = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', host: 'h-one', command: 'sleep 4' });
  assert.equal(started.status, 202);
  const busy = await until(async () => {
    const w = await workerOf(child);
    return w?.runningAttempts === 1 ? w : undefined;
  }, 'a report with the running attempt');
  assert.equal(busy.state, 'live');
  const classes = (await stack.request('GET', '/v1/node-classes')).body.nodeClasses;
  const a = classes.find((c: any) => c.name === 'a');
  assert.equal(a.liveWorkers, 2);
  assert.equal(a.freeSlots, a.capacity - a.busySlots);
  const shown = a.workers.find((w: any) => w.identity === busy.identity);
  assert.equal(shown.health.host, 'h-one');
  assert.ok(shown.health.memoryTotalBytes > 0);
  assert.equal((await waitForRunEnd(stack, started.body.runId)).status, 'completed');
  await until(async () => ((await workerOf(child))?.runningAttempts === 0 ? true : undefined), 'back to 0 running');

  const path = `/v1/workers/${encodeURIComponent(busy.identity)}/reports`;
  const first = (await stack.request('GET', path)).body.reports;
  assert.ok(
    first.some((r: any) => r.runningAttempts === 1),
    'the history holds the busy report',
  );
  const times = first.map((r: any) => Date.parse(r.reportedAt));
  assert.deepEqual(
    times,
    [...times].sort((x: number, y: number) => y - x),
    'newest first',
  );
  await until(
    async () => ((await stack.request('GET', path)).body.reports.length > first.length ? true : undefined),
    'the history to grow',
  );
  const limited = await stack.request('GET', `${path}?limit=2`);
  assert.equal(limited.status, 200);
  assert.equal(limited.body.reports.length, 2);
  assert.ok(Date.parse(limited.body.reports[0].reportedAt) >= Date.parse(first[0].reportedAt));
});

test('bad query input is a 400 naming the field; an unknown identity is a 404', async () => {
  const cases: Array<[string, string]> = [
    ['/v1/workers?nodeClass=nope', 'query.nodeClass'],
    ['/v1/workers?state=sleeping', 'query.state'],
    ['/v1/workers/x/reports?limit=0', 'query.limit'],
    ['/v1/workers/x/reports?limit=ten', 'query.limit'],
    ['/v1/workers/x/reports?limit=1001', 'query.limit'],
  ];
  for (const [path, field] of cases) {
    const { status, body } = await stack.request('GET', path);
    assert.equal(status, 400, path);
    assert.ok(
      body.error.details.some((d: any) => d.field === field),
      `${path}: ${JSON.stringify(body)}`,
    );
  }
  const unknown = await stack.request('GET', '/v1/workers?nodeClass=nope');
  assert.match(unknown.body.error.message, /valid: a, b/);
  const missing = await stack.request('GET', `/v1/workers/${encodeURIComponent('nowhere/a/1')}/reports`);
  assert.equal(missing.status, 404);
  const onlyA = await stack.request('GET', '/v1/workers?nodeClass=b');
  assert.equal(onlyA.status, 200);
  assert.deepEqual(onlyA.body.workers, []);
});

test('a task aimed at a host runs on that host’s worker every time, with two hosts live', async () => {
  const hosts = ['h-one', 'h-two', 'h-one', 'h-two', 'h-two', 'h-one', 'h-one', 'h-two'];
  const runIds = await Promise.all(
    hosts.map(async (host) => {
      const { status, body } = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', host, command: 'pwd' });
      assert.equal(status, 202, JSON.stringify(body));
      return body.runId as string;
    }),
  );
  const runs = await Promise.all(runIds.map((id) => waitForRunEnd(stack, id)));
  runs.forEach((run, i) => {
    const { child, dataDir } = workers.get(hosts[i]!)!;
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.match(run.result.worker, new RegExp(`/a/${child.pid}$`), `run ${i} for ${hosts[i]}`);
    assert.ok(run.result.stdout.startsWith(`${dataDir}/workspaces/`), `${run.result.stdout} under ${dataDir}`);
  });
  // Both hosts ran work: 2^-8 of a chance that a blind placement matched this list.
  assert.equal(new Set(runs.map((r) => r.result.worker)).size, 2);
});

test('a host no worker of the class was seen on is refused naming `host` and the hosts seen; nothing starts', async () => {
  const before = await stack.countRuns();
  const unknown = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', host: 'db-9', command: 'true' });
  assert.equal(unknown.status, 400);
  const issue = unknown.body.error.details.find((d: any) => d.field === 'host');
  assert.ok(issue, JSON.stringify(unknown.body));
  assert.match(issue.message, /host "db-9"; hosts seen: h-one, h-two$/);
  // Seen, but on another class: class b has no worker at all.
  const otherClass = await stack.request('POST', '/v1/tasks', { nodeClass: 'b', host: 'h-one', command: 'true' });
  assert.equal(otherClass.status, 400);
  assert.match(otherClass.body.error.details[0].message, /no worker of that class has reported yet/);
  const badName = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', host: 'db 1;rm', command: 'true' });
  assert.equal(badName.status, 400);
  assert.equal(badName.body.error.details[0].field, 'host');
  const dag = await stack.request('POST', '/v1/dags', {
    name: 'hosts',
    tasks: [
      { id: 'ok', nodeClass: 'a', host: 'h-one', command: 'true' },
      { id: 'gone', nodeClass: 'a', host: 'db-9', command: 'true', dependsOn: ['ok'] },
    ],
  });
  assert.equal(dag.status, 400);
  assert.deepEqual(
    dag.body.error.details.map((d: any) => d.field),
    ['tasks[1].host'],
  );
  assert.equal(await stack.countRuns(), before, 'nothing started');
});

test('a DAG task aimed at a host runs there', async () => {
  const { body } = await stack.request('POST', '/v1/dags', {
    name: 'on-hosts',
    tasks: [
      { id: 'one', nodeClass: 'a', host: 'h-one', command: 'pwd' },
      { id: 'two', nodeClass: 'a', host: 'h-two', command: 'pwd', dependsOn: ['one'] },
    ],
  });
  const run = await waitForRunEnd(stack, body.runId);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  const nodes = Object.fromEntries(run.dag.nodes.map((n: any) => [n.key, n]));
  assert.match(nodes.one.worker, new RegExp(`/a/${workers.get('h-one')!.child.pid}$`));
  assert.match(nodes.two.worker, new RegExp(`/a/${workers.get('h-two')!.child.pid}$`));
});

test('a worker stopped with SIGTERM is stopped, not lost; a task for its host waits and runs when it returns', async () => {
  const { child } = workers.get('h-two')!;
  const identity = (await workerOf(child)).identity;
  child.kill('SIGTERM');
  await until(async () => ((await workerOf(child))?.state === 'stopped' ? true : undefined), 'state stopped');
  // Past the lost window it is still stopped, and the class no longer counts it live.
  await new Promise((r) => setTimeout(r, (LOST_AFTER_SECONDS + 2) * 1000));
  assert.equal((await workerOf(child)).state, 'stopped');
  const a = (await stack.request('GET', '/v1/node-classes')).body.nodeClasses.find((c: any) => c.name === 'a');
  assert.ok(!a.workers.some((w: any) => w.identity === identity && w.live), JSON.stringify(a.workers));

  // Seen before, so accepted: the task waits on the host's queue while h-one stays idle.
  const started = await stack.request('POST', '/v1/tasks', { nodeClass: 'a', host: 'h-two', command: 'pwd' });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  await new Promise((r) => setTimeout(r, 3000));
  const waiting = await stack.request('GET', `/v1/runs/${started.body.runId}`);
  assert.equal(waiting.body.status, 'running');
  assert.equal(waiting.body.live.pendingAttempts[0].state, 'scheduled');
  assert.ok(
    waiting.body.warnings?.some((w: string) => w.includes('no worker of node class "a" on host "h-two" is polling')),
    JSON.stringify(waiting.body),
  );

  const back = await startHost('a', 'h-two');
  const run = await waitForRunEnd(stack, started.body.runId);
  assert.equal(run.status, 'completed');
  assert.match(run.result.worker, new RegExp(`/a/${back.pid}$`));
});

test('a worker killed with SIGKILL is marked lost within the configured time', async () => {
  const child = await startHost('b', 'h-three');
  await until(async () => ((await workerOf(child))?.state === 'live' ? true : undefined), 'state live');
  const killedAt = Date.now();
  child.kill('SIGKILL');
  const lost = await until(async () => {
    const w = await workerOf(child);
    return w?.state === 'lost' ? w : undefined;
  }, 'state lost');
  const tookMs = Date.now() - killedAt;
  // Its last report came at most one interval before the kill; the rest is polling and a loaded machine's latency.
  assert.ok(tookMs <= (LOST_AFTER_SECONDS + 10) * 1000, `lost after ${tookMs} ms`);
  assert.ok(Date.now() - Date.parse(lost.reportedAt) >= LOST_AFTER_SECONDS * 1000 - 1000);
  const b = (await stack.request('GET', '/v1/node-classes')).body.nodeClasses.find((c: any) => c.name === 'b');
  const shown = b.workers.find((w: any) => w.identity === lost.identity);
  assert.equal(shown.health.state, 'lost', JSON.stringify(b.workers));
  assert.equal(shown.health.host, 'h-three');
});
