/** The concurrency group templating the pipeline workflow uses: `${{ branch }}` filled in, the branch kept literal. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concurrencyGroupName } from '../../workflows/pipeline/concurrency-group';

describe('concurrencyGroupName', () => {
  test('replaces ${{ branch }} with the branch, with or without spaces inside the braces', () => {
    assert.equal(concurrencyGroupName('deploy-${{ branch }}', 'main'), 'deploy-main');
    assert.equal(concurrencyGroupName('deploy-${{branch}}', 'main'), 'deploy-main');
    assert.equal(concurrencyGroupName('deploy-${{   branch\t}}', 'release/1.0'), 'deploy-release/1.0');
  });

  test('replaces every occurrence and leaves the rest alone', () => {
    assert.equal(concurrencyGroupName('${{ branch }}/${{ branch }}', 'x'), 'x/x');
    assert.equal(concurrencyGroupName('production', 'main'), 'production');
    assert.equal(concurrencyGroupName('${{ sha }}', 'main'), '${{ sha }}');
  });

  test('keeps replacement patterns in a branch name literal', () => {
    assert.equal(concurrencyGroupName('g-${{ branch }}', 'a$&b$1'), 'g-a$&b$1');
    assert.equal(concurrencyGroupName('deploy-${{ branch }}', "fix-$&-$'-$`-$$"), "deploy-fix-$&-$'-$`-$$");
  });
});
