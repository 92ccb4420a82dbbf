/**
 * `capstan logs` and `capstan run --follow --logs` against the real stack: a task's log whole or in part,
 * followed live line by line (also across a dropped connection), and each finished task's log under a header.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCapstan, type CliOutcome } from './helpers/capstan-cli';
import { gitIn } from './helpers/git';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const CLI = join(__dirname, '..', 'cli', 'capstan.js');
const TICKER = 'for i in 1 2 3 4 5; do echo "tick $i"; sleep 1; done';

let stack: TestStack;
before(async () => {
  // Class b has no worker until the lost-worker test starts (and kills) its own; 3 s heartbeats make the retry quick.
  stack = await startTestStack({ startWorkersFor: ['a'], heartbeatTimeoutSeconds: 3 });
});
after(async () => {
  await stack?.stop();
});

const capstan = (args: string[]): Promise<CliOutcome> => runCapstan(stack, args);

/** What a followed `capstan` printed, each stdout line with the time it arrived. */
interface TimedOutcome {
  code: number | null;
  lines: Array<{ at: number; text: string }>;
  out: string;
  err: string;
}

/** Runs `capstan <args>` against `baseUrl`, noting when each line of stdout arrives; `onLine` may act on them. */
function runTimed(baseUrl: string, args: string[], onLine?: (text: string) => void): Promise<TimedOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, CAPSTAN_API_URL: baseUrl, CAPSTAN_TOKEN: stack.adminToken },
    });
    const lines: TimedOutcome['lines'] = [];
    let out = '';
    let err = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const at = Date.now();
      out += chunk.toString();
      partial += chunk.toString();
      const complete = partial.split('\n');
      partial = complete.pop()!;
      for (const text of complete) {
        lines.push({ at, text });
        onLine?.(text);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => resolve({ code, lines, out, err }));
  });
}

async function startDag(name: string, tasks: unknown[]): Promise<string> {
  const started = await stack.request('POST', '/v1/dags', { name, tasks });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return started.body.runId;
}

