/** `on:` in a pipeline file (schedule crons, filters, manual inputs) checked at its line and column, and manual run inputs. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeClass } from '../../config/node-classes';
import { checkManualInputs } from '../../api/pipelines/manual-inputs';
import { parsePipelineYaml, PipelineSpecError } from '../../api/pipelines/parse-pipeline';
import { formatIssue } from '../../api/pipelines/pipeline-issue';

const CLASSES: NodeClass[] = [{ name: 'general', concurrency: 1, pricePerHour: 0.1, labels: {} }];

const JOBS = `jobs:
  build:
    runs-on: general
    steps:
      - run: make
`;

function parse(on: string) {
  return parsePipelineYaml(`name: web\n${on}${JOBS}`, 'pipeline.yaml', CLASSES);
}

/** The issues of a file as `file:line:column: field: message`. */
function problems(on: string): string[] {
  try {
    parse(on);
  } catch (err) {
    if (err instanceof PipelineSpecError) return err.issues.map((i) => formatIssue('pipeline.yaml', i));
    throw err;
  }
  assert.fail('the pipeline was accepted');
}

describe('on.schedule', () => {
  test('valid crons are kept; a schedule alone is a trigger', () => {
    const spec = parse("on:\n  schedule:\n    - cron: '30 5 * * 1-5'\n    - cron: '0 0 1 * *'\n");
    assert.deepEqual(spec.on.schedule, [{ cron: '30 5 * * 1-5' }, { cron: '0 0 1 * *' }]);
  });

  test('an invalid cron is refused at its line and column', () => {
    assert.deepEqual(problems("on:\n  schedule:\n    - cron: '30 5 * * 1-5'\n    - cron: '61 * * * *'\n"), [
      'pipeline.yaml:5:7: on.schedule[1].cron: "61 * * * *": minute 61 is out of range 0-59',
    ]);
    assert.deepEqual(problems('on:\n  schedule:\n    - cron: every day\n'), [
      'pipeline.yaml:4:7: on.schedule[0].cron: "every day" has 2 fields; a cron has five: minute hour day-of-month month day-of-week (e.g. "30 5 * * 1-5")',
    ]);
  });

  test('an empty schedule and unknown keys are refused', () => {
    assert.match(problems('on:\n  schedule: []\n')[0]!, /^pipeline.yaml:3:3: on.schedule: Too small/);
    assert.match(
      problems("on:\n  schedule:\n    - cron: '* * * * *'\n      tz: UTC\n")[0]!,
      /on.schedule\[0\].tz: is not a known field/,
    );
  });
});

describe('push and pull_request filters', () => {
  test('GitHub names are accepted', () => {
    const spec = parse(
      "on:\n  push:\n    branches: [main]\n    tags: ['v*']\n    paths: ['src/**', '!src/**/*.md']\n  pull_request:\n    paths-ignore: ['docs/**']\n",
    );
    assert.deepEqual(spec.on.push?.tags, ['v*']);
    assert.deepEqual(spec.on.pull_request?.['paths-ignore'], ['docs/**']);
  });

  test('a filter with its -ignore form is refused, as GitHub does', () => {
    assert.deepEqual(problems('on:\n  push:\n    paths: [src]\n    paths-ignore: [docs]\n'), [
      'pipeline.yaml:5:5: on.push.paths-ignore: cannot be used with paths; use "!pattern" entries in paths for exceptions',
    ]);
    assert.match(problems('on:\n  pull_request:\n    tags: [v1]\n')[0]!, /on.pull_request.tags: is not a known field/);
  });
});

