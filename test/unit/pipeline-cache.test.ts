/**
 * Cache steps without a stack: hashFiles() over a real workspace (GitHub's hash, globs, exclusions), a cache
 * key rendered on the worker from step outputs and file hashes, the choice of entry across branch scopes, and
 * validation that admits hashFiles() only in a cache step's fields and names the field otherwise.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cacheScopes, chooseCacheEntry } from '../../activities/pipeline/cache/choose-entry';
import { globRegExp, hashFiles, HashFilesError } from '../../activities/pipeline/cache/hash-files';
import { CacheKeyError, renderCacheStep } from '../../activities/pipeline/cache/render-cache-step';
import { parsePipelineYaml, PipelineSpecError } from '../../api/pipelines/parse-pipeline';
import type { NodeClass } from '../../config/node-classes';
import type { PipelineCacheStep } from '../../workflows/contracts/pipeline-spec';
import { renderStep } from '../../workflows/pipeline/render-step';
import { renderPipelineTemplate } from '../../workflows/pipeline/templates';

const CLASSES: NodeClass[] = [{ name: 'general', concurrency: 2, pricePerHour: 0.1, labels: {} }];
const workspace = mkdtempSync(join(tmpdir(), 'capstan-cache-unit-'));
after(() => rmSync(workspace, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(workspace, path, '..'), { recursive: true });
  writeFileSync(join(workspace, path), text);
}

/** GitHub's hashFiles: SHA-256 over the SHA-256 digests of the matched files in path order. */
function expectedHash(...contents: string[]): string {
  const total = createHash('sha256');
  for (const text of contents) total.update(createHash('sha256').update(text).digest());
  return total.digest('hex');
}

write('package-lock.json', '{"lockfileVersion":3}');
write('packages/a/package-lock.json', 'a-lock');
write('packages/b/package-lock.json', 'b-lock');
write('packages/b/node_modules/x/package-lock.json', 'nested');
write('src/main.ts', 'export {}');

describe('hashFiles', () => {
  test('one file: the hash of its hash, as GitHub computes it', async () => {
    assert.equal(await hashFiles(workspace, ['package-lock.json']), expectedHash('{"lockfileVersion":3}'));
  });

  test('globs match across directories in path order, and ! excludes', async () => {
    const all = await hashFiles(workspace, ['**/package-lock.json']);
    // Path order: packages/b/node_modules/… sorts before packages/b/package-lock.json.
    assert.equal(all, expectedHash('{"lockfileVersion":3}', 'a-lock', 'nested', 'b-lock'));
    const some = await hashFiles(workspace, ['**/package-lock.json', '!**/node_modules/**']);
    assert.equal(some, expectedHash('{"lockfileVersion":3}', 'a-lock', 'b-lock'));
    assert.equal(await hashFiles(workspace, ['packages/*/package-lock.json']), expectedHash('a-lock', 'b-lock'));
  });

  test('a pattern that matches nothing gives an empty hash; a change of content changes it', async () => {
    assert.equal(await hashFiles(workspace, ['yarn.lock']), '');
    const before = await hashFiles(workspace, ['src/**']);
    write('src/main.ts', 'export const changed = true;');
    assert.notEqual(await hashFiles(workspace, ['src/**']), before);
  });

  test('a pattern leaving the workspace is refused', async () => {
    await assert.rejects(hashFiles(workspace, ['../etc/passwd']), HashFilesError);
    await assert.rejects(hashFiles(workspace, ['/etc/passwd']), HashFilesError);
  });

  test('glob syntax: * within a segment, ** across, ? one character, [ab] a class', () => {
    assert.ok(globRegExp('*.json').test('a.json'));
    assert.ok(!globRegExp('*.json').test('dir/a.json'));
    assert.ok(globRegExp('**/*.json').test('a.json'));
    assert.ok(globRegExp('**/*.json').test('x/y/a.json'));
    assert.ok(globRegExp('v?.txt').test('v1.txt'));
    assert.ok(globRegExp('[ab].txt').test('b.txt') && !globRegExp('[ab].txt').test('c.txt'));
    assert.ok(globRegExp('a.b').test('a.b') && !globRegExp('a.b').test('axb'), 'dots are literal');
  });
});

