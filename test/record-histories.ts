/**
 * Records task-workflow histories for the replay test: `node dist/test/record-histories.js` with
 * CAPSTAN_TEST_TEMPORAL_ADDRESS and CAPSTAN_TEST_TEMPORAL_BIN pointing at a dev server and its CLI. Re-record only when a change is meant
 * to be incompatible and is guarded by `patched()`; keep the old files to prove the guard.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestStack, testTemporalAddress, waitForRunEnd } from './helpers/test-stack';

const SCENARIOS: Record<string, Record<string, unknown>> = {
  'task-succeeds': { nodeClass: 'a', command: 'echo hello; echo "k=v" >> "$CAPSTAN_OUTPUT"' },
  'task-retries-then-fails': { nodeClass: 'a', command: 'exit 2', retry: { maxAttempts: 2, initialIntervalSeconds: 0.1 } },
  'task-cancelled': { nodeClass: 'a', command: 'sleep 30' },
};

async function main(): Promise<void> {
  const stack = await startTestStack();
  try {
    for (const [name, spec] of Object.entries(SCENARIOS)) {
      const { body } = await stack.request('POST', '/v1/tasks', spec);
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
