/**
 * `capstan pipeline import`'s conversion: GitHub workflows (our own fixtures) become pipeline files
 * that today's validator accepts, the new fields are written under GitHub's names, and the report
 * names every line that was not converted, with its reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { parsePipelineYaml } from '../../api/pipelines/parse-pipeline';
import { convertCondition } from '../../cli/import/expressions';
import { convertTemplates } from '../../cli/import/templates';
import { formatReport } from '../../cli/import/import-report';
import { importWorkflow, WorkflowImportError } from '../../cli/import/import-workflow';
import { parseRunsOnMap } from '../../cli/import/convert-runs-on';
import { REPO_ROOT } from '../../config/paths';
import type { NodeClass } from '../../config/node-classes';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'github-workflows');
const CLASSES: NodeClass[] = ['general', 'win'].map((name) => ({ name, concurrency: 1, pricePerHour: 0, labels: {} }));
const OPTIONS = { runsOnMap: { 'ubuntu-latest': 'general', 'windows-latest': 'win' }, defaultClass: 'general' };

function importFixture(name: string) {
  return importWorkflow(readFileSync(join(FIXTURES, name), 'utf8'), name, OPTIONS);
}

/** The report's lines for one source line. */
function notesAt(result: ReturnType<typeof importFixture>, line: number): string[] {
  return result.report.notes.filter((n) => n.line === line).map((n) => `${n.kind}: ${n.reason}`);
}

