/** The texts the Temporal Web UI shows for a run's activities and current details. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PipelineRunState } from '../../workflows/contracts/pipeline-run';
import { describePipeline } from '../../workflows/pipeline/details';
import { stackSummary, stepSummary, taskSummary } from '../../workflows/summaries';

test('a task names itself and its node class, and its attempt only when it may retry', () => {
  assert.equal(taskSummary(undefined, 'general'), 'task on general');
  assert.equal(taskSummary('test[3]', 'gpu', 1, 1), 'test[3] on gpu');
  assert.equal(taskSummary('build', 'general', 2, 3), 'build on general, attempt 2 of 3');
});

test('a pipeline step names its job, its number from 1, its label and node class', () => {
  const place = { jobId: 'deploy', kind: 'step' as const, index: 1, label: 'migrate', nodeClass: 'general' };
  assert.equal(stepSummary(place), 'deploy / step 2: migrate on general');
  assert.equal(
    stepSummary({ ...place, kind: 'rollback', index: 0 }, 1, 2),
    'deploy / rollback 1: migrate on general, attempt 1 of 2',
  );
});

test('a stack operation names the operation, the stack and the phase', () => {
  assert.equal(stackSummary('up', 'shop', 'db', 'apply'), 'up shop/db (apply)');
  assert.equal(stackSummary('refresh', 'shop', 'db'), 'refresh shop/db');
});

test("a pipeline's details name the running step and its worker, and how other jobs ended", () => {
  const state: PipelineRunState = {
    name: 'web',
    trigger: {
      event: 'manual',
      repository: 'acme/web',
      cloneUrl: '/srv/git/web',
      sha: '0123456789abcdef0123',
      branch: 'main',
      triggeredBy: 'ann',
    },
    status: 'running',
    jobs: [
      {
        id: 'build',
        status: 'running',
        nodeClass: 'general',
        worker: 'host/general/1',
        steps: [
          { name: 'checkout', status: 'succeeded' },
          { name: 'compile', status: 'running', attempts: 2 },
        ],
      },
      { id: 'lint', status: 'failed', nodeClass: 'general', steps: [], message: 'step "eslint" failed: exit 1' },
      { id: 'deploy', status: 'waiting-approval', nodeClass: 'general', steps: [] },
    ],
  };
  assert.equal(
    describePipeline(state),
    [
      '**web** on main @ 0123456789ab: running',
      '',
      '- build: running step 2 of 2: compile on general (worker host/general/1), attempt 2',
      '- lint: failed (step "eslint" failed: exit 1)',
      '- deploy: waiting-approval',
    ].join('\n'),
  );
});
