/**
 * `capstan pipeline import` as a user runs it: the real process converts a fixture workflow, writes
 * --out and prints the report on stderr; `--check` has the real API validate the result against its
 * node classes (`POST /v1/pipelines/check`, which a viewer may call and which starts nothing).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../config/paths';
import { runCapstan } from './helpers/capstan-cli';
import { assertDocumentedAnswer } from './helpers/openapi-conformance';
import { startTestStack, type TestStack } from './helpers/test-stack';

const BASIC = join(REPO_ROOT, 'test', 'fixtures', 'github-workflows', 'basic.yml');

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ startWorkersFor: [] });
});
after(async () => {
  await stack?.stop();
});

test('import writes --out and reports every line not converted on stderr', async () => {
  const out = join(stack.dataDir, 'repo', '.capstan', 'pipeline.yaml');
  const {
    code,
    out: stdout,
    err,
  } = await runCapstan(stack, [
    'pipeline',
    'import',
    BASIC,
    '--runs-on-map',
    'ubuntu-latest=a,self-hosted=b',
    '--out',
    out,
  ]);
  assert.equal(code, 0, err);
  assert.equal(stdout, '', 'with --out nothing goes to stdout');
  const pipeline = parse(readFileSync(out, 'utf8'));
  assert.equal(pipeline.jobs.build['runs-on'], 'a');
  assert.equal(pipeline.jobs.deploy['runs-on'], 'b', 'the first mapped label of a list');
  assert.deepEqual(pipeline.jobs.build.steps[0], { checkout: true });
  assert.match(err, /^basic\.yml: 42 of 53 lines converted \(79%\), 6 not converted, 3 changed$/m);
  assert.match(err, /^basic\.yml:25: uses: actions\/setup-node@v4 — not converted: Capstan runs no actions/m);
  assert.match(err, /^basic\.yml:52: uses: slackapi\/slack-github-action@v1 — not converted: /m);
  assert.match(err, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('import prints the pipeline on stdout without --out', async () => {
  const { code, out, err } = await runCapstan(stack, ['pipeline', 'import', BASIC]);
  assert.equal(code, 0, err);
  assert.match(out, /^# Converted from .*basic\.yml by capstan pipeline import:/);
  assert.equal(parse(out).jobs.build['runs-on'], 'general', 'the default class');
});

test('--check validates against the API node classes, naming line and column', async () => {
  const valid = await runCapstan(stack, [
    'pipeline',
    'import',
    BASIC,
    '--runs-on-map',
    'ubuntu-latest=a',
    '--default-class',
    'b',
    '--check',
  ]);
  assert.equal(valid.code, 0, valid.err);
  assert.match(valid.err, /pipeline\.yaml: valid for http/);

  const invalid = await runCapstan(stack, ['pipeline', 'import', BASIC, '--check']);
  assert.equal(invalid.code, 1, invalid.err);
  assert.match(
    invalid.err,
    /^pipeline\.yaml:\d+:\d+: jobs\.build\.runs-on: unknown node class "general"; known: a, b$/m,
  );
  assert.match(invalid.err, /not valid \(2 issue\(s\)\)/);
});

test('bad input exits 2 naming it, and writes nothing', async () => {
  const out = join(stack.dataDir, 'never.yaml');
  const badMap = await runCapstan(stack, ['pipeline', 'import', BASIC, '--runs-on-map', 'ubuntu', '--out', out]);
  assert.equal(badMap.code, 2);
  assert.match(badMap.err, /--runs-on-map entry "ubuntu" is not label=class/);
  const missing = await runCapstan(stack, ['pipeline', 'import', join(stack.dataDir, 'nope.yml'), '--out', out]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read .*nope\.yml: ENOENT/);
  const noFile = await runCapstan(stack, ['pipeline', 'import']);
  assert.equal(noFile.code, 2);
  assert.match(noFile.err, /usage: capstan pipeline import <workflow\.yml>/);
  assert.equal(existsSync(out), false);
});

test('POST /v1/pipelines/check: a viewer may call it; bad bodies are 400 naming the field; answers as documented', async () => {
  const viewer = (await stack.mintToken('viewer')).token;
  const auth = { Authorization: `Bearer ${viewer}` };
  const text = 'name: p\non: { manual: true }\njobs:\n  x:\n    runs-on: a\n    steps:\n      - run: "true"\n';
  const ok = await stack.request('POST', '/v1/pipelines/check', { yaml: text }, auth);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { valid: true, issues: [] });
  const bad = await stack.request(
    'POST',
    '/v1/pipelines/check',
    { yaml: text.replace('runs-on: a', 'runs-on: z') },
    auth,
  );
  assert.equal(bad.status, 200);
  assert.deepEqual(bad.body.issues, [
    { field: 'jobs.x.runs-on', message: 'unknown node class "z"; known: a, b', line: 5, column: 5 },
  ]);
  const missing = await stack.request('POST', '/v1/pipelines/check', { source: 'x.yaml' }, auth);
  assert.equal(missing.status, 400);
  assert.match(JSON.stringify(missing.body), /yaml/);
  for (const answer of [ok, bad, missing])
    assertDocumentedAnswer('POST', '/v1/pipelines/check', answer.status, answer.body);
});

test('a large file is checked off the event loop: the API answers others meanwhile', async () => {
  let text = 'name: big\non: { manual: true }\njobs:\n';
  for (let j = 0; j < 6; j++) {
    text += `  j${j}:\n    runs-on: a\n    steps:\n`;
    for (let s = 0; s < 150; s++) text += `      - run: echo step ${s} of job ${j}, a line long enough to weigh\n`;
  }
  const started = Date.now();
  let healthAt = 0;
  const check = stack
    .request('POST', '/v1/pipelines/check', { yaml: text })
    .then((answer) => ({ answer, at: Date.now() }));
  await new Promise((r) => setTimeout(r, 20));
  const health = await fetch(`${stack.baseUrl}/healthz`);
  healthAt = Date.now();
  const { answer, at } = await check;
  assert.equal(health.status, 200);
  assert.deepEqual(answer.body, { valid: true, issues: [] });
  console.log(
    `check of ${text.length} bytes took ${at - started} ms; /healthz answered after ${healthAt - started} ms`,
  );
  assert.ok(healthAt < at, 'the health probe is not held behind the check');
});