describe('cache key rendering', () => {
  const step = (
    key: string,
    restoreKeys: string[] = [],
    path: string | string[] = 'node_modules',
  ): PipelineCacheStep => ({
    cache: { key, 'restore-keys': restoreKeys, path },
  });

  test('hashFiles() and step outputs are rendered on the worker; the workflow leaves a cache step alone', async () => {
    const cache = step("npm-${{ steps.v.outputs.node }}-${{ hashFiles('package-lock.json') }}", [
      'npm-${{ steps.v.outputs.node }}-',
      'npm-',
    ]);
    const scope = { steps: { v: { node: '20' } }, needs: {} };
    assert.deepEqual(renderStep(cache, scope), cache, 'the workflow cannot compute hashFiles(), so it renders nothing');
    const rendered = await renderCacheStep(cache, scope, workspace);
    assert.equal(rendered.key, `npm-20-${expectedHash('{"lockfileVersion":3}')}`);
    assert.deepEqual(rendered.restoreKeys, ['npm-20-', 'npm-']);
    assert.deepEqual(rendered.paths, ['node_modules']);
  });

  test('hashFiles() with several patterns is one hash over all the files', async () => {
    const rendered = await renderCacheStep(
      step("k-${{ hashFiles('packages/a/package-lock.json', 'packages/b/package-lock.json') }}"),
      { steps: {}, needs: {} },
      workspace,
    );
    assert.equal(rendered.key, `k-${expectedHash('a-lock', 'b-lock')}`);
  });

  test('a key that renders empty, too long or with a comma is refused naming the field', async () => {
    const none = { steps: {}, needs: {} };
    await assert.rejects(
      renderCacheStep(step("${{ hashFiles('nothing') }}"), none, workspace),
      /cache\.key rendered as an empty key/,
    );
    await assert.rejects(renderCacheStep(step('a,b'), none, workspace), CacheKeyError);
    await assert.rejects(
      renderCacheStep(
        step('k', ['${{ steps.long.outputs.v }}']),
        { steps: { long: { v: 'x'.repeat(600) } }, needs: {} },
        workspace,
      ),
      /cache\.restore-keys\[0\] is 600 characters once rendered, over 512/,
    );
  });

  test('outside a cache step hashFiles() cannot be rendered (the workflow has no files)', () => {
    assert.throws(
      () => renderPipelineTemplate("${{ hashFiles('a') }}", { steps: {}, needs: {} }),
      /only available in a cache step/,
    );
  });
});

