/** The chaos run's verdicts and command line: what counts as lost, and options refused with their name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadRun } from '../../chaos/load';
import { parseChaosOptions } from '../../chaos/options';
import { verdictOf } from '../../chaos/report';
import type { PlannedRun } from '../../chaos/specs';

const planned = (onPurpose: boolean): PlannedRun => ({ kind: 'task', onPurpose, path: '/v1/tasks', body: {} });
const run = (onPurpose: boolean, status: string | undefined, view?: unknown): LoadRun => ({
  planned: planned(onPurpose),
  key: 'k',
  runId: 'r',
  startRetries: 0,
  status,
  view,
});

test('a run made to fail counts as failed on purpose only when it failed with its own exit code', () => {
  const own = { status: 'failed', failure: { message: 'command exited with code 37 (after 2 attempts)' } };
  assert.equal(verdictOf(run(true, 'failed', own)).verdict, 'failed on purpose');
  const dag = { status: 'failed', dag: { nodes: [{ key: 'side', status: 'failed', exitCode: 37 }] } };
  assert.equal(verdictOf(run(true, 'failed', dag)).verdict, 'failed on purpose');
  const chaos = { status: 'failed', failure: { message: 'task failed after 5 attempts: activity timed out' } };
  assert.equal(verdictOf(run(true, 'failed', chaos)).verdict, 'lost');
  assert.equal(verdictOf(run(true, 'failed', { failure: { message: 'exited with code 370' } })).verdict, 'lost');
  assert.equal(verdictOf(run(true, 'completed', {})).verdict, 'lost', 'a run made to fail that completed is wrong');
});

test('a run meant to succeed is lost when it failed, timed out or never ended', () => {
  assert.equal(verdictOf(run(false, 'completed', {})).verdict, 'completed');
  assert.equal(verdictOf(run(false, 'failed', { failure: { message: 'code 37' } })).verdict, 'lost');
  assert.equal(verdictOf(run(false, 'timed_out', {})).verdict, 'lost');
  assert.deepEqual(verdictOf(run(false, undefined)), { verdict: 'lost', why: 'never ended' });
});

test('the command line: defaults, and a bad option named in the message', () => {
  const defaults = parseChaosOptions([]);
  assert.equal(defaults.profile, 'cluster');
  assert.equal(defaults.minutes, 10);
  assert.equal(parseChaosOptions(['--profile', 'start', '--minutes', '2']).minutes, 2);
  assert.throws(() => parseChaosOptions(['--profile', 'dev']), /--profile: expected cluster or start, got "dev"/);
  assert.throws(() => parseChaosOptions(['--minutes', 'ten']), /--minutes: expected a number/);
  assert.throws(() => parseChaosOptions(['--minutes']), /--minutes needs a value/);
  assert.throws(() => parseChaosOptions(['--fast']), /unknown option --fast/);
});
