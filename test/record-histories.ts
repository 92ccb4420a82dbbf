/**
 * Records task-workflow histories for the replay test: `node dist/test/record-histories.js` with
 * CAPSTAN_TEST_TEMPORAL_ADDRESS and CAPSTAN_TEST_TEMPORAL_BIN pointing at a dev server and its CLI. Re-record only when a change is meant
 * to be incompatible and is guarded by `patched()`; keep the old files to prove the guard.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestStack, testTemporalAddress, waitForRunEnd } from './helpers/test-stack';

const chain = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, nodeClass: 'a', command: 'true', dependsOn: i > 0 ? [`t${i - 1}`] : [] }));

/** Each scenario: the route it is posted to, and the body. */
const SCENARIOS: Record<string, [string, Record<string, unknown>]> = {
  'task-succeeds': ['/v1/tasks', { nodeClass: 'a', command: 'echo hello; echo "k=v" >> "$CAPSTAN_OUTPUT"' }],
  'task-retries-then-fails': ['/v1/tasks', { nodeClass: 'a', command: 'exit 2', retry: { maxAttempts: 2, initialIntervalSeconds: 0.1 } }],
  'task-cancelled': ['/v1/tasks', { nodeClass: 'a', command: 'sleep 30' }],
  'dag-diamond-matrix': ['/v1/dags', {
    name: 'diamond', tasks: [
      { id: 'a', nodeClass: 'a', command: 'echo "v=1" >> "$CAPSTAN_OUTPUT"' },
      { id: 'b', nodeClass: 'a', dependsOn: ['a'], matrix: { n: [1, 2, 3] }, command: 'echo "sq=${{ matrix.n }}" >> "$CAPSTAN_OUTPUT"' },
      { id: 'c', nodeClass: 'b', dependsOn: ['a'], when: "tasks.a.outputs.v == '1'", command: 'true' },
      { id: 'd', nodeClass: 'a', dependsOn: ['b', 'c'], command: 'echo ${{ tasks.b.outputs.sq }}' },
    ],
  }],
  'dag-fail-fast': ['/v1/dags', {
    name: 'fail-fast', tasks: [
      { id: 'boom', nodeClass: 'a', command: 'sleep 0.3; exit 1' },
      { id: 'slow', nodeClass: 'b', command: 'sleep 5' },
      { id: 'after', nodeClass: 'a', dependsOn: ['boom'], command: 'true' },
    ],
  }],
  // With the stack's low continue-as-new threshold this records a later execution, which starts from carried state.
  'dag-continued-as-new': ['/v1/dags', { name: 'chain', maxParallel: 5, tasks: chain(40) }],
};

async function main(): Promise<void> {
  const stack = await startTestStack({ continueAsNewAfterEvents: 150 });
  try {
    for (const [name, [route, spec]] of Object.entries(SCENARIOS)) {
      const { body } = await stack.request('POST', route, spec);
      if (name === 'task-cancelled') {
        await new Promise((r) => setTimeout(r, 1500));
        await stack.request('POST', `/v1/runs/${body.runId}/cancel`);
      }
      await waitForRunEnd(stack, body.runId);
      // The CLI's JSON is the format Temporal documents for replay tests.
      const history = execFileSync(process.env.CAPSTAN_TEST_TEMPORAL_BIN ?? 'temporal',
        ['workflow', 'show', '--workflow-id', body.runId, '--address', testTemporalAddress(), '--output', 'json'], { encoding: 'utf8' });
      writeFileSync(join(__dirname, '..', '..', 'test', 'histories', `${name}.json`), history);
      process.stderr.write(`recorded ${name}\n`);
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
