/**
 * Pipeline spec parsing: YAML with positions, schema issues in an author's words, the semantic
 * checks (node classes, needs, cycles, artifacts, rollback, triggers, size), each at its exact line.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeClass } from '../../config/node-classes';
import { ApiError } from '../../api/errors';
import {
  MAX_PIPELINE_SPEC_BYTES,
  parsePipelineObject,
  parsePipelineYaml,
  PipelineSpecError,
} from '../../api/pipelines/parse-pipeline';
import type { PipelineIssue } from '../../api/pipelines/pipeline-issue';

const CLASSES: NodeClass[] = ['general', 'highmem'].map((name) => ({
  name,
  concurrency: 2,
  pricePerHour: 0.1,
  labels: {},
}));

/** Drops the first newline and the common indentation, so that line 1 is the fixture's first line. */
function yaml(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

function errorOf(run: () => unknown): PipelineSpecError {
  try {
    run();
  } catch (err) {
    if (err instanceof PipelineSpecError) return err;
    throw err;
  }
  return assert.fail('expected the pipeline to be rejected');
}

const issuesOf = (text: string): PipelineIssue[] => errorOf(() => parsePipelineYaml(text, 'ci.yaml', CLASSES)).issues;

interface Expected {
  field: string;
  line: number;
  column?: number;
  message?: RegExp;
}

/** Asserts exactly these issues, in file order: each field at its line (and column, message when given). */
function rejects(text: string, expected: Expected[]): void {
  const issues = issuesOf(text);
  assert.deepEqual(
    issues.map((i) => `${i.field} @${i.line}`),
    expected.map((e) => `${e.field} @${e.line}`),
    JSON.stringify(issues, null, 1),
  );
  expected.forEach((e, k) => {
    if (e.column !== undefined) assert.equal(issues[k]!.column, e.column, `column of ${e.field}`);
    if (e.message) assert.match(issues[k]!.message, e.message);
  });
}

// Line numbers matter in this file: tests that edit this fixture name the line they change.
const VALID = yaml(`
  name: web
  on:
    push:
      branches: [main, 'release/*']
    pull_request: {}
    manual: true
  concurrency:
    group: web-\${{ branch }}
  jobs:
    build:
      runs-on: general
      steps:
        - checkout: true
        - name: compile
          run: make build
        - upload-artifact:
            name: site
            path: dist
    deploy:
      runs-on: highmem
      needs: [build]
      environment:
        name: production
        approval:
          required: true
          approvers: []
      concurrency:
        group: deploy-production
        cancelInProgress: false
      steps:
        - download-artifact:
            name: site
            path: dist
        - run: ./deploy.sh dist
        - name: health check
          run: curl -fsS https://example.com/health
          retry: { maxAttempts: 5, initialIntervalSeconds: 2 }
      rollback:
        - run: ./deploy.sh --previous
`);

/** The valid fixture with one exact piece of text replaced, failing loudly if the piece is not there. */
function edit(from: string, to: string, text = VALID): string {
  assert.ok(text.includes(from), `fixture has no ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

describe('a valid pipeline', () => {
  test('parses, with the schema defaults filled in', () => {
    const spec = parsePipelineYaml(VALID, 'ci.yaml', CLASSES);
    assert.deepEqual(Object.keys(spec.jobs), ['build', 'deploy']);
    const build = spec.jobs.build!;
    const deploy = spec.jobs.deploy!;
    assert.equal(build['runs-on'], 'general');
    assert.deepEqual(build.steps[2], { 'upload-artifact': { name: 'site', path: 'dist' } });
    assert.equal(deploy['runs-on'], 'highmem');
    assert.deepEqual(deploy.needs, ['build']);
    assert.deepEqual(deploy.environment, {
      name: 'production',
      approval: { required: true, approvers: [], allowTriggerer: false, timeoutSeconds: 86_400 },
    });
    assert.deepEqual(deploy.steps[2], {
      name: 'health check',
      run: 'curl -fsS https://example.com/health',
      env: {},
      retry: { maxAttempts: 5, initialIntervalSeconds: 2, backoffCoefficient: 2, maxIntervalSeconds: 60 },
    });
    assert.equal(deploy.rollback.length, 1);
    assert.deepEqual(spec.on, { push: { branches: ['main', 'release/*'] }, pull_request: {}, manual: true });
  });

  test('parses the same from a JSON body', () => {
    const fromYaml = parsePipelineYaml(VALID, 'ci.yaml', CLASSES);
    assert.deepEqual(parsePipelineObject(JSON.parse(JSON.stringify(fromYaml)), CLASSES), fromYaml);
  });

  test('a download through several needs is upstream', () => {
    const text = edit('    needs: [build]', '    needs: [test]').concat(
      yaml(`
      test:
        runs-on: general
        needs: [build]
        steps: [{ run: make test }]
    `).replace(/^/gm, '  '),
    );
    assert.deepEqual(Object.keys(parsePipelineYaml(text, 'ci.yaml', CLASSES).jobs), ['build', 'deploy', 'test']);
  });

  test('a spec without `on` runs manually', () => {
    const spec = parsePipelineYaml(
      yaml(`
      name: web
      jobs:
        build:
          runs-on: general
          steps: [{ run: make }]
    `),
      'ci.yaml',
      CLASSES,
    );
    assert.deepEqual(spec.on, { manual: true });
  });
});

describe('the error', () => {
  test('lists every issue as source:line:column: field: message, and is a 400 of the API', () => {
    const err = errorOf(() =>
      parsePipelineYaml(edit('    runs-on: highmem', '    runs-on: gpu'), 'pipelines/web.yaml', CLASSES),
    );
    assert.equal(
      err.message,
      'pipelines/web.yaml:20:5: jobs.deploy.runs-on: unknown node class "gpu"; known: general, highmem',
    );
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_request');
    assert.deepEqual(err.details, [
      {
        field: 'jobs.deploy.runs-on',
        message: 'unknown node class "gpu"; known: general, highmem',
        line: 20,
        column: 5,
      },
    ]);
  });

  test('a JSON body gets the same checks, without positions', () => {
    const body = JSON.parse(JSON.stringify(parsePipelineYaml(VALID, 'ci.yaml', CLASSES)));
    body.jobs.deploy['runs-on'] = 'gpu';
    delete body.jobs.build['runs-on'];
    let err = errorOf(() => parsePipelineObject(body, CLASSES));
    assert.equal(err.message, 'request body: jobs.build.runs-on: is required (a string)');
    body.jobs.build['runs-on'] = 'general';
    err = errorOf(() => parsePipelineObject(body, CLASSES));
    assert.deepEqual(err.issues, [
      { field: 'jobs.deploy.runs-on', message: 'unknown node class "gpu"; known: general, highmem' },
    ]);
  });

  test('several issues come in file order, one line each', () => {
    const text = edit(
      '          path: dist\n  deploy:',
      '          path: /dist\n  deploy:',
      edit('        run: make build', '        run: make build\n        timeoutSeconds: 0'),
    );
    const err = errorOf(() => parsePipelineYaml(edit('name: web', 'name: ""', text), 'ci.yaml', CLASSES));
    assert.deepEqual(err.message.split('\n'), [
      'ci.yaml:1:1: name: Too small: expected string to have >=1 characters',
      'ci.yaml:16:9: jobs.build.steps[1].timeoutSeconds: Too small: expected number to be >0',
      'ci.yaml:19:11: jobs.build.steps[2].upload-artifact.path: must be a path relative to the job workspace, without ".."',
    ]);
  });
});

describe('YAML that does not parse', () => {
  test('a syntax error names its line', () => {
    rejects(
      yaml(`
      name: web
      jobs:
        build:
          runs-on: general
          steps: [ { run: make }
        deploy:
          runs-on: general
    `),
      [{ field: '(yaml)', line: 6, column: 3, message: /Flow sequence/ }],
    );
  });

  test('a duplicate job is a duplicate key at its second place', () => {
    rejects(edit('  deploy:', '  build:'), [{ field: '(yaml)', line: 19, column: 3, message: /unique/ }]);
    assert.equal(
      errorOf(() => parsePipelineYaml(edit('  deploy:', '  build:'), 'ci.yaml', CLASSES)).code,
      'malformed_yaml',
    );
  });

  test('a tab used as indentation names its line', () => {
    rejects('name: web\njobs:\n\tbuild:\n', [{ field: '(yaml)', line: 3, message: /Tabs/ }]);
  });

  test('a second document is refused where it starts', () => {
    rejects(`${VALID}---\nname: other\n`, [{ field: '(yaml)', line: 40, message: /one YAML document/ }]);
  });

  test('an empty file or one of comments only says it is empty', () => {
    rejects('', [{ field: '(root)', line: 1, message: /is empty/ }]);
    rejects('# nothing yet\n', [{ field: '(root)', line: 1, message: /is empty/ }]);
  });

  test('an alias to no anchor is refused', () => {
    rejects('name: *missing\n', [{ field: '(file)', line: 1, message: /not valid YAML: .*alias/ }]);
  });

  test('a file over the size limit is refused naming the limit', () => {
    const err = errorOf(() =>
      parsePipelineYaml(`name: web\n# ${'x'.repeat(MAX_PIPELINE_SPEC_BYTES)}\n`, 'ci.yaml', CLASSES),
    );
    assert.equal(err.status, 413);
    assert.match(
      err.message,
      /^ci\.yaml: \(file\): is 1000013 bytes; a pipeline file may be at most 1000000 bytes \(1 MB\)$/,
    );
  });

  test('a spec that outgrows the limit once defaults are filled in is refused too', () => {
    // 100 jobs of 200 minimal steps: about 0.5 MB of YAML, but over 2 MB with every step's defaults.
    const steps = `steps: [${Array.from({ length: 200 }, () => '{run: x}').join(', ')}]`;
    const jobs = Array.from({ length: 100 }, (_, i) => `  j${i}: { runs-on: general, ${steps} }`).join('\n');
    const err = errorOf(() => parsePipelineYaml(`name: big\njobs:\n${jobs}\n`, 'ci.yaml', CLASSES));
    assert.equal(err.issues.length, 1);
    assert.match(err.message, /^ci\.yaml: \(root\): is \d+ bytes of JSON with defaults filled in; at most 1000000 fit/);
  });
});

