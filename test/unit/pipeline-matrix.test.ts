/**
 * Job matrices: the combinations GitHub Actions computes (include/exclude examples from its docs),
 * the expanded jobs with `${{ matrix.<key> }}` rendered, the checks at submit with their line and
 * column, and how a cancelled job's commit status reads on each forge.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeClass } from '../../config/node-classes';
import { parsePipelineYaml, PipelineSpecError } from '../../api/pipelines/parse-pipeline';
import { statusRequest } from '../../activities/forge/status-request';
import { JobStrategySchema } from '../../workflows/contracts/pipeline-matrix';
import { expandPipeline, strategyCombinations } from '../../workflows/pipeline/matrix';
import { renderJobEnv, renderStep } from '../../workflows/pipeline/render-step';
import type { PipelineStep } from '../../workflows/contracts/pipeline-spec';

const CLASSES: NodeClass[] = ['general', 'highmem'].map((name) => ({
  name,
  concurrency: 2,
  pricePerHour: 0.1,
  labels: {},
}));

const strategy = (value: unknown) => JobStrategySchema.parse(value);

/** Drops the first newline and the common indentation, so that line 1 is the fixture's first line. */
function yaml(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

function rejection(text: string): string[] {
  try {
    parsePipelineYaml(text, 'ci.yaml', CLASSES, { maxMatrixBranches: 8, maxExpandedJobs: 12 });
  } catch (err) {
    if (err instanceof PipelineSpecError) return err.message.split('\n');
    throw err;
  }
  return assert.fail('expected the pipeline to be refused');
}

/** The brief's example pipeline, with `extra` lines appended to the test job's steps. */
const MATRIX_PIPELINE = yaml(`
  name: web
  jobs:
    test:
      name: 'test (node \${{ matrix.node }}, \${{ matrix.os }})'
      runs-on: '\${{ matrix.os }}'
      strategy:
        matrix: { node: [18, 20, 22], os: [general, highmem] }
        include: [{ node: 23, os: general, experimental: true }]
        exclude: [{ node: 18, os: highmem }]
        max-parallel: 2
      env: { NODE_VERSION: '\${{ matrix.node }}' }
      steps:
        - name: 'node \${{ matrix.node }}'
          run: echo "node $NODE_VERSION on \${{ matrix.os }} \${{ matrix.experimental }}"
    report:
      runs-on: general
      needs: [test]
      steps:
        - run: echo done
`);

describe('matrix combinations (GitHub semantics)', () => {
  test('include merges into every combination whose original values it keeps, or stands alone', () => {
    // The example of GitHub's "Expanding or adding matrix configurations".
    const combos = strategyCombinations(
      strategy({
        matrix: {
          fruit: ['apple', 'pear'],
          animal: ['cat', 'dog'],
          include: [
            { color: 'green' },
            { color: 'pink', animal: 'cat' },
            { fruit: 'apple', shape: 'circle' },
            { fruit: 'banana' },
            { fruit: 'banana', animal: 'cat' },
          ],
        },
      }),
    );
    assert.deepEqual(combos, [
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ]);
  });

  test('exclude drops the combinations matching every key of an entry, partial entries included', () => {
    const combos = strategyCombinations(
      strategy({
        matrix: {
          os: ['macos', 'windows'],
          version: [12, 14, 16],
          environment: ['staging', 'production'],
          exclude: [{ os: 'macos', version: 12, environment: 'production' }],
        },
        exclude: [{ os: 'windows', version: 16 }],
      }),
    );
    assert.equal(combos.length, 9);
    assert.ok(!combos.some((c) => c.os === 'windows' && c.version === 16));
    assert.ok(!combos.some((c) => c.os === 'macos' && c.version === 12 && c.environment === 'production'));
  });

  test('a matrix of includes only is its includes', () => {
    assert.deepEqual(strategyCombinations(strategy({ matrix: { include: [{ a: 1 }, { a: 2, b: 'x' }] } })), [
      { a: 1 },
      { a: 2, b: 'x' },
    ]);
  });

  test('jobs expand to test[i] with runs-on, names and step names rendered; plain jobs stay as they are', () => {
    const spec = parsePipelineYaml(MATRIX_PIPELINE, 'ci.yaml', CLASSES);
    const units = expandPipeline(spec);
    assert.deepEqual(
      units.map((u) => [u.id, u.spec['runs-on'], u.name]),
      [
        ['test[0]', 'general', 'test (node 18, general)'],
        ['test[1]', 'general', 'test (node 20, general)'],
        ['test[2]', 'highmem', 'test (node 20, highmem)'],
        ['test[3]', 'general', 'test (node 22, general)'],
        ['test[4]', 'highmem', 'test (node 22, highmem)'],
        ['test[5]', 'general', 'test (node 23, general)'],
        ['report', 'general', 'report'],
      ],
    );
    assert.deepEqual(units[5]!.matrix, { node: 23, os: 'general', experimental: true });
    assert.equal(units[2]!.spec.steps[0]!.name, 'node 20');
    assert.equal(units[6]!.spec, spec.jobs.report, 'a plain job is not copied');
    assert.equal(spec.jobs.test!.strategy!['fail-fast'], true, 'fail-fast defaults to true');
    // Job env and step fields render the combination's values, with steps and needs as before.
    assert.deepEqual(renderJobEnv(units[5]!.spec, {}, { matrix: units[5]!.matrix! }), { NODE_VERSION: '23' });
    const step = renderStep(units[5]!.spec.steps[0]!, { steps: {}, needs: {}, matrix: units[5]!.matrix! });
    assert.equal((step as Extract<PipelineStep, { run: string }>).run, 'echo "node $NODE_VERSION on general true"');
  });

  test('without a name, a combination is named by its values; names that collide give statuses the id', () => {
    const spec = parsePipelineYaml(
      yaml(`
        name: x
        jobs:
          a:
            runs-on: general
            strategy: { matrix: { n: [1, 2] } }
            steps: [{ run: 'true' }]
          b:
            name: same
            runs-on: general
            strategy: { matrix: { n: [1, 2] } }
            steps: [{ run: 'true' }]
      `),
      'ci.yaml',
      CLASSES,
    );
    assert.deepEqual(
      expandPipeline(spec).map((u) => [u.name, u.statusName]),
      [
        ['a (1)', 'a (1)'],
        ['a (2)', 'a (2)'],
        ['same', 'b[0]'],
        ['same', 'b[1]'],
      ],
    );
  });
});

describe('matrix checks at submit', () => {
  const withTestLine = (line: number, text: string): string => {
    const lines = MATRIX_PIPELINE.split('\n');
    lines[line - 1] = text;
    return lines.join('\n');
  };

  test('an unknown matrix key is refused at its line and column, with a near miss', () => {
    assert.deepEqual(rejection(withTestLine(14, '        run: echo ${{ matrix.nodes }}')), [
      'ci.yaml:14:9: jobs.test.steps[0].run: matrix.nodes: job "test" has no matrix key "nodes"; did you mean "node"?; its keys: node, os, experimental',
    ]);
    assert.deepEqual(rejection(withTestLine(4, "    name: 'test ${{ matrix.arch }}'")), [
      'ci.yaml:4:5: jobs.test.name: matrix.arch: job "test" has no matrix key "arch"; its keys: node, os, experimental',
    ]);
  });

  test('a combination on an unknown node class is named', () => {
    assert.deepEqual(rejection(withTestLine(7, '      matrix: { node: [18, 20, 22], os: [general, gpu] }')), [
      'ci.yaml:5:5: jobs.test.runs-on: combination test[1] (node: 18, os: gpu) runs on unknown node class "gpu" (and 2 more); known: general, highmem',
    ]);
  });

  test('exclude keys must be axes, and a matrix over the limit is refused without being built', () => {
    assert.deepEqual(rejection(withTestLine(9, '      exclude: [{ nod: 18 }]')), [
      'ci.yaml:9:19: jobs.test.strategy.exclude[0].nod: "nod" is not a matrix axis; did you mean "node"?; exclude names axes of the matrix (node, os)',
    ]);
    assert.deepEqual(
      rejection(withTestLine(7, `      matrix: { a: [${'1,'.repeat(999)}1], b: [${'1,'.repeat(999)}1], c: [1, 2] }`)),
      [
        'ci.yaml:7:7: jobs.test.strategy.matrix: expands to 2000001 combinations, over the limit of 8',
        // The new axes leave the exclude entry of line 9 naming none of them.
        'ci.yaml:9:19: jobs.test.strategy.exclude[0].node: "node" is not a matrix axis; exclude names axes of the matrix (a, b, c)',
        'ci.yaml:9:29: jobs.test.strategy.exclude[0].os: "os" is not a matrix axis; exclude names axes of the matrix (a, b, c)',
      ],
    );
  });

  test('matrix references outside a matrix, steps in runs-on, and per-combination uploads are refused', () => {
    const text = yaml(`
      name: x
      env: { A: '\${{ matrix.n }}' }
      jobs:
        plain:
          runs-on: general
          steps:
            - run: echo \${{ matrix.n }}
        m:
          runs-on: '\${{ needs.plain.outputs.c }}'
          needs: [plain]
          strategy: { matrix: { n: [1, 2] }, fail-fast: false }
          steps:
            - upload-artifact: { name: out, path: . }
    `);
    assert.deepEqual(rejection(text), [
      'ci.yaml:2:8: env.A: matrix.n: the pipeline has no strategy.matrix',
      'ci.yaml:7:9: jobs.plain.steps[0].run: matrix.n: job "plain" has no strategy.matrix',
      'ci.yaml:9:5: jobs.m.runs-on: needs.plain.outputs.c: only matrix.<key> can be read here, as it is set before the job runs',
      'ci.yaml:13:9: jobs.m.steps[0].upload-artifact: every combination would upload artifact "out", and artifact names are unique in a run; upload from a job without a matrix',
    ]);
  });

  test('too many jobs in all, a matrix that excludes everything, and a job id sharing a combination’s files', () => {
    const text = yaml(`
      name: x
      jobs:
        a:
          runs-on: general
          strategy: { matrix: { n: [1, 2, 3, 4, 5, 6, 7, 8] } }
          steps: [{ run: 'true' }]
        b:
          runs-on: general
          strategy: { matrix: { n: [1, 2, 3, 4, 5, 6, 7, 8] } }
          steps: [{ run: 'true' }]
        c:
          runs-on: general
          strategy: { matrix: { n: [1] }, exclude: [{ n: 1 }] }
          steps: [{ run: 'true' }]
        a_0_:
          runs-on: general
          steps: [{ run: 'true' }]
    `);
    assert.deepEqual(rejection(text), [
      'ci.yaml:2:1: jobs: expand to 17 jobs (matrix combinations included), over the limit of 12',
      'ci.yaml:13:17: jobs.c.strategy.matrix: expands to no combinations; give it an axis or an include entry, or exclude less',
      'ci.yaml:15:3: jobs.a_0_: job id "a_0_" would share files with combination a[0] of matrix job "a"; rename it',
    ]);
  });
});

describe('commit status of a cancelled job', () => {
  const status = {
    repository: 'acme/web',
    sha: 'a'.repeat(40),
    state: 'cancelled' as const,
    context: 'c',
    description: 'd',
  };
  test('is "error" on GitHub, which has no cancelled state, and "canceled" on GitLab', () => {
    assert.equal(statusRequest({ provider: 'github', apiUrl: 'http://x', token: 't' }, status).body.state, 'error');
    assert.equal(statusRequest({ provider: 'gitlab', apiUrl: 'http://x', token: 't' }, status).body.state, 'canceled');
  });
});
