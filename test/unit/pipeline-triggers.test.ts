/** Trigger matching: events, branch, tag and path filters and their globs, and cron expressions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cronProblem, temporalCrons } from '../../api/pipelines/cron';
import { filterSelects } from '../../api/pipelines/glob-filter';
import { branchMatches, matchTrigger, needsChangedFiles } from '../../api/pipelines/triggers';
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
      reason: 'pipeline does not trigger manually (on.manual is not set)',
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

describe('path filters', () => {
  const paths = specWith({ push: { branches: ['main'], paths: ['src/**', '!src/**/*.md'] } });
  const ignored = specWith({ push: { 'paths-ignore': ['docs/**', '**.md'] }, pull_request: { paths: ['src/**'] } });

  test('a push touching only docs/ does not start a pipeline filtered on src/**, and says which files it saw', () => {
    assert.deepEqual(
      matchTrigger(paths, { event: 'push', branch: 'main', changedFiles: ['docs/a.md', 'docs/b/c.md'] }),
      {
        matched: false,
        reason: 'no changed file matches paths src/**, !src/**/*.md (2 changed: docs/a.md, docs/b/c.md)',
      },
    );
  });

  test('one matching file is enough; a negated pattern takes a file back', () => {
    assert.deepEqual(
      matchTrigger(paths, { event: 'push', branch: 'main', changedFiles: ['docs/a.md', 'src/app.ts'] }),
      {
        matched: true,
      },
    );
    assert.equal(
      matchTrigger(paths, { event: 'push', branch: 'main', changedFiles: ['src/lib/README.md'] }).matched,
      false,
    );
  });

  test('the branch filter is read before the paths', () => {
    assert.match(
      (matchTrigger(paths, { event: 'push', branch: 'dev', changedFiles: ['src/a.ts'] }) as { reason: string }).reason,
      /branch "dev" matches none/,
    );
  });

  test('paths-ignore starts nothing only when every changed file is ignored', () => {
    assert.equal(
      matchTrigger(ignored, { event: 'push', branch: 'x', changedFiles: ['docs/a.txt', 'README.md'] }).matched,
      false,
    );
    assert.equal(
      matchTrigger(ignored, { event: 'push', branch: 'x', changedFiles: ['docs/a.txt', 'src/a.ts'] }).matched,
      true,
    );
  });

  test('no changed file matches nothing; unknown changes let the event through', () => {
    assert.equal(matchTrigger(paths, { event: 'push', branch: 'main', changedFiles: [] }).matched, false);
    assert.equal(matchTrigger(paths, { event: 'push', branch: 'main' }).matched, true);
  });

  test('pull requests use their own path filter', () => {
    assert.equal(
      matchTrigger(ignored, { event: 'pull_request', branch: 'main', changedFiles: ['docs/x'] }).matched,
      false,
    );
    assert.equal(
      matchTrigger(ignored, { event: 'pull_request', branch: 'main', changedFiles: ['src/x'] }).matched,
      true,
    );
  });

  test('changed files are read only when a path filter needs them, never for a tag', () => {
    assert.equal(needsChangedFiles(paths, { event: 'push' }), true);
    assert.equal(needsChangedFiles(paths, { event: 'push', tag: 'v1' }), false);
    assert.equal(needsChangedFiles(paths, { event: 'pull_request' }), false);
    assert.equal(needsChangedFiles(specWith({ push: {} }), { event: 'push' }), false);
  });
});