describe('schema issues', () => {
  test('a missing field points at the mapping that should hold it', () => {
    rejects(edit('    runs-on: general\n', ''), [
      { field: 'jobs.build.runs-on', line: 10, column: 3, message: /^is required \(a string\)$/ },
    ]);
    rejects(`# the web pipeline\n${edit('name: web\n', '')}`, [
      { field: 'name', line: 2, column: 1, message: /^is required/ },
    ]);
    rejects(edit('          path: dist\n  deploy:', '  deploy:'), [
      { field: 'jobs.build.steps[2].upload-artifact.path', line: 16, column: 9, message: /^is required/ },
    ]);
  });

  test('a misspelt field is unknown at its own line, and the one it replaces is missing', () => {
    rejects(edit('    runs-on: general', '    runs_on: general'), [
      { field: 'jobs.build.runs-on', line: 10, message: /is required/ },
      { field: 'jobs.build.runs_on', line: 11, column: 5, message: /^is not a known field$/ },
    ]);
  });

  test('a bad value points at its key', () => {
    rejects(edit('        run: make build', '        run: make build\n        timeoutSeconds: soon'), [
      { field: 'jobs.build.steps[1].timeoutSeconds', line: 16, column: 9, message: /expected number/ },
    ]);
  });

  test('a step without a kind, or with two, says which kinds there are', () => {
    rejects(edit('      - checkout: true', '      - chekout: true'), [
      {
        field: 'jobs.build.steps[0]',
        line: 13,
        column: 9,
        message: /^must have one of run, checkout, upload-artifact, download-artifact, stack, cache$/,
      },
    ]);
    rejects(edit('      - checkout: true', '      - checkout: true\n        run: make'), [
      { field: 'jobs.build.steps[0]', line: 13, message: /^has run and checkout; a step does exactly one/ },
    ]);
    rejects(edit('      - checkout: true', '      - make'), [
      { field: 'jobs.build.steps[0]', line: 13, message: /^must be a mapping with one of/ },
    ]);
  });

  test('a step of one kind reports only the problems of that kind', () => {
    rejects(
      edit(
        '          name: site\n          path: dist\n  deploy:',
        '          name: "my site"\n          path: dist\n  deploy:',
      ),
      [{ field: 'jobs.build.steps[2].upload-artifact.name', line: 17, column: 11, message: /letters, digits/ }],
    );
    rejects(edit('      - checkout: true', '      - checkout: yes'), [
      { field: 'jobs.build.steps[0].checkout', line: 13, column: 9, message: /^must be true, or a mapping/ },
    ]);
  });

  test('an item of a flow list points at the item', () => {
    rejects(edit("    branches: [main, 'release/*']", '    branches: [main, 7]'), [
      { field: 'on.push.branches[1]', line: 4, column: 22, message: /expected string/ },
    ]);
  });

  test('a bad job id is named, with the rule', () => {
    rejects(edit('  deploy:', '  deploy.prod:'), [
      { field: 'jobs.deploy.prod', line: 19, column: 3, message: /^key must be letters, digits/ },
    ]);
  });

  test('`push:` with nothing after it says how to trigger on every branch', () => {
    rejects(edit('  pull_request: {}', '  pull_request:'), [
      {
        field: 'on.pull_request',
        line: 5,
        column: 3,
        message: /write "pull_request: \{\}" to trigger on every branch/,
      },
    ]);
  });

  test('no jobs at all is refused at `jobs`', () => {
    rejects('name: web\njobs: {}\n', [{ field: 'jobs', line: 2, column: 1, message: /at least one job/ }]);
  });

  test('a job named __proto__ is refused rather than dropped silently', () => {
    rejects(edit('  deploy:', '  __proto__:'), [{ field: 'jobs.__proto__', line: 19, message: /reserved/ }]);
  });
});

