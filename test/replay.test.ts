/** Recorded task, DAG and pipeline workflow histories (older versions kept as *-v0.1.json) still replay: a change to workflow logic that would break running workflows fails here. */
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const HISTORIES = join(__dirname, '..', '..', 'test', 'histories');

test('every recorded history replays without nondeterminism', { timeout: 120_000 }, async () => {
  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 9, 'histories are recorded (see test/record-histories.ts)');
  assert.ok(files.some((f) => f.startsWith('dag-')), 'DAG histories are among them');
  assert.ok(files.some((f) => f.startsWith('pipeline-')), 'pipeline histories are among them');
  const histories = files.map((file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8'))) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: require.resolve('../workflows') }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.deepEqual(failures, []);
});
