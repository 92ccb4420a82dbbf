/**
 * `if:` conditions of pipeline jobs and steps: the pipeline dialect of the expression language (and
 * that the DAG's language stays without it), GitHub's implicit success(), the reasons a skipped job
 * or step gives, and validation at submit with line and column; plus the step controls beside them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeClass } from '../../config/node-classes';
import { parsePipelineYaml, PipelineSpecError } from '../../api/pipelines/parse-pipeline';
import type { JobRecord, PipelineTrigger, StepRecord } from '../../workflows/contracts/pipeline-run';
import type { PipelineSpec } from '../../workflows/contracts/pipeline-spec';
import { ExpressionError, parseExpression } from '../../workflows/dag/expression';
import { evaluateGate, parseCondition, resultOf } from '../../workflows/pipeline/conditions';
import { jobGate, stepGate } from '../../workflows/pipeline/gates';
import { withJobDefaults } from '../../workflows/pipeline/step-defaults';
import { PipelineTemplateError, renderPipelineTemplate } from '../../workflows/pipeline/templates';

const CLASSES: NodeClass[] = [{ name: 'general', concurrency: 2, pricePerHour: 0.1, labels: {} }];

const TRIGGER: PipelineTrigger = {
  event: 'push',
  repository: 'acme/web',
  cloneUrl: '/tmp/x',
  sha: 'a'.repeat(40),
  branch: 'feature/x',
  triggeredBy: 'alice',
  inputs: { target: 'staging', dry: true },
};

function yaml(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

function parse(text: string): PipelineSpec {
  return parsePipelineYaml(yaml(text), 'ci.yaml', CLASSES);
}

function rejection(text: string): string[] {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof PipelineSpecError) return err.message.split('\n');
    throw err;
  }
  return assert.fail('expected the pipeline to be rejected');
}

function conditionError(source: string): PipelineTemplateError {
  try {
    parseCondition(source);
  } catch (err) {
    if (err instanceof PipelineTemplateError) return err;
    throw err;
  }
  return assert.fail('expected an error');
}

describe('the pipeline dialect of the expression language', () => {
  test('a condition is written bare or whole in ${{ }}; both read the same', () => {
    assert.deepEqual(parseCondition("branch == 'main'"), parseCondition("${{ branch == 'main' }}"));
    assert.deepEqual(parseCondition('needs.build.result'), {
      type: 'context',
      path: ['needs', 'build', 'result'],
    });
    assert.deepEqual(parseCondition("steps.tag.outputs['odd name']"), {
      type: 'context',
      path: ['steps', 'tag', 'outputs', 'odd name'],
    });
  });

  test('malformed conditions say where, in the text as written', () => {
    assert.equal(conditionError("branch == 'main' &&").position, 19);
    assert.match(conditionError("${{ branch == 'main' &&  }}").reason, /expected a value, found end of input/);
    assert.equal(conditionError("${{ branch == 'main' &&  }}").position, 25);
    const mixed = conditionError("${{ branch }} == 'main'");
    assert.match(mixed.reason, /write it bare, or wrap all of it in one \$\{\{ \}\}/);
    assert.equal(mixed.position, 0);
    assert.match(conditionError('github.ref').reason, /unknown context 'github'/);
    assert.match(conditionError('brnach').reason, /unknown name 'brnach'/);
    assert.match(conditionError('tasks.a.status').reason, /unknown context 'tasks'/);
    assert.match(conditionError('nope()').reason, /unknown function 'nope'/);
  });

  test('the DAG language is unchanged: it reads neither pipeline contexts nor cancelled()', () => {
    assert.throws(() => parseExpression("branch == 'main'"), ExpressionError);
    assert.throws(() => parseExpression('cancelled()'), /unknown function 'cancelled'/);
    assert.deepEqual(parseExpression('tasks.a.status'), { type: 'status', task: 'a' });
  });

  test('templates read the trigger and inputs', () => {
    const run = { branch: 'main', event: 'manual', sha: 'abc', repository: 'acme/web', inputs: { target: 'prod' } };
    assert.equal(
      renderPipelineTemplate('${{ branch }}/${{ event }}/${{ inputs.target }}/${{ inputs.missing }}.', {
        steps: {},
        needs: {},
        run,
      }),
      'main/manual/prod/.',
    );
  });
});

describe('evaluating a condition', () => {
  const facts = (results: Array<'success' | 'failure' | 'skipped'>, contexts: Record<string, unknown> = {}) => ({
    contexts,
    before: results.map((result, i) => ({ name: `j${i}`, result })),
    cancelled: false,
  });

  test('no condition is success(); a condition without a status function is success() && it', () => {
    assert.deepEqual(evaluateGate(undefined, facts(['success']), 'blocked'), { run: true });
    assert.deepEqual(evaluateGate(undefined, facts(['failure']), 'blocked'), { run: false, reason: 'blocked' });
    assert.deepEqual(evaluateGate("branch == 'main'", facts(['failure'], { branch: 'main' }), 'blocked'), {
      run: false,
      reason: 'blocked',
    });
    assert.deepEqual(evaluateGate("branch == 'main'", facts(['success'], { branch: 'feature/x' }), 'blocked'), {
      run: false,
      reason: "if: branch == 'main' was false (branch is feature/x)",
    });
  });

  test('failure(), always() and success() say when they apply', () => {
    assert.equal(evaluateGate('failure()', facts(['success', 'failure']), 'x').run, true);
    assert.deepEqual(evaluateGate('${{ failure() }}', facts(['success', 'success']), 'x'), {
      run: false,
      reason: 'if: ${{ failure() }} was false (before it: j0 success, j1 success)',
    });
    assert.equal(evaluateGate('always()', facts(['failure', 'skipped']), 'x').run, true);
    assert.equal(evaluateGate("always() && event == 'push'", facts(['failure'], { event: 'push' }), 'x').run, true);
    assert.equal(evaluateGate('success()', facts(['success', 'skipped']), 'x').run, false);
    assert.equal(evaluateGate('cancelled()', facts(['success']), 'x').run, false);
    assert.equal(evaluateGate('cancelled()', { ...facts([]), cancelled: true }, 'x').run, true);
  });

  test('results in GitHub words; continue-on-error makes a failure a success', () => {
    assert.equal(resultOf('succeeded'), 'success');
    assert.equal(resultOf('failed'), 'failure');
    assert.equal(resultOf('failed', true), 'success');
    assert.equal(resultOf('skipped'), 'skipped');
    assert.equal(resultOf('cancelled'), 'cancelled');
  });
});

describe('job and step gates from the run records', () => {
  const spec = parse(`
    name: gates
    jobs:
      build: { runs-on: general, steps: [{ run: make }] }
      test: { runs-on: general, needs: [build], steps: [{ run: make test }] }
      deploy:
        runs-on: general
        needs: [test]
        if: branch == 'main'
        steps: [{ run: ./deploy }]
      notify:
        runs-on: general
        needs: [deploy]
        if: failure()
        steps: [{ run: ./notify }]
      report:
        runs-on: general
        needs: [test]
        if: always() && needs.test.result == 'skipped'
        steps: [{ run: ./report }]
  `);
  const records = (statuses: Record<string, JobRecord['status']>) => (id: string) =>
    ({ id, status: statuses[id] ?? 'pending', nodeClass: 'general', steps: [] }) as JobRecord;

  test('a deploy job on a feature branch is skipped with the value its condition read', () => {
    const gate = jobGate(spec, TRIGGER, 'deploy', records({ build: 'succeeded', test: 'succeeded' }));
    assert.deepEqual(gate, { run: false, reason: "if: branch == 'main' was false (branch is feature/x)" });
    assert.deepEqual(
      jobGate(spec, { ...TRIGGER, branch: 'main' }, 'deploy', records({ build: 'succeeded', test: 'succeeded' })),
      {
        run: true,
      },
    );
  });

  test('failure() sees a failure upstream through a skipped job; with none, notify is skipped saying so', () => {
    const failed = records({ build: 'failed', test: 'skipped', deploy: 'skipped' });
    assert.equal(jobGate(spec, TRIGGER, 'notify', failed).run, true);
    const fine = records({ build: 'succeeded', test: 'succeeded', deploy: 'succeeded' });
    assert.deepEqual(jobGate(spec, TRIGGER, 'notify', fine), {
      run: false,
      reason: 'if: failure() was false (before it: deploy success, test success, build success)',
    });
    // Without a condition a job behind a failure keeps the message it had before conditions existed.
    assert.deepEqual(jobGate(spec, TRIGGER, 'test', failed), {
      run: false,
      reason: 'needs build, which did not succeed',
    });
    assert.equal(jobGate(spec, TRIGGER, 'report', failed).run, true);
  });

  test('a step reads the outcome and conclusion of earlier steps; continue-on-error keeps success()', () => {
    const job = parse(`
      name: s
      jobs:
        j:
          runs-on: general
          steps:
            - id: lint
              run: exit 1
              continue-on-error: true
            - run: make
            - if: steps.lint.outcome == 'failure' && steps.lint.conclusion == 'success'
              run: echo lint failed
            - if: failure()
              run: echo cleanup
    `).jobs.j!;
    const recs: StepRecord[] = [
      { name: 'lint', status: 'failed', continuedOnError: true },
      { name: 'make', status: 'pending' },
      { name: 'echo', status: 'pending' },
      { name: 'cleanup', status: 'pending' },
    ];
    const scope = { steps: {}, needs: {} };
    assert.deepEqual(stepGate(job.steps, recs, 1, scope, {}), { run: true });
    recs[1]!.status = 'succeeded';
    assert.deepEqual(stepGate(job.steps, recs, 2, scope, {}), { run: true });
    recs[2]!.status = 'succeeded';
    assert.equal(stepGate(job.steps, recs, 3, scope, {}).run, false);
    recs[1]!.status = 'failed';
    assert.deepEqual(stepGate(job.steps, recs, 2, scope, {}), {
      run: false,
      reason: 'an earlier step did not succeed ("make")',
    });
    assert.equal(stepGate(job.steps, recs, 3, scope, {}).run, true);
  });
});

describe('validation of conditions and step controls at submit', () => {
  const base = (jobIf: string, stepLines = '        - run: make') =>
    [
      'name: v',
      'jobs:',
      '  build:',
      '    runs-on: general',
      '    steps:',
      '      - id: tag',
      '        run: make',
      '  deploy:',
      '    runs-on: general',
      '    needs: [build]',
      `    if: ${jobIf}`,
      '    steps:',
      stepLines,
      '',
    ].join('\n');

  test('a malformed condition is refused at its line and column', () => {
    assert.deepEqual(rejection(base("branch == 'main' &&")), [
      'ci.yaml:11:5: jobs.deploy.if: expected a value, found end of input (at character 20 of the value)',
    ]);
    assert.deepEqual(rejection(base('"${{ branch }} == \'x\'"')), [
      'ci.yaml:11:5: jobs.deploy.if: a condition is one expression: write it bare, or wrap all of it in one ${{ }} (at character 1 of the value)',
    ]);
  });

  test('unknown references are named: a job outside needs, a field, a step in a job condition', () => {
    assert.deepEqual(rejection(base("needs.biuld.result == 'success'")), [
      'ci.yaml:11:5: jobs.deploy.if: needs.biuld.result: unknown job "biuld"; did you mean "build"?',
    ]);
    assert.deepEqual(rejection(base('needs.build.status')), [
      'ci.yaml:11:5: jobs.deploy.if: needs.build.status: unknown field "status"; needs.<id> has outputs, result',
    ]);
    assert.deepEqual(rejection(base("steps.tag.outcome == 'success'")), [
      "ci.yaml:11:5: jobs.deploy.if: steps.tag.outcome: a job's if: runs before its steps; read steps.<id> in a step's if:",
    ]);
    assert.deepEqual(rejection(base('branch.name')), [
      'ci.yaml:11:5: jobs.deploy.if: branch.name: branch is a plain value and has no fields',
    ]);
    assert.deepEqual(
      rejection(
        base(
          'always()',
          '        - if: steps.later.outcome\n          run: make\n        - id: later\n          run: x',
        ),
      ),
      [
        'ci.yaml:13:11: jobs.deploy.steps[0].if: steps.later.outcome: step "later" is steps[1], which runs after this one; a step reads the outputs of earlier steps only',
      ],
    );
  });

  test('a step gives its timeout and working directory one way each', () => {
    assert.deepEqual(
      rejection(base('always()', '        - run: make\n          timeoutSeconds: 60\n          timeout-minutes: 2')),
      ['ci.yaml:15:11: jobs.deploy.steps[0].timeout-minutes: and timeoutSeconds both set the step timeout; keep one'],
    );
    assert.deepEqual(
      rejection(base('always()', '        - run: make\n          workingDirectory: a\n          working-directory: b')),
      [
        'ci.yaml:15:11: jobs.deploy.steps[0].working-directory: and workingDirectory both set the working directory; keep one',
      ],
    );
    assert.match(rejection(base('always()', '        - run: make\n          shell: zsh'))[0]!, /steps\[0\]\.shell: /);
  });

  test('a valid pipeline with every control parses; old files stay valid', () => {
    const spec = parse(
      `
      name: ok
      jobs:
        build:
          runs-on: general
          timeout-minutes: 30
          continue-on-error: true
          defaults: { run: { working-directory: app, shell: sh } }
          if: \${{ github_free == null || event != 'pull_request' }}
          steps:
            - run: make
              timeout-minutes: 1.5
              continue-on-error: true
            - checkout: true
              if: always()
            - run: never
              if: false
    `.replace('github_free == null || ', ''),
    );
    const job = spec.jobs.build!;
    assert.equal(job['timeout-minutes'], 30);
    assert.equal(job.steps[2]!.if, 'false', 'YAML reads if: false as a boolean; it is the expression false');
    const step = withJobDefaults(job.steps[0]!, job);
    assert.ok('run' in step);
    assert.equal(step.workingDirectory, 'app');
    assert.equal(step.shell, 'sh');
    assert.equal(step.timeoutSeconds, 90);
    const own = withJobDefaults({ ...job.steps[0]!, 'working-directory': 'own', shell: 'bash' } as typeof step, job);
    assert.ok('run' in own);
    assert.equal(own.workingDirectory, 'own');
    assert.equal(own.shell, 'bash');
    assert.equal(
      withJobDefaults({ run: 'x', env: {}, retry: step.retry } as typeof step, { ...job, defaults: undefined })
        .timeoutSeconds,
      3600,
    );
  });
});