describe('semantic checks', () => {
  test('an unknown node class lists the known ones', () => {
    rejects(edit('    runs-on: general', '    runs-on: gpu'), [
      {
        field: 'jobs.build.runs-on',
        line: 11,
        column: 5,
        message: /^unknown node class "gpu"; known: general, highmem$/,
      },
    ]);
  });

  test('needs must name existing jobs, with a suggestion for a near miss', () => {
    rejects(edit('    needs: [build]', '    needs: [biuld]'), [
      { field: 'jobs.deploy.needs[0]', line: 21, column: 13, message: /^unknown job "biuld"; did you mean "build"\?$/ },
    ]);
    rejects(edit('    needs: [build]', '    needs: [build, lint]'), [
      { field: 'jobs.deploy.needs[1]', line: 21, column: 20, message: /^unknown job "lint"$/ },
    ]);
  });

  test('a job listed twice in needs is named at its second place', () => {
    rejects(edit('    needs: [build]', '    needs: [build, build]'), [
      { field: 'jobs.deploy.needs[1]', line: 21, column: 20, message: /^"build" is already listed at needs\[0\]$/ },
    ]);
  });

  test('schema problems come first; the checks run once the shape is right', () => {
    const text = edit(
      '    runs-on: highmem',
      '    runs-on: gpu',
      edit('        run: make build', '        run: make build\n        timeoutSeconds: 0'),
    );
    rejects(text, [{ field: 'jobs.build.steps[1].timeoutSeconds', line: 16 }]);
  });

  test('a job cannot need itself', () => {
    rejects(edit('    needs: [build]', '    needs:\n      - build\n      - deploy'), [
      { field: 'jobs.deploy.needs[1]', line: 23, column: 9, message: /^a job cannot need itself$/ },
    ]);
  });

  test('a cycle is printed as a path back to its start, at the need that closes it', () => {
    rejects(edit('    runs-on: general', '    runs-on: general\n    needs: [deploy]'), [
      { field: 'jobs.build.needs[0]', line: 12, column: 13, message: /^dependency cycle: build -> deploy -> build$/ },
    ]);
    const three = yaml(`
      name: loop
      jobs:
        a: { runs-on: general, needs: [c], steps: [{ run: a }] }
        b: { runs-on: general, needs: [a], steps: [{ run: b }] }
        c: { runs-on: general, needs: [b], steps: [{ run: c }] }
        free: { runs-on: general, steps: [{ run: free }] }
    `);
    rejects(three, [
      { field: 'jobs.a.needs[0]', line: 3, column: 34, message: /^dependency cycle: a -> c -> b -> a$/ },
    ]);
  });

  test('a download must come from an upstream job, and says which job uploads it', () => {
    rejects(edit('    needs: [build]\n', ''), [
      {
        field: 'jobs.deploy.steps[0].download-artifact.name',
        line: 31,
        column: 11,
        message:
          /^artifact "site" is uploaded by job "build", which is not upstream of "deploy"; add "build" to needs$/,
      },
    ]);
  });

  test('a download of an artifact nobody uploads is refused', () => {
    rejects(
      edit(
        '          name: site\n          path: dist\n      - run',
        '          name: sight\n          path: dist\n      - run',
      ),
      [
        {
          field: 'jobs.deploy.steps[0].download-artifact.name',
          line: 32,
          message: /^no job uploads artifact "sight"$/,
        },
      ],
    );
  });

  test('a job downloading its own upload is told the files are already there', () => {
    rejects(
      edit(
        '      - checkout: true',
        '      - checkout: true\n      - download-artifact: { name: site }',
        edit('    needs: [build]\n', '').replace(/ {6}- download-artifact:\n {10}name: site\n {10}path: dist\n/, ''),
      ),
      [
        {
          field: 'jobs.build.steps[1].download-artifact.name',
          line: 14,
          message: /uploaded by this job \(steps\[3\]\)/,
        },
      ],
    );
  });

  test('two uploads of one artifact name in a run are refused at the second', () => {
    rejects(
      edit(
        '      - run: ./deploy.sh dist',
        '      - run: ./deploy.sh dist\n      - upload-artifact: { name: site, path: report }',
      ),
      [
        {
          field: 'jobs.deploy.steps[2].upload-artifact.name',
          line: 35,
          column: 28,
          message: /^artifact "site" is already uploaded by jobs\.build\.steps\[2\]/,
        },
      ],
    );
  });

  test('rollback is only for jobs with an environment', () => {
    const text = edit(
      '    environment:\n      name: production\n      approval:\n        required: true\n        approvers: []\n',
      '',
    );
    rejects(text, [{ field: 'jobs.deploy.rollback', line: 33, column: 5, message: /^is only allowed on deploy jobs/ }]);
  });

  test('`on` must enable a trigger', () => {
    rejects(edit("on:\n  push:\n    branches: [main, 'release/*']\n  pull_request: {}\n  manual: true\n", 'on: {}\n'), [
      {
        field: 'on',
        line: 2,
        column: 1,
        message: /^enables no trigger; add push, pull_request, schedule or manual: true$/,
      },
    ]);
    rejects(
      edit(
        "on:\n  push:\n    branches: [main, 'release/*']\n  pull_request: {}\n  manual: true\n",
        'on:\n  manual: false\n',
      ),
      [{ field: 'on', line: 2, message: /enables no trigger/ }],
    );
  });

  test('a concurrency group may use ${{ branch }} only', () => {
    rejects(edit('      group: deploy-production', '      group: deploy-${{ sha }}'), [
      { field: 'jobs.deploy.concurrency.group', line: 28, column: 7, message: /^\$\{\{ sha \}\} is not supported/ },
    ]);
  });

  test('at most 100 jobs', () => {
    const jobs = (n: number) =>
      Array.from({ length: n }, (_, i) => `  j${i}: { runs-on: general, steps: [{ run: x }] }`).join('\n');
    assert.equal(
      Object.keys(parsePipelineYaml(`name: big\njobs:\n${jobs(100)}\n`, 'ci.yaml', CLASSES).jobs).length,
      100,
    );
    rejects(`name: big\njobs:\n${jobs(101)}\n`, [
      { field: 'jobs', line: 2, column: 1, message: /^has 101 jobs; a pipeline may have at most 100$/ },
    ]);
  });

  test('approval with no approvers list (any operator) is fine', () => {
    const text = edit('        approvers: []\n', '');
    assert.deepEqual(parsePipelineYaml(text, 'ci.yaml', CLASSES).jobs.deploy!.environment!.approval!.approvers, []);
  });
});
