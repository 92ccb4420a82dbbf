/**
 * Recorded histories of every workflow type (older versions kept as *-v0.1.json and the like) still
 * replay: a change to workflow logic that would break running workflows fails here.
 */
import { Worker } from '@temporalio/worker';
import { capstanDataConverter } from '../config/payload-codec';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const HISTORIES = join(__dirname, '..', '..', 'test', 'histories');

/** The workflow type each recorded history is of, from its first event. */
function recordedTypes(): Set<string> {
  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  return new Set(
    files.map((file) => {
      const history = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')) as { events: Array<Record<string, any>> };
      const events = history.events;
      return String(events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name);
    }),
  );
}

test('every workflow type Capstan registers has a recorded history', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registered = Object.keys(require('../workflows') as Record<string, unknown>).sort();
  assert.ok(registered.length >= 8, `workflows/index.ts exports the workflows: ${registered.join(', ')}`);
  const recorded = recordedTypes();
  const missing = registered.filter((type) => !recorded.has(type));
  assert.deepEqual(missing, [], 'record a history of each (see test/record-histories.ts)');
});

test('every recorded history replays without nondeterminism', { timeout: 120_000 }, async () => {
  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 9, 'histories are recorded (see test/record-histories.ts)');
  assert.ok(
    files.some((f) => f.startsWith('dag-')),
    'DAG histories are among them',
  );
  assert.ok(
    files.some((f) => f.startsWith('pipeline-')),
    'pipeline histories are among them',
  );
  const histories = files.map((file) => ({
    workflowId: file,
    history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8'))),
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowsPath: require.resolve('../workflows'), dataConverter: capstanDataConverter },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.deepEqual(failures, []);
});