describe('a workflow with only the fields pipelines had', () => {
  const result = importFixture('basic.yml');

  test("passes today's validator as written", () => {
    const spec = parsePipelineYaml(result.yaml, 'pipeline.yaml', CLASSES);
    assert.deepEqual(spec.on, {
      push: { branches: ['main', 'release/*'] },
      pull_request: { branches: ['main'] },
      manual: true,
    });
    assert.deepEqual(spec.concurrency, { group: 'web-${{ branch }}', cancelInProgress: true });
    assert.deepEqual(Object.keys(spec.jobs), ['build', 'deploy']);
  });

  test('converts checkout, artifacts, outputs, secrets and runner variables', () => {
    const build = (result.pipeline.jobs as any).build;
    assert.deepEqual(build.steps[0], { checkout: true });
    assert.deepEqual(
      build.steps[1],
      { name: 'install', run: 'npm ci' },
      'setup-node dropped, the secret env entry too',
    );
    assert.match(build.steps[2].run, /-\$\{CAPSTAN_SHA\}" >> "\$CAPSTAN_OUTPUT"$/);
    assert.equal(build.steps[3].run, 'npm publish --dry-run --token "${NPM_TOKEN}"');
    assert.deepEqual(build.steps[4], { 'upload-artifact': { name: 'dist', path: 'dist' } });
    assert.deepEqual(build.outputs, { version: '${{ steps.version.outputs.version }}' });
    const deploy = (result.pipeline.jobs as any).deploy;
    assert.equal(deploy['runs-on'], 'general');
    assert.deepEqual(deploy.environment, { name: 'production' });
    assert.deepEqual(deploy.steps[1], {
      run: './deploy.sh "${{ needs.build.outputs.version }}"',
      workingDirectory: 'scripts',
    });
    assert.equal(deploy.steps.length, 2, 'the slack action is dropped');
  });

  test('reports each line not converted, with its line and reason', () => {
    assert.deepEqual(notesAt(result, 9), [
      'not converted: Capstan gives steps no GitHub token, so there are no permissions to set',
    ]);
    assert.match(
      notesAt(result, 25)[0]!,
      /^not converted: Capstan runs no actions: install node 20 on the node class's workers/,
    );
    assert.match(notesAt(result, 31)[0]!, /^not converted: a secret: .*set NPM_TOKEN in the environment/);
    assert.match(notesAt(result, 35)[0]!, /^changed: \$\{\{ secrets.NPM_TOKEN \}\} → \$\{NPM_TOKEN\}/);
    assert.match(notesAt(result, 42)[0]!, /^changed: runner self-hosted, linux is not in --runs-on-map; .*"general"/);
    assert.match(notesAt(result, 52)[0]!, /^not converted: Capstan runs no GitHub actions/);
    const text = formatReport(result.report);
    assert.match(text, /^basic\.yml: 42 of 53 lines converted \(79%\), 6 not converted, 4 changed$/m);
    assert.match(text, /^basic\.yml:25: uses: actions\/setup-node@v4 — not converted: /m);
  });

  test('writes each note as a comment where the dropped part was', () => {
    const lines = result.yaml.split('\n');
    const slack = lines.findIndex((l) => l.includes('basic.yml:52: uses: slackapi/slack-github-action@v1'));
    assert.ok(slack > lines.findIndex((l) => l.includes('deploy.sh')), 'after the last kept step of deploy');
    const setup = lines.findIndex((l) => l.includes('basic.yml:25: uses: actions/setup-node@v4'));
    assert.match(lines[setup + 2] ?? '', /- name: install/, 'just before the step that followed it');
    assert.match(result.yaml, /^# 42 of 53 lines converted/m);
  });
});

describe('a workflow with the features of issue #15 and some Capstan lacks', () => {
  const result = importFixture('features.yml');
  const jobs = result.pipeline.jobs as any;

  test('triggers: push and pull_request filters, schedule, manual inputs; other events reported', () => {
    assert.deepEqual(result.pipeline.on, {
      // A filter with its -ignore form (which neither GitHub nor Capstan takes) becomes "!pattern" exceptions.
      push: { branches: ['main', '!wip'], tags: ['v*'], paths: ['src/**', '!docs/**'] },
      pull_request: { paths: ['src/**'] },
      schedule: [{ cron: '0 3 * * 1' }],
      manual: {
        inputs: { level: { description: 'how loud', type: 'choice', options: ['info', 'debug'], default: 'info' } },
      },
    });
    assert.match(notesAt(result, 10)[0]!, /merged into branches as "!pattern" entries/);
    assert.match(notesAt(result, 9)[0]!, /merged into paths as "!pattern" entries/);
    assert.match(notesAt(result, 13)[0]!, /opened, synchronized and reopened/);
    assert.match(notesAt(result, 23)[0]!, /not on release/);
  });

  test('matrix, limits and defaults keep GitHub names; matrix runners go through the table', () => {
    const test = jobs.test;
    assert.equal(test.name, 'test ${{ matrix.os }} node ${{ matrix.node }}');
    assert.equal(test['runs-on'], '${{ matrix.os }}');
    assert.deepEqual(test.strategy, {
      matrix: {
        os: ['general', 'win'],
        node: [18, 20],
        experimental: [false],
        include: [
          { os: 'general', node: 22, experimental: true },
          { os: 'general', node: 20 },
        ],
        exclude: [{ os: 'win', node: 18 }],
      },
      'fail-fast': false,
      'max-parallel': 2,
    });
    assert.equal(test['timeout-minutes'], 30);
    // Capstan reads continue-on-error before anything runs: an expression is reported, not kept.
    assert.equal(test['continue-on-error'], undefined);
    assert.match(notesAt(result, 33)[0]!, /literal value here, not an expression/);
    assert.deepEqual(test.defaults, { run: { 'working-directory': 'app' } });
    assert.match(notesAt(result, 31)[0]!, /matrix\.os runners macos-14 are not in --runs-on-map/);
  });

  test('steps: cache (hashFiles too), shell, step limits and conditions; pwsh is not converted', () => {
    const steps = jobs.test.steps;
    assert.deepEqual(steps[1], {
      cache: {
        key: 'npm-${{ matrix.os }}-${{ matrix.node }}',
        'restore-keys': ['npm-${{ matrix.os }}-'],
        path: '~/.npm',
      },
    });
    assert.deepEqual(steps[2], {
      id: 'unit',
      run: 'npm test -- --level=${{ inputs.level }}',
      shell: 'bash',
      'timeout-minutes': 10,
      'continue-on-error': true,
    });
    assert.equal(steps[3].if, "always() && steps.unit.outcome == 'failure'");
    assert.equal(steps[3].shell, 'sh');
    assert.equal(steps[4].if, 'matrix.node == 20', 'the runner.os part of the && chain is dropped');
    assert.equal(steps.length, 6, 'the pwsh step is dropped');
    assert.match(notesAt(result, 79)[0]!, /^not converted: shell pwsh: Capstan runs steps with bash or sh/);
    // A cache key keeps hashFiles(), which Capstan computes on the worker.
    assert.deepEqual(steps[5].cache, { path: 'node_modules', key: "${{ hashFiles('package-lock.json') }}" });
  });

  test("the converted file passes Capstan's validation, new fields and all", () => {
    const spec = parsePipelineYaml(result.yaml, 'pipeline.yaml', CLASSES);
    assert.ok(spec.jobs.test!.strategy, 'the matrix survived validation');
    assert.ok(spec.on.schedule && spec.on.schedule.length > 0, 'the schedule survived validation');
  });

  test('services and containers are reported with what to do instead', () => {
    assert.match(
      notesAt(result, 51)[0]!,
      /services are containers.*docker run --rm --name postgres -p 5432:5432 -e POSTGRES_PASSWORD=test postgres:16/,
    );
    assert.match(notesAt(result, 56)[0]!, /not in a container/);
    assert.equal(jobs.test.services, undefined);
  });

  test('job conditions map github contexts; a reusable workflow job gets a placeholder step', () => {
    assert.equal(jobs.release.if, "event == 'manual' || branch == 'main'");
    assert.equal(jobs.release.steps[0].run, 'echo "releasing ${CAPSTAN_BRANCH} at ${CAPSTAN_SHA}"');
    assert.equal(jobs.release.steps[1].if, "needs.test.result == 'success'");
    assert.match(jobs.shared.steps[0].run, /nothing was converted/);
    assert.match(notesAt(result, 94)[0]!, /reusable workflow is not expanded/);
  });

  test('the output is YAML that reads back as the converted pipeline', () => {
    const { name, ...rest } = parse(result.yaml);
    assert.equal(name, 'Matrix build');
    assert.deepEqual(rest.jobs.test.strategy, jobs.test.strategy);
  });
});

describe('expressions', () => {
  const cases: Array<[string, string | undefined]> = [
    ["github.ref == 'refs/heads/main'", "branch == 'main'"],
    ["startsWith(github.ref, 'refs/heads/release/')", "startsWith(branch, 'release/')"],
    ["github.event_name != 'workflow_dispatch'", "event != 'manual'"],
    ["github.ref_name == 'main' && github.sha != ''", "branch == 'main' && sha != ''"],
    ['${{ success() && needs.build.outputs.ok }}', 'success() && needs.build.outputs.ok'],
    ["Contains(github.event.inputs.tags, 'x')", "contains(inputs.tags, 'x')"],
    ["startsWith(github.ref, 'refs/tags/')", undefined],
    ["github.repository == 'a/b' || always()", undefined],
  ];
  for (const [input, expected] of cases) {
    test(`if: ${input}`, () => {
      const converted = convertCondition(input);
      assert.equal(converted.text, expected);
      assert.equal(converted.dropped.length > 0, expected === undefined);
    });
  }

  test('a reference to a dropped step is not converted', () => {
    const converted = convertCondition("steps.setup.outputs.hit == 'true'", {
      steps: new Set(['setup']),
      outputs: new Set(),
    });
    assert.equal(converted.text, undefined);
    assert.match(converted.dropped[0]!, /step setup was not converted/);
  });

  test('templates in a script read the environment where Capstan has no template', () => {
    const converted = convertTemplates(
      'echo ${{ env.A }} ${{ vars.B }} ${{ github.run_id }} ${{ matrix.x }} ${{ runner.os }}',
      'shell',
    );
    assert.equal(converted.text, 'echo ${A} ${B} ${CAPSTAN_RUN_ID} ${{ matrix.x }} ${{ runner.os }}');
    assert.equal(converted.changed.length, 1, 'vars.B must be set on the workers');
    assert.deepEqual(converted.problems, ['${{ runner.os }}: runner.os is not available in Capstan expressions']);
  });
});

describe('bad input', () => {
  test('malformed YAML names its line', () => {
    assert.throws(
      () => importWorkflow('jobs:\n  a: [\n', 'ci.yml', OPTIONS),
      (err: Error) => {
        assert.ok(err instanceof WorkflowImportError);
        assert.match(err.message, /^ci\.yml:\d+:\d+: not valid YAML/);
        return true;
      },
    );
  });

  test('a file without jobs is not a workflow', () => {
    assert.throws(
      () => importWorkflow('name: x\non: push\n', 'ci.yml', OPTIONS),
      /ci\.yml: not a GitHub Actions workflow/,
    );
  });

  test('--runs-on-map entries must be label=class', () => {
    assert.deepEqual(parseRunsOnMap('ubuntu-latest=general, windows-latest=win'), {
      'ubuntu-latest': 'general',
      'windows-latest': 'win',
    });
    assert.throws(() => parseRunsOnMap('ubuntu-latest'), /entry "ubuntu-latest" is not label=class/);
  });

  test('a workflow with no trigger Capstan has is made manual, and says so', () => {
    const result = importWorkflow(
      'on: [release]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
      'r.yml',
      OPTIONS,
    );
    assert.deepEqual(result.pipeline.on, { manual: true });
    assert.deepEqual(
      result.report.notes.map((n) => `${n.line} ${n.kind}`),
      ['1 not converted', '1 changed'],
    );
    assert.equal(result.report.totalLines, 6);
    assert.equal(result.report.convertedLines, 5, 'the on line holds the dropped event');
    parsePipelineYaml(result.yaml, 'r.yaml', CLASSES);
  });
});
