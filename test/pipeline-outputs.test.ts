/**
 * Step and job outputs on real workers: in a fixture repository's pipeline, a step reads an earlier
 * step's outputs through `${{ steps.<id>.outputs.<name> }}` (in its script, env, working directory
 * and an artifact path), the job publishes one as a job output, and a job on the other class reads
 * it through `${{ needs.<job>.outputs.<name> }}`. A bad reference is refused before anything runs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gitIn } from './helpers/git';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
let repo: string;

function git(...args: string[]): string {
  return gitIn(repo, ...args);
}

/** Commits `pipeline` as .capstan/pipeline.yaml with a VERSION file; returns the commit SHA. */
function commitPipeline(pipeline: string): string {
  writeFileSync(join(repo, '.capstan', 'pipeline.yaml'), pipeline);
  git('add', '-A');
  git('commit', '-q', '-m', 'pipeline');
  return git('rev-parse', 'HEAD');
}

// `${'$'}{{` keeps TypeScript from reading the pipeline's templates as its own.
const T = '$';
const PIPELINE = `name: outputs
on: { manual: true }
jobs:
  build:
    runs-on: a
    outputs:
      version: ${T}{{ steps.tag.outputs.version }}
      notes: ${T}{{ steps.tag.outputs.notes }}
    steps:
      - checkout: true
      - id: tag
        run: |
          echo "version=$(cat VERSION)-${T}{CAPSTAN_SHA:0:7}" >> "$CAPSTAN_OUTPUT"
          echo "dir=out" >> "$CAPSTAN_OUTPUT"
          printf 'notes<<EOF\\nfirst line\\nsecond line\\nEOF\\n' >> "$CAPSTAN_OUTPUT"
          { printf 'big='; head -c 100000 /dev/zero | tr '\\0' x; echo; } >> "$CAPSTAN_OUTPUT"
      - name: use the version
        id: use
        env:
          FROM_ENV: v${T}{{ steps.tag.outputs.version }}
        workingDirectory: ${T}{{ steps.tag.outputs.dir }}
        run: |
          test "$FROM_ENV" = "v${T}{{ steps.tag.outputs.version }}"
          test "$(basename "$PWD")" = out
          test "$(printf %s "${T}{{ steps.tag.outputs.big }}" | wc -c)" = 100000
          echo "${T}{{ steps.tag.outputs.version }}" > version.txt
          echo "length=${T}{{ steps.tag.outputs.version != '' && 'set' || 'empty' }}" >> "$CAPSTAN_OUTPUT"
      - upload-artifact: { name: bundle, path: '${T}{{ steps.tag.outputs.dir }}' }
  deploy:
    runs-on: b
    needs: [build]
    env:
      RELEASE: ${T}{{ needs.build.outputs.version }}
    steps:
      - download-artifact: { name: bundle, path: 'got-${T}{{ needs.build.outputs.version }}' }
      - id: check
        run: |
          test "$(cat "got-$RELEASE/out/version.txt")" = "${T}{{ needs.build.outputs.version }}"
          test "$(printf '%s' "${T}{{ needs.build.outputs.notes }}" | wc -l)" = 1
          echo "seen=${T}{{ needs.build.outputs.version }}" >> "$CAPSTAN_OUTPUT"
`;

before(async () => {
  stack = await startTestStack();
  repo = mkdtempSync(join(tmpdir(), 'capstan-outputs-repo-'));
  git('init', '-q', '-b', 'main');
  mkdirSync(join(repo, '.capstan'));
  writeFileSync(join(repo, 'VERSION'), '2.4.0\n');
});

after(async () => {
  await stack?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

test(
  "a step reads an earlier step's outputs; a job on another class reads the job outputs of the job it needs",
  { timeout: 180_000 },
  async () => {
    const sha = commitPipeline(PIPELINE);
    const started = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'acme/outputs',
      cloneUrl: repo,
      sha,
      branch: 'main',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRunEnd(stack, started.body.runId, 150_000);
    assert.equal(run.status, 'completed', JSON.stringify(run.failure ?? run.pipeline));
    const version = `2.4.0-${sha.slice(0, 7)}`;
    const [build, deploy] = run.pipeline.jobs;
    assert.match(build.worker, /\/a\/\d+$/);
    assert.match(deploy.worker, /\/b\/\d+$/);
    const { big, ...small } = build.steps[1].outputs;
    assert.deepEqual(small, { version, dir: 'out', notes: 'first line\nsecond line' });
    assert.match(
      big,
      /^capstan-ref:sha256:[0-9a-f]{64}:100000$/,
      'a 100 kB output is kept in the output store and travels by reference',
    );
    assert.deepEqual(build.steps[2].outputs, { length: 'set' }, 'an expression, not only a reference, is evaluated');
    assert.deepEqual(
      build.outputs,
      { version, notes: 'first line\nsecond line' },
      'the job publishes its outputs: map',
    );
    assert.deepEqual(
      deploy.steps.map((s: any) => s.status),
      ['succeeded', 'succeeded'],
    );
    assert.deepEqual(
      deploy.steps[1].outputs,
      { seen: version },
      'the dependent job read the job output in its script, env and artifact path',
    );
    const log = await (
      await fetch(`${stack.baseUrl}/v1/runs/${encodeURIComponent(run.runId)}/jobs/deploy/steps/0/log`, {
        headers: { authorization: `Bearer ${stack.adminToken}` },
      })
    ).text();
    assert.match(log, new RegExp(`downloaded artifact "bundle" into got-${version}`));
  },
);

test(
  'a reference to a job outside needs is refused before the run starts, at its line and column',
  { timeout: 60_000 },
  async () => {
    const before = await stack.countRuns();
    const bad = PIPELINE.replace('needs: [build]', 'needs: []');
    const sha = commitPipeline(bad);
    const refused = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'acme/outputs',
      cloneUrl: repo,
      sha,
      branch: 'main',
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    const lines: string[] = refused.body.error.message.split('\n');
    assert.ok(
      lines.includes(
        '.capstan/pipeline.yaml:33:7: jobs.deploy.env.RELEASE: needs.build.outputs.version: job "build" is not in the needs of "deploy"; add it to needs (outputs of jobs needed only through other jobs are not readable)',
      ),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) =>
        l.startsWith(
          '.capstan/pipeline.yaml:37:9: jobs.deploy.steps[1].run: needs.build.outputs.version: job "build" is not in the needs',
        ),
      ),
      lines.join('\n'),
    );
    assert.equal(await stack.countRuns(), before, 'nothing started');
  },
);
