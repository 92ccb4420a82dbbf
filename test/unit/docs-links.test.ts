/** README.md and the pages under docs/ link only to files that exist and to headings those pages have. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../config/paths';
import { checkMarkdownLinks, githubSlug, headingAnchors, markdownLinks } from '../helpers/markdown-links';

/** Every Markdown page under a folder, sub-folders included. */
function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

test('every relative link in README.md and docs/ names a file that exists, and every #anchor a heading of it', () => {
  const pages = [join(REPO_ROOT, 'README.md'), ...markdownFiles(join(REPO_ROOT, 'docs'))];
  assert.ok(pages.length > 5, `expected README.md and the docs pages, found ${pages.length} pages`);
  const { checked, broken } = checkMarkdownLinks(pages, REPO_ROOT);
  assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
  // The pages link to each other throughout; finding few links would mean the scan itself broke.
  assert.ok(checked > 50, `only ${checked} relative links found`);
});

test('a link to a missing page, to a missing heading or into a folder is reported with its line', () => {
  const root = mkdtempSync(join(tmpdir(), 'capstan-docs-links-'));
  try {
    mkdirSync(join(root, 'docs'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'docs', 'b.md'), '# Page B\n\n## Running Capstan: `npm start`\n\n## Notes\n\n## Notes\n');
    writeFileSync(
      join(root, 'a.md'),
      [
        '# A',
        '[fine](docs/b.md) [fine](docs/b.md#running-capstan-npm-start) [fine](docs/b.md#notes-1) [fine](#a)',
        '[fine](src) [fine](https://example.com/nowhere.md) `[not a link](missing-in-code.md)`',
        '[missing page](docs/c.md)',
        '[missing heading](docs/b.md#running)',
        '[anchor into a folder](src#x)',
        '```sh',
        '[in a code block](missing-in-fence.md)',
        '```',
        '[missing own heading](#nope)',
      ].join('\n'),
    );
    const { checked, broken } = checkMarkdownLinks([join(root, 'a.md')], root);
    assert.equal(checked, 9);
    assert.deepEqual(broken, [
      'a.md:4: docs/c.md: no such file docs/c.md',
      'a.md:5: docs/b.md#running: no heading "#running" in docs/b.md',
      'a.md:6: src#x: an anchor needs a Markdown page to point into',
      'a.md:10: #nope: no heading "#nope" in a.md',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('headings get the anchors GitHub gives them; headings and links inside code are not read', () => {
  assert.equal(githubSlug('Pipelines (CI/CD)'), 'pipelines-cicd');
  assert.equal(githubSlug('Running Capstan: `npm start` and `npm test`'), 'running-capstan-npm-start-and-npm-test');
  assert.equal(githubSlug('Concurrency, deploys and rollback'), 'concurrency-deploys-and-rollback');
  assert.equal(githubSlug('Stacks — with [Pulumi](https://www.pulumi.com)'), 'stacks--with-pulumi');
  const page = '# Title\n\n```sh\n# not a heading\n[x](y.md)\n```\n\n## Title\n<a id="custom"></a>\n';
  assert.deepEqual([...headingAnchors(page)].sort(), ['custom', 'title', 'title-1']);
  assert.deepEqual(markdownLinks(page), []);
});