describe('path globs (GitHub filter pattern cheat sheet)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'README.md', true],
    ['*', 'docs/README.md', false],
    ['*.js', 'app.js', true],
    ['*.js', 'js/app.js', false],
    ['**.js', 'src/js/app.js', true],
    ['docs/*', 'docs/a.md', true],
    ['docs/*', 'docs/sub/a.md', false],
    ['docs/**', 'docs/sub/a.md', true],
    ['docs/**/*.md', 'docs/a.md', true],
    ['docs/**/*.md', 'docs/x/y/a.md', true],
    ['docs/**/*.md', 'docs/a.txt', false],
    ['**/docs/**', 'a/docs/b/c', true],
    ['**/README.md', 'README.md', true],
    ['**/README.md', 'a/b/README.md', true],
    ['**/*src/**', 'a/my-src/b.ts', true],
    ['**/migrate-*.sql', 'db/migrate-1.sql', true],
  ];
  for (const [pattern, path, expected] of cases) {
    test(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(path)}`, () => {
      assert.equal(filterSelects([pattern], path), expected);
    });
  }

  test('the last matching pattern decides', () => {
    assert.equal(filterSelects(['*.md', '!README.md'], 'README.md'), false);
    assert.equal(filterSelects(['*.md', '!README.md', 'README*'], 'README.md'), true);
    assert.equal(filterSelects(['!README.md'], 'a.md'), false);
  });
});

describe('tag filters', () => {
  const tags = specWith({ push: { tags: ['v*', '!v*-rc*'] } });
  const both = specWith({ push: { branches: ['main'], 'tags-ignore': ['nightly-*'] } });

  test('a tag push matches tags; a pre-release excluded by "!" does not', () => {
    assert.deepEqual(matchTrigger(tags, { event: 'push', branch: '', tag: 'v1.2.3' }), { matched: true });
    assert.deepEqual(matchTrigger(tags, { event: 'push', branch: '', tag: 'v2.0.0-rc1' }), {
      matched: false,
      reason: 'tag "v2.0.0-rc1" matches none of tags v*, !v*-rc*',
    });
  });

  test('a filter naming only tags starts nothing for a branch, and one naming only branches nothing for a tag', () => {
    assert.deepEqual(matchTrigger(tags, { event: 'push', branch: 'main' }), {
      matched: false,
      reason: `branch "main": the pipeline's push filters name tags only`,
    });
    const branches = specWith({ push: { branches: ['main'] } });
    assert.deepEqual(matchTrigger(branches, { event: 'push', branch: '', tag: 'v1' }), {
      matched: false,
      reason: `tag "v1": the pipeline's push filters name branches only`,
    });
  });

  test('tags-ignore with branches: branch pushes by branch, tag pushes unless ignored', () => {
    assert.equal(matchTrigger(both, { event: 'push', branch: 'main' }).matched, true);
    assert.equal(matchTrigger(both, { event: 'push', branch: '', tag: 'v1' }).matched, true);
    assert.deepEqual(matchTrigger(both, { event: 'push', branch: '', tag: 'nightly-3' }), {
      matched: false,
      reason: 'tag "nightly-3" matches tags-ignore nightly-*',
    });
  });

  test('push: {} runs for every branch and every tag, as on GitHub; paths are not read for tags', () => {
    assert.equal(matchTrigger(specWith({ push: {} }), { event: 'push', branch: '', tag: 'x' }).matched, true);
    const withPaths = specWith({ push: { paths: ['src/**'] } });
    assert.equal(
      matchTrigger(withPaths, { event: 'push', branch: '', tag: 'v1', changedFiles: ['docs/a'] }).matched,
      true,
    );
  });

  test('branches-ignore', () => {
    const spec = specWith({ push: { 'branches-ignore': ['dependabot/**'] } });
    assert.equal(matchTrigger(spec, { event: 'push', branch: 'dependabot/npm/x' }).matched, false);
    assert.equal(matchTrigger(spec, { event: 'push', branch: 'main' }).matched, true);
  });
});

describe('cron expressions', () => {
  test('valid five-field expressions pass', () => {
    for (const cron of ['30 5 * * 1-5', '*/15 * * * *', '0 0 1,15 * *', '0 12 * 1-12/3 0', ' 5 4 * * * ']) {
      assert.equal(cronProblem(cron), undefined, cron);
    }
  });

  test('a bad expression names its field and the rule', () => {
    assert.match(cronProblem('30 5 * *')!, /has 4 fields; a cron has five/);
    assert.match(cronProblem('60 5 * * *')!, /minute 60 is out of range 0-59/);
    assert.match(cronProblem('0 0 * * 7')!, /day of week 7 is out of range 0-6/);
    assert.match(cronProblem('0 0 * JAN *')!, /month "JAN" is not \*, a number/);
    assert.match(cronProblem('0 5-1 * * *')!, /hour range 5-1 runs backwards/);
    assert.match(cronProblem('*/0 * * * *')!, /minute step \/0 never advances/);
    assert.match(cronProblem('@daily')!, /has 1 field;/);
  });

  test('both day fields restricted become two Temporal calendars (cron runs on either)', () => {
    assert.deepEqual(temporalCrons('30 5 * * 1-5'), ['30 5 * * 1-5']);
    assert.deepEqual(temporalCrons('0 0 1 * 1'), ['0 0 1 * *', '0 0 * * 1']);
  });
});
