/**
 * Step and job outputs in pipeline templates: validation of `steps.<id>` and `needs.<job>`
 * references (each problem at its field's line and column), rendering through the DAG expression
 * language, and the worker's side: large outputs stored by reference, expanded before a step runs.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { NodeClass } from '../../config/node-classes';
import { createPipelineActivities, type RunJobStepInput, type StepOutcome } from '../../activities/pipeline';
import type { ArtifactStore } from '../../config/artifacts/artifact-store';
import { LocalOutputStore as OutputStore } from '../../config/outputs/local-output-store';
import { parsePipelineYaml, PipelineSpecError } from '../../api/pipelines/parse-pipeline';
import { parseOutputRef } from '../../workflows/contracts/output-ref';
import type { PipelineStep } from '../../workflows/contracts/pipeline-spec';
import { renderJobEnv, renderJobOutputs, renderStep } from '../../workflows/pipeline/render-step';
import {
  parsePipelineTemplate,
  PipelineTemplateError,
  renderPipelineTemplate,
} from '../../workflows/pipeline/templates';

const CLASSES: NodeClass[] = [{ name: 'general', concurrency: 2, pricePerHour: 0.1, labels: {} }];

/** Drops the first newline and the common indentation, so that line 1 is the fixture's first line. */
function yaml(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

/** The formatted lines of the error a pipeline is rejected with. */
function rejection(text: string): string[] {
  try {
    parsePipelineYaml(text, 'ci.yaml', CLASSES);
  } catch (err) {
    if (err instanceof PipelineSpecError) return err.message.split('\n');
    throw err;
  }
  return assert.fail('expected the pipeline to be rejected');
}

// Line numbers matter: the tests below replace single lines of this fixture and name them.
const VALID = yaml(`
  name: outputs
  jobs:
    build:
      runs-on: general
      outputs:
        version: \${{ steps.tag.outputs.version }}
      steps:
        - id: tag
          run: echo "version=1.2.3" >> "$CAPSTAN_OUTPUT"
        - run: echo "\${{ steps.tag.outputs.version }}"
          env:
            V: v\${{ steps.tag.outputs.version }}
    deploy:
      runs-on: general
      needs: [build]
      env:
        RELEASE: \${{ needs.build.outputs.version }}
      steps:
        - run: echo "\${{ needs.build.outputs.version }}"
    notify:
      runs-on: general
      needs: [deploy]
      steps:
        - run: echo done
`);

/** VALID with line `line` (1-based) replaced. */
function withLine(line: number, text: string): string {
  const lines = VALID.split('\n');
  lines[line - 1] = text;
  return lines.join('\n');
}

describe('validation of output references', () => {
  test('the fixture is valid, and ids and outputs survive parsing', () => {
    const spec = parsePipelineYaml(VALID, 'ci.yaml', CLASSES);
    assert.equal(spec.jobs.build!.steps[0]!.id, 'tag');
    assert.deepEqual(spec.jobs.build!.outputs, { version: '${{ steps.tag.outputs.version }}' });
  });

  test('an unknown step id is named at its field, with a near miss suggested', () => {
    assert.deepEqual(rejection(withLine(10, '      - run: echo "${{ steps.tga.outputs.version }}"')), [
      'ci.yaml:10:9: jobs.build.steps[1].run: steps.tga.outputs.version: unknown step id "tga" in job "build"; did you mean "tag"?',
    ]);
  });

  test('a step reading a later step, or itself, is refused', () => {
    const later = yaml(`
      name: x
      jobs:
        j:
          runs-on: general
          steps:
            - run: echo \${{ steps.second.outputs.v }}
            - id: second
              run: echo v=1 >> "$CAPSTAN_OUTPUT"
    `);
    assert.deepEqual(rejection(later), [
      'ci.yaml:6:9: jobs.j.steps[0].run: steps.second.outputs.v: step "second" is steps[1], which runs after this one; a step reads the outputs of earlier steps only',
    ]);
    const self = later.replace('run: echo v=1', 'run: echo ${{ steps.second.outputs.v }}');
    assert.match(
      rejection(self).at(-1)!,
      /^ci\.yaml:8:9: jobs\.j\.steps\[1\]\.run: steps\.second\.outputs\.v: is this step; /,
    );
  });

  test('a job reading a job that is not in its own needs is refused, also when it is needed through another job', () => {
    assert.deepEqual(rejection(withLine(24, '      - run: echo ${{ needs.build.outputs.version }}')), [
      'ci.yaml:24:9: jobs.notify.steps[0].run: needs.build.outputs.version: job "build" is not in the needs of "notify"; add it to needs (outputs of jobs needed only through other jobs are not readable)',
    ]);
  });

  test('an unknown job, an undeclared job output, and a job reading itself are each named', () => {
    assert.deepEqual(rejection(withLine(17, '      RELEASE: ${{ needs.biuld.outputs.version }}')), [
      'ci.yaml:17:7: jobs.deploy.env.RELEASE: needs.biuld.outputs.version: unknown job "biuld"; did you mean "build"?',
    ]);
    assert.deepEqual(rejection(withLine(17, '      RELEASE: ${{ needs.build.outputs.sha }}')), [
      'ci.yaml:17:7: jobs.deploy.env.RELEASE: needs.build.outputs.sha: job "build" has no output "sha" (its outputs: version)',
    ]);
    assert.match(
      rejection(withLine(19, '      - run: echo "${{ needs.deploy.outputs.x }}"'))[0]!,
      /^ci\.yaml:19:9: jobs\.deploy\.steps\[0\]\.run: needs\.deploy\.outputs\.x: is this job; use steps/,
    );
  });

  test('a job output must name a step of its job; a job env cannot read steps', () => {
    assert.deepEqual(rejection(withLine(6, '      version: ${{ steps.nope.outputs.version }}')), [
      'ci.yaml:6:7: jobs.build.outputs.version: steps.nope.outputs.version: unknown step id "nope" in job "build"',
    ]);
    assert.match(
      rejection(withLine(17, '      RELEASE: ${{ steps.tag.outputs.version }}'))[0]!,
      /^ci\.yaml:17:7: jobs\.deploy\.env\.RELEASE: steps\.tag\.outputs\.version: no step is in scope in a job's env/,
    );
  });

  test('a malformed template, another context and a duplicate step id are refused with the place', () => {
    assert.deepEqual(rejection(withLine(12, '          V: ${{ steps.tag.outputs.version ==  }}')), [
      "ci.yaml:12:11: jobs.build.steps[1].env.V: ${{ }}: expected a value, found '}' (at character 35 of the value)",
    ]);
    assert.deepEqual(rejection(withLine(12, '          V: ${{ github.sha }}')), [
      "ci.yaml:12:11: jobs.build.steps[1].env.V: ${{ }}: unknown context 'github'; a pipeline template may read steps.<id>.outputs.<name>, needs.<job>.outputs.<name>, inputs.<name>, branch, event, sha, repository and matrix.<key> (at character 5 of the value)",
    ]);
    assert.match(
      rejection(withLine(12, '          V: ${{ tasks.tag.outputs.version }}'))[0]!,
      /unknown context 'tasks'/,
    );
    assert.deepEqual(rejection(withLine(10, '      - id: tag\n        run: echo "${{ steps.tag.outputs.version }}"')), [
      'ci.yaml:10:9: jobs.build.steps[1].id: step id "tag" is already used by steps[0]; step ids must be unique in a job',
    ]);
  });

  test('an output of a step that writes none, and a step status, are refused', () => {
    const text = yaml(`
      name: x
      jobs:
        j:
          runs-on: general
          steps:
            - id: co
              checkout: true
            - run: echo \${{ steps.co.outputs.v }} \${{ steps.co.status }}
    `);
    assert.deepEqual(rejection(text), [
      'ci.yaml:8:9: jobs.j.steps[1].run: steps.co.outputs.v: step "co" is not a run, stack or cache step and writes no outputs',
      'ci.yaml:8:9: jobs.j.steps[1].run: steps.co.status: only outputs can be read: steps.<id>.outputs.<name>',
    ]);
  });

  test('a bad step id is a schema issue at the id', () => {
    assert.match(
      rejection(withLine(8, '      - id: 1tag'))[0]!,
      /^ci\.yaml:8:9: jobs\.build\.steps\[0\]\.id: must be letters/,
    );
  });
});

describe('pipeline templates', () => {
  test('they use the DAG language: operators, functions and bracketed names', () => {
    const scope = { steps: { tag: { version: '1.2.3', 'odd name': 'x' } }, needs: { build: { ok: 'true' } } };
    assert.equal(
      renderPipelineTemplate("v${{ steps.tag.outputs.version }}-${{ steps.tag.outputs['odd name'] }}", scope),
      'v1.2.3-x',
    );
    assert.equal(
      renderPipelineTemplate(
        "${{ steps.tag.outputs.missing || 'none' }} ${{ startsWith(steps.tag.outputs.version, '1.') }}",
        scope,
      ),
      'none true',
    );
    assert.equal(renderPipelineTemplate("${{ needs.build.outputs.ok == 'true' && 'go' }}", scope), 'go');
    assert.equal(
      renderPipelineTemplate("literal 'steps.tag' stays: ${{ 'steps.tag.outputs.version' }}", scope),
      "literal 'steps.tag' stays: steps.tag.outputs.version",
    );
    assert.equal(renderPipelineTemplate('no template: $HOME', scope), 'no template: $HOME');
  });

  test('references are reported with their context; errors carry the position in the text as written', () => {
    assert.deepEqual(parsePipelineTemplate('${{ steps.a.outputs.x }}${{ needs.b.outputs }}').references, [
      { context: 'steps', path: ['steps', 'a', 'outputs', 'x'], id: 'a', field: 'outputs', name: 'x' },
      { context: 'needs', path: ['needs', 'b', 'outputs'], id: 'b', field: 'outputs' },
    ]);
    const error = (text: string): PipelineTemplateError => {
      try {
        parsePipelineTemplate(text);
      } catch (err) {
        if (err instanceof PipelineTemplateError) return err;
        throw err;
      }
      return assert.fail('expected an error');
    };
    // Positions are the author's, in the whole text.
    assert.equal(error('${{ steps.a.outputs.x == }}').position, 25);
    assert.equal(error('${{ steps.a.outputs.x').position, 0);
    assert.equal(error('ok ${{ github.n }}').position, 7);
  });

  test('a step, a job env and job outputs render from the scope', () => {
    const step: PipelineStep = {
      id: 'use',
      run: 'echo ${{ steps.tag.outputs.v }}',
      env: { A: '${{ needs.up.outputs.w }}' },
      workingDirectory: 'd-${{ steps.tag.outputs.v }}',
      timeoutSeconds: 60,
      retry: { maxAttempts: 1, initialIntervalSeconds: 1, backoffCoefficient: 2, maxIntervalSeconds: 60 },
    };
    const scope = { steps: { tag: { v: '7' } }, needs: { up: { w: 'W' } } };
    assert.deepEqual(renderStep(step, scope), { ...step, run: 'echo 7', env: { A: 'W' }, workingDirectory: 'd-7' });
    const upload = { 'upload-artifact': { name: 'app', path: 'out/${{ steps.tag.outputs.v }}' } };
    assert.deepEqual(renderStep(upload, scope), { 'upload-artifact': { name: 'app', path: 'out/7' } });
    const job = parsePipelineYaml(VALID, 'ci.yaml', CLASSES).jobs;
    assert.deepEqual(renderJobOutputs(job.build!, { steps: { tag: { version: '1.2.3' } }, needs: {} }), {
      version: '1.2.3',
    });
    assert.deepEqual(renderJobEnv(job.deploy!, { build: { version: '1.2.3' } }), { RELEASE: '1.2.3' });
  });
});

describe('pipeline step outputs on the worker', () => {
  const root = mkdtempSync(join(tmpdir(), 'capstan-step-outputs-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const noArtifacts = {} as ArtifactStore;
  const activities = createPipelineActivities({
    workspaceRoot: join(root, 'work'),
    artifactStore: noArtifacts,
    maxArtifactBytes: 1024,
    workerIdentity: 'test/1',
    workerQueue: 'q',
    killGraceMs: 1000,
    outputStore: { dir: join(root, 'outputs'), inlineBytes: 1024, maxFileBytes: 1024 * 1024 },
  });
  // Failures are what two of these tests expect; the SDK's warning for each would only clutter the output.
  const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  /** A reference to `bytes` bytes put in the worker's output store, as an earlier step's offload would. */
  const storeOf = (bytes: number): Promise<string> => new OutputStore(join(root, 'outputs')).put('y'.repeat(bytes));
  const runStep = (logName: string, step: PipelineStep): Promise<StepOutcome> => {
    const input: RunJobStepInput = {
      runId: 'run-1',
      jobId: 'build',
      logName,
      step,
      env: { CAPSTAN_JOB: 'build' },
      trigger: { event: 'manual', repository: 'r', cloneUrl: '/none', sha: 'x', branch: 'main', triggeredBy: 't' },
      meter: { taskId: `build/${logName}`, attempt: 1, nodeClass: 'general', labels: {} },
    };
    return env.run(activities.runJobStep, input);
  };
  const retry = { maxAttempts: 1, initialIntervalSeconds: 1, backoffCoefficient: 2, maxIntervalSeconds: 60 };

  test('a large output is stored by reference, and a later step that reads it gets the content', async () => {
    await env.run(activities.claimJobWorkspace, { runId: 'run-1', jobId: 'build' });
    // Over the inline limit, yet small enough to pass in a variable as well as in the script.
    const big = 'x'.repeat(100_000);
    const first = await runStep('0', {
      id: 'gen',
      run: `printf 'big=%s\\nsmall=ok\\n' "$(head -c 100000 /dev/zero | tr '\\0' x)" >> "$CAPSTAN_OUTPUT"`,
      env: {},
      timeoutSeconds: 60,
      retry,
    });
    const reference = first.outputs.big!;
    assert.ok(parseOutputRef(reference), `stored by reference: ${reference.slice(0, 80)}`);
    assert.equal(first.outputs.small, 'ok', 'small outputs stay inline');
    // As the workflow does: the template renders to the reference, which the worker expands.
    const reader = renderStep(
      {
        run: 'printf %s "${{ steps.gen.outputs.big }}" > seen; printf %s "$BIG" > seen-env',
        env: { BIG: '${{ steps.gen.outputs.big }}' },
        timeoutSeconds: 60,
        retry,
      } as PipelineStep,
      { steps: { gen: first.outputs }, needs: {} },
    );
    assert.ok(
      !('run' in reader) || reader.run.includes('capstan-ref:sha256:'),
      'the workflow only ever holds the reference',
    );
    await runStep('1', reader);
    const workspace = join(root, 'work', 'pipelines', 'run-1', 'build');
    assert.equal(readFileSync(join(workspace, 'seen'), 'utf8'), big);
    assert.equal(readFileSync(join(workspace, 'seen-env'), 'utf8'), big);
  });

  test('a reference the store lacks, a variable too long for exec, and a rendered path leaving the workspace fail the step naming the field', async () => {
    const missing = `capstan-ref:sha256:${'0'.repeat(64)}:5`;
    await assert.rejects(
      runStep('2', { run: `echo ${missing}`, env: {}, timeoutSeconds: 60, retry } as PipelineStep),
      (err: Error) => /^run: capstan-ref:sha256:0{64}:5 is not in the output store/.test(err.message),
    );
    const huge = renderStep(
      { run: 'true', env: { BIG: '${{ steps.gen.outputs.big }}' }, timeoutSeconds: 60, retry },
      { steps: { gen: { big: await storeOf(200_000) } }, needs: {} },
    );
    await assert.rejects(
      runStep('4', huge),
      /env\.BIG is 200000 bytes with its outputs filled in, over the 131072-byte limit/,
    );
    await assert.rejects(
      runStep('3', {
        run: 'true',
        env: {},
        workingDirectory: '../elsewhere',
        timeoutSeconds: 60,
        retry,
      } as PipelineStep),
      /workingDirectory "\.\.\/elsewhere" leads outside the job workspace/,
    );
  });
});