test('logs of a task run: stdout and stderr in order, one stream, the last lines', { timeout: 30_000 }, async () => {
  const started = await stack.request('POST', '/v1/tasks', {
    nodeClass: 'a',
    // Pauses make the order across the two pipes observable.
    script: 'echo "compiling"\nsleep 0.1; echo "warning: unused x" >&2\nsleep 0.1; echo "linked"',
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const runId = started.body.runId;
  assert.equal((await waitForRunEnd(stack, runId)).status, 'completed');

  const whole = await capstan(['logs', runId]);
  assert.equal(whole.code, 0, whole.err);
  const lines = whole.out.trimEnd().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['compiling', 'warning: unused x', 'linked']);
  assert.match(lines[3]!, /^\[capstan\] exited with code 0 after \d+ ms$/);

  assert.equal((await capstan(['logs', runId, '--stream', 'stderr'])).out, 'warning: unused x\n');
  const last = await capstan(['logs', runId, '--tail', '1']);
  assert.equal(last.code, 0, last.err);
  assert.equal(last.out, `${lines[3]}\n`);
  assert.equal((await capstan(['logs', runId, '--tail', '1', '--stream', 'stdout'])).out, 'linked\n');
  assert.match((await capstan(['logs', runId, '--timestamps', '--tail', '1'])).out, /^\S+Z capstan \[capstan\] exited/);
});

test(
  'logs --follow prints a DAG task line by line as it runs, resumes after a dropped connection, and exits 0 at its end',
  { timeout: 40_000 },
  async (t) => {
    // Two followers of one task: straight to the API, and through a TCP relay that cuts every connection
    // once, after the second tick, so the second must resume without losing or repeating a line.
    const sockets = new Set<Socket>();
    const apiPort = Number(new URL(stack.baseUrl).port);
    const relay: Server = createServer((client) => {
      const upstream = connect(apiPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const runId = await startDag('ticks', [{ id: 'ticker', nodeClass: 'a', command: TICKER }]);
      const started = Date.now();
      let cut = false;
      const relayUrl = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
      const [followed, resumed] = await Promise.all([
        runTimed(stack.baseUrl, ['logs', runId, 'ticker', '--follow']),
        runTimed(relayUrl, ['logs', runId, 'ticker', '--follow'], (line) => {
          if (line === 'tick 2' && !cut) {
            cut = true;
            for (const s of sockets) s.destroy();
          }
        }),
      ]);
      const ticksOf = (o: TimedOutcome) => o.lines.filter((l) => l.text.startsWith('tick '));
      const expected = ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5'];

      assert.equal(followed.code, 0, followed.out + followed.err);
      const ticks = ticksOf(followed);
      assert.deepEqual(
        ticks.map((l) => l.text),
        expected,
        followed.out,
      );
      const node = (await waitForRunEnd(stack, runId)).dag.nodes.find((n: { key: string }) => n.key === 'ticker');
      const finishedAt = new Date(node.finishedAt).getTime();
      const gaps = ticks.slice(1).map((l, i) => l.at - ticks[i]!.at);
      const spread = ticks.at(-1)!.at - ticks[0]!.at;
      t.diagnostic(
        `tick arrivals after start: ${ticks.map((l) => l.at - started).join(', ')} ms; gaps ${gaps.join(', ')} ms; ` +
          `last - first ${spread} ms; first tick ${finishedAt - ticks[0]!.at} ms before the task ended`,
      );
      assert.ok(spread >= 3000, `lines arrive as printed, not at the end: ${spread} ms from first to last`);
      assert.ok(ticks[0]!.at < finishedAt - 2000, 'the first line arrives well before the task ends');

      t.diagnostic(`stderr of the follower whose connection was cut: ${resumed.err.trim()}`);
      assert.ok(cut, 'the connection was cut');
      assert.equal(resumed.code, 0, resumed.out + resumed.err);
      assert.deepEqual(
        ticksOf(resumed).map((l) => l.text),
        expected,
        resumed.out,
      );
      assert.match(resumed.err, /log stream dropped .*; resuming after event \d+-\d+-\d+/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  },
);

test(
  'logs --follow of an attempt whose worker dies says it was lost and names the next attempt',
  { timeout: 40_000 },
  async (t) => {
    const doomed = await stack.startWorker('b');
    const runId = await startDag('lost', [{ id: 'ticker', nodeClass: 'b', command: TICKER }]);
    let replaced: Promise<unknown> | undefined;
    const followed = await runTimed(stack.baseUrl, ['logs', runId, 'ticker', '--follow'], (line) => {
      if (line === 'tick 2' && !replaced) {
        doomed.kill('SIGKILL');
        replaced = stack.startWorker('b'); // Temporal retries the attempt there once its heartbeat times out
      }
    });
    await replaced;
    t.diagnostic(`stderr of the follower: ${followed.err.trim()}`);
    assert.equal(followed.code, 1, followed.out + followed.err);
    assert.match(followed.out, /^tick 1\ntick 2\n/);
    assert.match(followed.err, /the worker running attempt 1 \(\S+\) was lost: .*Temporal retries the task/);
    assert.match(followed.err, new RegExp(`capstan logs ${runId} ticker --attempt 2 --follow`));
  },
);

test('logs names the tasks of a DAG when none is given; bad input is exit 2, an unknown run exit 1', async () => {
  const runId = await startDag('keys', [
    { id: 'build', nodeClass: 'a', command: 'echo built' },
    { id: 'test', nodeClass: 'a', dependsOn: ['build'], matrix: { n: ['1', '2'] }, command: 'true' },
  ]);
  await waitForRunEnd(stack, runId);
  const missing = await capstan(['logs', runId]);
  assert.equal(missing.code, 2, missing.err);
  assert.match(missing.err, /is a DAG: name one of its tasks/);
  assert.match(missing.err, /tasks: build, test\[0\], test\[1\]/);
  const unknownTask = await capstan(['logs', runId, 'deploy']);
  assert.equal(unknownTask.code, 2);
  assert.match(unknownTask.err, /has no task "deploy"\ntasks: build, test\[0\], test\[1\]/);
  assert.equal((await capstan(['logs', runId, 'build'])).out.split('\n')[0], 'built');

  const unknownRun = await capstan(['logs', 'no-such-run']);
  assert.equal(unknownRun.code, 1);
  assert.match(unknownRun.err, /^capstan: .*no-such-run/);
  for (const bad of [['--colour'], ['--stream', 'both'], ['--tail', '0'], ['--attempt', 'x'], ['--tail']]) {
    const refused = await capstan(['logs', runId, 'build', ...bad]);
    assert.equal(refused.code, 2, bad.join(' '));
    assert.match(refused.err, /usage: capstan/, bad.join(' '));
  }
  const noFollow = await capstan(['status', runId, '--logs']);
  assert.equal(noFollow.code, 2);
  assert.match(noFollow.err, /--logs needs --follow/);
});

test(
  'run --follow --logs prints each finished task log under its header, and exits 1 when a task failed',
  { timeout: 40_000 },
  async () => {
    const file = join(stack.dataDir, 'logs.yaml');
    writeFileSync(
      file,
      'name: with-logs\ntasks:\n' +
        '  - { id: hello, nodeClass: a, command: "echo hello from hello" }\n' +
        '  - { id: broken, nodeClass: a, dependsOn: [hello], command: "echo about to fail; sleep 0.1; echo bad thing >&2; exit 4" }\n',
    );
    const { code, out, err } = await capstan(['run', file, '--follow', '--logs']);
    assert.equal(code, 1, out + err);
    assert.match(out, /── hello \(attempt 1, exit 0\) ──\nhello from hello\n\[capstan\] exited with code 0/);
    assert.match(out, /── broken \(attempt 1, exit 4\) ──\nabout to fail\nbad thing\n\[capstan\] exited with code 4/);
    assert.ok(out.indexOf('✓ hello succeeded') < out.indexOf('── hello'), 'the log follows the line saying it ended');
    assert.ok(out.indexOf('── broken') < out.indexOf('run dag-with-logs'), 'and comes before the run ending');
    assert.ok(!out.includes('stderr | bad thing'), 'the whole log replaces the last lines');

    // A retry prints the logs of the tasks it ran again, not of those it reused (they ran in the first run).
    const runId = /started (\S+)/.exec(out)![1]!;
    const retried = await capstan(['retry', runId, '--follow', '--logs']);
    assert.equal(retried.code, 1, retried.out + retried.err);
    assert.match(retried.out, /── broken \(attempt 1, exit 4\) ──\nabout to fail\n/);
    assert.ok(!retried.out.includes('── hello'), retried.out);

    const taskFile = join(stack.dataDir, 'task.yaml');
    writeFileSync(taskFile, 'nodeClass: a\ncommand: echo "a single task says hi"\n');
    const single = await capstan(['run', taskFile, '--follow', '--logs']);
    assert.equal(single.code, 0, single.out + single.err);
    assert.match(single.out, /── \S+ \(attempt 1, exit 0\) ──\na single task says hi\n/);
  },
);

test(
  'logs of a pipeline step are named <job>/<step>; without one the steps are listed',
  { timeout: 40_000 },
  async () => {
    const repo = mkdtempSync(join(tmpdir(), 'capstan-logs-repo-'));
    try {
      gitIn(repo, 'init', '-q', '-b', 'main');
      mkdirSync(join(repo, '.capstan'));
      writeFileSync(
        join(repo, '.capstan', 'pipeline.yaml'),
        'name: tiny\non: { manual: true }\njobs:\n  build:\n    runs-on: a\n    steps:\n' +
          '      - { name: greet, run: echo "hello from step 0" }\n' +
          '      - { name: warn, run: echo "step 1 warns" >&2 }\n',
      );
      gitIn(repo, 'add', '-A');
      gitIn(repo, 'commit', '-q', '-m', 'tiny pipeline');
      const sha = gitIn(repo, 'rev-parse', 'HEAD');
      const started = await stack.request('POST', '/v1/pipelines/runs', {
        repository: 'acme/tiny',
        cloneUrl: repo,
        sha,
        branch: 'main',
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const runId: string = started.body.runId;
      const run = await waitForRunEnd(stack, encodeURIComponent(runId));
      assert.equal(run.status, 'completed', JSON.stringify(run.pipeline ?? run.failure));

      const missing = await capstan(['logs', runId]);
      assert.equal(missing.code, 2, missing.err);
      assert.match(missing.err, /is a pipeline: name one of its tasks \(<job>\/<step>\).*\ntasks: build\/0, build\/1/);
      const first = await capstan(['logs', runId, 'build/0']);
      assert.equal(first.code, 0, first.err);
      assert.equal(first.out.split('\n')[0], 'hello from step 0');
      const second = await capstan(['logs', runId, 'build/1', '--stream', 'stderr', '--follow']);
      assert.equal(second.code, 0, second.err);
      assert.equal(second.out, 'step 1 warns\n');
      assert.equal((await capstan(['logs', runId, 'build/7'])).code, 2);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  },
);
