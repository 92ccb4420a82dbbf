/** Trigger matching (events, branch filters and their globs). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { branchMatches, matchTrigger } from '../../api/pipelines/triggers';
import { PipelineSpecSchema, type PipelineSpec } from '../../workflows/contracts/pipeline-spec';

const specWith = (on: unknown): PipelineSpec =>
  PipelineSpecSchema.parse({
    name: 'web',
    ...(on === undefined ? {} : { on }),
    jobs: { build: { 'runs-on': 'general', steps: [{ run: 'make' }] } },
  });

describe('matchTrigger', () => {
  const spec = specWith({ push: { branches: ['main', 'release/*'] }, manual: false });

  test('a push to a listed branch matches', () => {
    assert.deepEqual(matchTrigger(spec, { event: 'push', branch: 'main' }), { matched: true });
    assert.deepEqual(matchTrigger(spec, { event: 'push', branch: 'release/1.2' }), { matched: true });
  });

  test('a push to another branch says which filters it missed', () => {
    assert.deepEqual(matchTrigger(spec, { event: 'push', branch: 'dev' }), {
      matched: false,
      reason: 'branch "dev" matches none of main, release/*',
    });
  });

  test('an event the pipeline does not configure is refused by name', () => {
    assert.deepEqual(matchTrigger(spec, { event: 'pull_request', branch: 'main' }), {
      matched: false,
      reason: 'pipeline does not trigger on pull_request',
    });
  });

  test('without branches every branch matches, slashes included', () => {
    const any = specWith({ pull_request: {} });
    assert.deepEqual(matchTrigger(any, { event: 'pull_request', branch: 'feature/a/b' }), { matched: true });
    assert.deepEqual(matchTrigger(any, { event: 'push', branch: 'main' }), {
      matched: false,
      reason: 'pipeline does not trigger on push',
    });
  });

  test('manual matches only when on.manual is true, whatever the branch', () => {
    assert.deepEqual(
      matchTrigger(specWith({ manual: true, push: { branches: ['main'] } }), { event: 'manual', branch: 'dev' }),
      { matched: true },
    );
    assert.deepEqual(matchTrigger(spec, { event: 'manual', branch: 'main' }), {
      matched: false,
      reason: 'pipeline does not trigger manually (on.manual is not true)',
    });
    assert.deepEqual(matchTrigger(specWith({ push: {} }), { event: 'manual', branch: 'main' }).matched, false);
  });

  test('a spec without `on` runs manually only (the schema default)', () => {
    const spec = specWith(undefined);
    assert.deepEqual(matchTrigger(spec, { event: 'manual', branch: 'main' }), { matched: true });
    assert.equal(matchTrigger(spec, { event: 'push', branch: 'main' }).matched, false);
  });
});

describe('branch globs', () => {
  const cases: Array<[string, string, boolean]> = [
    ['main', 'main', true],
    ['main', 'main2', false],
    ['main', 'Main', false],
    ['release/*', 'release/1.0', true],
    ['release/*', 'release/1.0/hotfix', false],
    ['release/*', 'releases/1.0', false],
    ['release/*', 'release', false],
    ['release/**', 'release/1.0/hotfix', true],
    ['release/**', 'release', false],
    ['*', 'feature', true],
    ['*', 'feature/a', false],
    ['**', 'feature/a/b', true],
    ['feature/*-fix', 'feature/login-fix', true],
    ['feature/*-fix', 'feature/a/b-fix', false],
    ['feature/**-fix', 'feature/a/b-fix', true],
    ['*/main', 'team/main', true],
    ['**/main', 'a/b/main', true],
    ['v1.*', 'v1.2', true],
    ['v1.*', 'v1x2', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['fix?', 'fix?', true],
    ['fix?', 'fixe', false],
    ['(x)', '(x)', true],
  ];
  for (const [pattern, branch, expected] of cases) {
    test(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(branch)}`, () => {
      assert.equal(branchMatches(pattern, branch), expected);
    });
  }
});