describe('on.manual inputs', () => {
  const MANUAL = `on:
  manual:
    inputs:
      version: { type: string, required: true, description: Release to deploy }
      replicas: { type: number, default: 2 }
      dry-run: { type: boolean }
      target: { type: choice, options: [staging, production], default: staging }
`;

  test('typed inputs are read with their defaults', () => {
    const spec = parse(MANUAL);
    assert.deepEqual(spec.on.manual, {
      inputs: {
        version: { type: 'string', required: true, description: 'Release to deploy' },
        replicas: { type: 'number', required: false, default: 2 },
        'dry-run': { type: 'boolean', required: false },
        target: { type: 'choice', required: false, default: 'staging', options: ['staging', 'production'] },
      },
    });
    assert.equal(parse('on:\n  manual: { inputs: {} }\n').on.manual !== undefined, true);
  });

  test('a choice without options, options elsewhere, and a default of the wrong type are refused at their lines', () => {
    assert.deepEqual(
      problems(`on:
  manual:
    inputs:
      a: { type: choice }
      b: { type: string, options: [x] }
      c: { type: number, default: two }
      d: { type: choice, options: [x, y], default: z }
      e: { default: 1.0 }
`),
      [
        'pipeline.yaml:5:12: on.manual.inputs.a.type: a choice input needs options',
        'pipeline.yaml:6:26: on.manual.inputs.b.options: only a choice input has options (this one is string)',
        "pipeline.yaml:7:26: on.manual.inputs.c.default: must be a number, as the input's type is number",
        'pipeline.yaml:8:43: on.manual.inputs.d.default: "z" is not among options x, y',
        "pipeline.yaml:9:12: on.manual.inputs.e.default: must be a string, as the input's type is string (quote it)",
      ],
    );
    assert.deepEqual(problems('on:\n  manual:\n    inputs:\n      f: { type: date }\n      G!: {}\n'), [
      'pipeline.yaml:5:12: on.manual.inputs.f.type: Invalid option: expected one of "string"|"number"|"boolean"|"choice"',
      'pipeline.yaml:6:7: on.manual.inputs.G!: key must be letters, digits, "_" or "-", starting with a letter or "_"',
    ]);
    assert.deepEqual(problems('on:\n  manual: yes\n'), ['pipeline.yaml:3:3: on.manual: Invalid input']);
  });

  const on = () => parse(MANUAL).on;

  test('values are typed, text for numbers and booleans is read, defaults fill the rest', () => {
    assert.deepEqual(checkManualInputs(on(), { version: '1.2.3', replicas: '3', 'dry-run': 'true' }), {
      inputs: { version: '1.2.3', replicas: 3, 'dry-run': true, target: 'staging' },
      issues: [],
    });
    assert.deepEqual(checkManualInputs(on(), { version: 'x', target: 'production', replicas: 1.5 }), {
      inputs: { version: 'x', replicas: 1.5, 'dry-run': false, target: 'production' },
      issues: [],
    });
  });

  test('every bad input is named: missing, wrong type, not an option, unknown', () => {
    assert.deepEqual(
      checkManualInputs(on(), { replicas: 'many', 'dry-run': 'yes', target: 'prod', colour: 'red' }).issues,
      [
        {
          field: 'inputs.colour',
          message: 'is not an input of this pipeline; its inputs are version, replicas, dry-run, target',
        },
        { field: 'inputs.version', message: 'is required (a string)' },
        { field: 'inputs.replicas', message: 'must be a number, not "many"' },
        { field: 'inputs.dry-run', message: 'must be true or false, not "yes"' },
        { field: 'inputs.target', message: '"prod" is not among the options staging, production' },
      ],
    );
    assert.deepEqual(checkManualInputs(on(), { version: 7 }).issues, [
      { field: 'inputs.version', message: 'must be a string, not 7' },
    ]);
  });

  test('manual: true takes no inputs', () => {
    const plain = parse('on:\n  manual: true\n').on;
    assert.deepEqual(checkManualInputs(plain, {}), { inputs: {}, issues: [] });
    assert.deepEqual(checkManualInputs(plain, { x: '1' }).issues, [
      { field: 'inputs.x', message: 'is not an input of this pipeline; it declares none' },
    ]);
  });
});
