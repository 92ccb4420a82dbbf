/**
 * Following a task log live: lines arrive as they are printed, a dropped stream resumes with
 * Last-Event-ID losing and repeating nothing, and a worker killed with SIGKILL leaves its lines
 * readable while the retried attempt gets a log of its own.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ startWorkersFor: ['a'], heartbeatTimeoutSeconds: 3 });
});
after(async () => {
  await stack?.stop();
});

interface SseEvent {
  event: string;
  id?: string;
  data: unknown;
  at: number;
}

/**
 * Opens a followed log and collects its events; `stopWhen` may end the read early (a dropped
 * connection) by returning true for an event.
 */
async function follow(
  path: string,
  options: { lastEventId?: string; stopWhen?: (e: SseEvent, all: SseEvent[]) => boolean } = {},
): Promise<SseEvent[]> {
  const abort = new AbortController();
  const response = await fetch(`${stack.baseUrl}${path}`, {
    headers: {
      Authorization: `Bearer ${stack.adminToken}`,
      ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}),
    },
    signal: abort.signal,
  });
  // The body is read for the message only on failure: reading it first would wait for the stream's end.
  if (response.status !== 200) assert.fail(`${response.status}: ${await response.text()}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data === undefined) continue; // a keep-alive comment
        const event: SseEvent = {
          event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message',
          id: /^id: (.*)$/m.exec(block)?.[1],
          data: JSON.parse(data),
          at: Date.now(),
        };
        events.push(event);
        if (options.stopWhen?.(event, events)) {
          abort.abort();
          return events;
        }
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  }
  return events;
}

const textOf = (events: SseEvent[]): string =>
  events
    .filter((e) => e.event === 'log')
    .map((e) => e.data as string)
    .join('');

async function startDag(command: string): Promise<string> {
  const started = await stack.request('POST', '/v1/dags', {
    name: 'follow',
    tasks: [{ id: 'ticker', nodeClass: 'a', command }],
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return started.body.runId;
}

test(
  'a followed DAG task log shows each line as it is printed and ends with the task',
  { timeout: 60_000 },
  async (t) => {
    const runId = await startDag('for i in 1 2 3 4 5; do echo "tick $i"; sleep 1; done');
    // Followed before the task has started: the stream waits for its first attempt.
    const events = await follow(`/v1/runs/${runId}/tasks/ticker/log?follow=true`);
    const ticks = events.filter((e) => e.event === 'log' && /tick/.test(e.data as string));
    const arrivals = new Map<string, number>();
    for (const e of ticks) for (const line of (e.data as string).match(/tick \d/g) ?? []) arrivals.set(line, e.at);
    assert.deepEqual([...arrivals.keys()], ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5']);
    const times = [...arrivals.values()];
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    t.diagnostic(`gaps between ticks as received: ${gaps.join(', ')} ms`);
    assert.ok(
      times.at(-1)! - times[0]! >= 3000,
      `lines arrived over ${times.at(-1)! - times[0]!} ms, not all at the end`,
    );
    const end = events.at(-1)!;
    assert.equal(end.event, 'end');
    assert.equal((end.data as { state: string }).state, 'ended');
    assert.ok(end.at - times.at(-1)! < 5000, 'the stream ends when the task does');
    assert.equal(events[0]!.event, 'attempt');
    const run = await waitForRunEnd(stack, runId);
    assert.equal(run.status, 'completed');
  },
);

test('a dropped stream resumed with Last-Event-ID loses and repeats nothing', { timeout: 60_000 }, async () => {
  const runId = await startDag('for i in $(seq 1 12); do echo "line $i"; sleep 0.25; done');
  const path = `/v1/runs/${runId}/tasks/ticker/log?follow=true`;
  const first = await follow(path, { stopWhen: (_e, all) => all.filter((x) => x.event === 'log').length === 2 });
  const lastId = first.filter((e) => e.id).at(-1)!.id!;
  const rest = await follow(path, { lastEventId: lastId });
  assert.equal(rest.at(-1)!.event, 'end');
  const streamed = textOf(first) + textOf(rest);
  await waitForRunEnd(stack, runId);
  const stored = await fetch(`${stack.baseUrl}/v1/runs/${runId}/tasks/ticker/log`, {
    headers: { Authorization: `Bearer ${stack.adminToken}` },
  }).then((r) => r.text());
  assert.equal(streamed, stored, 'the two streams together are the log, once');
  assert.match(stored, /^line 1\n(line \d+\n){11}\[capstan\] exited with code 0/);
});

test(
  'kill -9 of the worker mid-attempt: the lines written before it stay readable, the retry has its own log',
  { timeout: 120_000 },
  async () => {
    await stack.startWorker('a');
    const started = await stack.request('POST', '/v1/tasks', {
      nodeClass: 'a',
      command:
        'if [ "$CAPSTAN_ATTEMPT" = 1 ]; then i=0; while true; do i=$((i+1)); echo "first attempt line $i"; sleep 0.1; done; fi; echo "second attempt done"',
    });
    const runId = started.body.runId;
    // Whichever worker took it, follow attempt 1 and kill the worker that runs it once lines are stored.
    const following = follow(`/v1/runs/${runId}/log?follow=true&attempt=1`);
    let seen = '';
    for (let i = 0; i < 100 && (seen.match(/\n/g) ?? []).length < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const answer = await fetch(`${stack.baseUrl}/v1/runs/${runId}/log?attempt=1`, {
        headers: { Authorization: `Bearer ${stack.adminToken}` },
      });
      if (answer.status === 200) seen = await answer.text();
    }
    // Two workers poll class a (the stack's and this test's); the one running the attempt is killed, the other retries it.
    const ran = await stack.db.query('SELECT worker FROM task_logs WHERE run_id = $1 AND attempt = 1', [runId]);
    const pid = Number(/\/(\d+)$/.exec(ran.rows[0].worker)![1]);
    process.kill(pid, 'SIGKILL');
    const seenLines = seen.trimEnd().split('\n');
    const run = await waitForRunEnd(stack, runId, 90_000);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.equal(run.result.attempts, 2);

    const headers = { Authorization: `Bearer ${stack.adminToken}` };
    const firstLog = await fetch(`${stack.baseUrl}/v1/runs/${runId}/log?attempt=1`, { headers });
    const firstText = await firstLog.text();
    assert.equal(firstLog.headers.get('x-capstan-log-state'), 'running', 'never closed: its worker died');
    const kept = firstText.trimEnd().split('\n');
    assert.deepEqual(kept.slice(0, seenLines.length), seenLines, 'everything read before the kill is still there');
    kept.forEach((line, i) => assert.equal(line, `first attempt line ${i + 1}`, 'and nothing is missing in between'));
    const secondText = await fetch(`${stack.baseUrl}/v1/runs/${runId}/log?attempt=2`, { headers }).then((r) =>
      r.text(),
    );
    assert.match(secondText, /^second attempt done\n\[capstan\] exited with code 0/);
    assert.equal(await fetch(`${stack.baseUrl}/v1/runs/${runId}/log`, { headers }).then((r) => r.text()), secondText);

    const followed = await following;
    const end = followed.at(-1)!;
    assert.equal(end.event, 'end');
    assert.equal((end.data as { state: string }).state, 'lost', 'a follower of the killed attempt is told it was lost');
    assert.equal(textOf(followed), firstText);
  },
);