describe('which entry a restore takes', () => {
  const at = (minutes: number): Date => new Date(Date.UTC(2026, 0, 1, 0, minutes));
  const entries = [
    { branch: 'main', key: 'npm-aaa', createdAt: at(1) },
    { branch: 'main', key: 'npm-bbb', createdAt: at(5) },
    { branch: 'feature', key: 'npm-ccc', createdAt: at(3) },
    { branch: 'feature', key: 'yarn-ddd', createdAt: at(9) },
  ];

  test('the exact key on the run branch is a hit', () => {
    const choice = chooseCacheEntry(entries, ['feature', 'main'], 'npm-ccc', ['npm-']);
    assert.deepEqual(choice, { entry: entries[2], exact: true });
  });

  test("the run branch's prefix match comes before the default branch's entries", () => {
    const choice = chooseCacheEntry(entries, ['feature', 'main'], 'npm-zzz', ['npm-']);
    assert.equal(choice?.entry.key, 'npm-ccc');
    assert.equal(choice?.exact, false);
  });

  test('the default branch is the fallback: exact there is a hit, else its newest prefix match', () => {
    assert.deepEqual(chooseCacheEntry(entries, ['other', 'main'], 'npm-aaa', ['npm-']), {
      entry: entries[0],
      exact: true,
    });
    assert.equal(chooseCacheEntry(entries, ['other', 'main'], 'npm-zzz', ['npm-'])?.entry.key, 'npm-bbb');
  });

  test('restore keys are tried in order, not by age; another branch is never read', () => {
    assert.equal(chooseCacheEntry(entries, ['feature'], 'x', ['npm-', 'yarn-'])?.entry.key, 'npm-ccc');
    assert.equal(chooseCacheEntry(entries, ['feature'], 'x', ['yarn-', 'npm-'])?.entry.key, 'yarn-ddd');
    assert.equal(chooseCacheEntry(entries, ['other'], 'npm-aaa', ['npm-']), undefined);
  });

  test('scopes: the run branch, then the default branch once', () => {
    assert.deepEqual(cacheScopes('feature', 'main'), ['feature', 'main']);
    assert.deepEqual(cacheScopes('main', 'main'), ['main']);
    assert.deepEqual(cacheScopes('feature', undefined), ['feature']);
  });
});

describe('validation', () => {
  function rejection(text: string): string[] {
    try {
      parsePipelineYaml(text, 'ci.yaml', CLASSES);
    } catch (err) {
      if (err instanceof PipelineSpecError) return err.message.split('\n');
      throw err;
    }
    return assert.fail('expected the pipeline to be rejected');
  }

  const pipeline = (steps: string, extra = ''): string =>
    `name: c\njobs:\n  build:\n    runs-on: general\n${extra}    steps:\n${steps}`;

  test('a cache step with hashFiles(), restore-keys and a list of paths is valid, and its outputs readable', () => {
    const spec = parsePipelineYaml(
      pipeline(
        `      - id: deps\n        cache:\n          key: "npm-\${{ hashFiles('**/package-lock.json') }}"\n          restore-keys: [npm-]\n          path: [node_modules, .npm]\n      - run: echo "\${{ steps.deps.outputs.cache-hit }}"\n`,
      ),
      'ci.yaml',
      CLASSES,
    );
    assert.deepEqual(spec.jobs.build!.steps[0], {
      id: 'deps',
      cache: {
        key: "npm-${{ hashFiles('**/package-lock.json') }}",
        'restore-keys': ['npm-'],
        path: ['node_modules', '.npm'],
      },
    });
  });

  test('hashFiles() outside a cache step is refused at its field', () => {
    assert.deepEqual(rejection(pipeline(`      - run: echo "\${{ hashFiles('a') }}"\n`)), [
      "ci.yaml:6:9: jobs.build.steps[0].run: ${{ }}: hashFiles() is only available in a cache step's key, restore-keys and path, which the worker renders (at character 11 of the value)",
    ]);
  });

  test('a cache path leaving the workspace, and a service without run, are refused naming the field', () => {
    const lines = rejection(
      pipeline(`      - cache: { key: k, path: ../up }\n`, `    services:\n      db: { env: { A: b } }\n`),
    );
    assert.ok(
      lines.some((l) => /jobs\.build\.steps\[0\]\.cache\.path: /.test(l) && /relative to the job workspace/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /jobs\.build\.services\.db\.run: /.test(l)),
      lines.join('\n'),
    );
  });

  test('a service with both ready forms, or a bad name, is refused', () => {
    const lines = rejection(
      pipeline(
        `      - run: 'true'\n`,
        `    services:\n      db: { run: postgres, ready: { port: 5432, run: pg_isready } }\n      'bad name': { run: x }\n`,
      ),
    );
    assert.ok(
      lines.some((l) => /jobs\.build\.services\.db\.ready/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /jobs\.build\.services/.test(l) && /letters, digits/.test(l)),
      lines.join('\n'),
    );
  });
});
