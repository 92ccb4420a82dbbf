/** Reading GitHub and GitLab deliveries: which start a build, of what commit and branch, and why the others do not. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../api/errors';
import { githubWebhook } from '../../api/pipelines/github-webhook';
import { gitlabWebhook } from '../../api/pipelines/gitlab-webhook';
import { branchOfRef } from '../../api/pipelines/webhook-events';

const SHA = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

function badRequest(work: () => unknown, field: string): void {
  assert.throws(work, (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 400);
    assert.ok(
      (err.details as Array<{ field: string }>).some((d) => d.field === field),
      JSON.stringify(err.details),
    );
    return true;
  });
}

describe('branchOfRef', () => {
  test('branches, tags and other refs', () => {
    assert.deepEqual(branchOfRef('refs/heads/release/1.2'), { branch: 'release/1.2' });
    assert.deepEqual(branchOfRef('refs/tags/v1'), { ignored: 'tag pushes do not start pipelines (refs/tags/v1)' });
    assert.deepEqual(branchOfRef('refs/notes/commits'), { ignored: 'ref refs/notes/commits is not a branch' });
    assert.deepEqual(branchOfRef('refs/heads/'), { ignored: 'ref refs/heads/ is not a branch' });
  });
});

describe('GitHub deliveries', () => {
  test('the sender is repository.full_name; its absence names the field', () => {
    const named = { repository: { full_name: 'acme/web' } };
    assert.deepEqual(githubWebhook.sender('push', named), { kind: 'repository', name: 'acme/web' });
    badRequest(() => githubWebhook.sender('push', {}), 'repository');
    badRequest(() => githubWebhook.sender('push', { repository: { full_name: 7 } }), 'repository.full_name');
  });

  test("only a ping without a repository is an organization hook's, naming organization.login", () => {
    const orgPing = { zen: 'Design for failure.', hook: { type: 'Organization' }, organization: { login: 'acme' } };
    assert.deepEqual(githubWebhook.sender('ping', orgPing), { kind: 'organization', login: 'acme' });
    // Every other event of an organization hook names its repository, and must.
    badRequest(() => githubWebhook.sender('push', orgPing), 'repository');
    // A repository hook's ping in an organization names both: the repository wins.
    const repositoryPing = { ...orgPing, repository: { full_name: 'acme/web' } };
    assert.deepEqual(githubWebhook.sender('ping', repositoryPing), { kind: 'repository', name: 'acme/web' });
    badRequest(() => githubWebhook.sender('ping', { organization: { login: 'bad/login' } }), 'repository');
    badRequest(() => githubWebhook.sender('ping', { zen: 'an app hook names neither' }), 'repository');
  });

  test('a push to a branch builds `after` on that branch, triggered by the sender', () => {
    assert.deepEqual(
      githubWebhook.interpret('push', { ref: 'refs/heads/main', after: SHA, sender: { login: 'alice' } }),
      {
        kind: 'build',
        event: 'push',
        sha: SHA,
        branch: 'main',
        filterBranch: 'main',
        triggeredBy: 'github:alice',
      },
    );
  });

  test('a tag push builds the tag with no branch; before and the default branch ride along', () => {
    assert.deepEqual(
      githubWebhook.interpret('push', {
        ref: 'refs/tags/v1.2.3',
        after: SHA,
        before: ZERO,
        repository: { full_name: 'acme/web', default_branch: 'main' },
        sender: { login: 'alice' },
      }),
      {
        kind: 'build',
        event: 'push',
        sha: SHA,
        branch: '',
        filterBranch: '',
        tag: 'v1.2.3',
        before: ZERO,
        defaultBranch: 'main',
        triggeredBy: 'github:alice',
      },
    );
  });

  test('deleted tags and branches start nothing, with the reason', () => {
    assert.deepEqual(githubWebhook.interpret('push', { ref: 'refs/tags/v1', after: ZERO }), {
      kind: 'ignored',
      reason: 'tag v1 was deleted',
    });
    assert.deepEqual(githubWebhook.interpret('push', { ref: 'refs/heads/old', after: ZERO }), {
      kind: 'ignored',
      reason: 'branch old was deleted',
    });
  });

  test('a push whose after is not a commit SHA names the field', () => {
    badRequest(() => githubWebhook.interpret('push', { ref: 'refs/heads/main', after: 'HEAD' }), 'after');
    badRequest(() => githubWebhook.interpret('push', { after: SHA }), 'ref');
  });

  test('a pull request builds its head commit, is filtered by its base branch and reports its head branch', () => {
    for (const action of ['opened', 'synchronize', 'reopened']) {
      assert.deepEqual(
        githubWebhook.interpret('pull_request', {
          action,
          pull_request: { head: { sha: HEAD, ref: 'feature/x' }, base: { ref: 'main' } },
          sender: { login: 'bob' },
        }),
        {
          kind: 'build',
          event: 'pull_request',
          sha: HEAD,
          branch: 'feature/x',
          filterBranch: 'main',
          triggeredBy: 'github:bob',
        },
      );
    }
  });

  test('other pull request actions start nothing, naming the action', () => {
    assert.deepEqual(githubWebhook.interpret('pull_request', { action: 'closed', pull_request: {} }), {
      kind: 'ignored',
      reason: 'pull_request action "closed" does not start pipelines (only opened, synchronize, reopened do)',
    });
  });

  test('ping, and events Capstan does not build', () => {
    assert.deepEqual(githubWebhook.interpret('ping', {}), { kind: 'ping' });
    assert.deepEqual(githubWebhook.interpret('issues', {}), {
      kind: 'ignored',
      reason: 'event "issues" does not start pipelines (push and pull_request do)',
    });
    assert.equal(githubWebhook.auditAction('push'), 'webhook.push');
    assert.equal(githubWebhook.auditAction('issues'), 'webhook.other');
    assert.equal(githubWebhook.auditAction(undefined), 'webhook.other');
  });

  test('no sender is an unknown user, not an error', () => {
    assert.equal(
      (githubWebhook.interpret('push', { ref: 'refs/heads/main', after: SHA }) as { triggeredBy: string }).triggeredBy,
      'github:unknown',
    );
  });
});

describe('GitLab deliveries', () => {
  test('the repository name is project.path_with_namespace', () => {
    const project = { project: { path_with_namespace: 'group/sub/web' } };
    assert.deepEqual(gitlabWebhook.sender('Push Hook', project), { kind: 'repository', name: 'group/sub/web' });
    badRequest(() => gitlabWebhook.sender('Push Hook', { repository: {} }), 'project');
  });

  test('a push hook builds `after`, triggered by user_username; a tag push builds its tag; deletions start nothing', () => {
    assert.deepEqual(
      gitlabWebhook.interpret('Push Hook', { ref: 'refs/heads/main', after: SHA, user_username: 'carol' }),
      {
        kind: 'build',
        event: 'push',
        sha: SHA,
        branch: 'main',
        filterBranch: 'main',
        triggeredBy: 'gitlab:carol',
      },
    );
    assert.deepEqual(
      gitlabWebhook.interpret('Tag Push Hook', {
        ref: 'refs/tags/v2',
        after: SHA,
        before: '1'.repeat(40),
        project: { default_branch: 'trunk' },
      }),
      {
        kind: 'build',
        event: 'push',
        sha: SHA,
        branch: '',
        filterBranch: '',
        tag: 'v2',
        before: '1'.repeat(40),
        defaultBranch: 'trunk',
        triggeredBy: 'gitlab:unknown',
      },
    );
    assert.deepEqual(gitlabWebhook.interpret('Push Hook', { ref: 'refs/heads/gone', after: ZERO }), {
      kind: 'ignored',
      reason: 'branch gone was deleted',
    });
  });

  const mr = (attributes: Record<string, unknown>) => ({
    object_attributes: { source_branch: 'feature/y', target_branch: 'main', last_commit: { id: HEAD }, ...attributes },
    user: { username: 'dave' },
  });

  test('a merge request opened, reopened or updated with new commits builds its last commit, filtered by its target branch', () => {
    const build = {
      kind: 'build',
      event: 'pull_request',
      sha: HEAD,
      branch: 'feature/y',
      filterBranch: 'main',
      triggeredBy: 'gitlab:dave',
    };
    assert.deepEqual(gitlabWebhook.interpret('Merge Request Hook', mr({ action: 'open' })), build);
    assert.deepEqual(gitlabWebhook.interpret('Merge Request Hook', mr({ action: 'reopen' })), build);
    assert.deepEqual(gitlabWebhook.interpret('Merge Request Hook', mr({ action: 'update', oldrev: SHA })), build);
  });

  test('an update without new commits, a merge or a close starts nothing', () => {
    assert.deepEqual(gitlabWebhook.interpret('Merge Request Hook', mr({ action: 'update' })), {
      kind: 'ignored',
      reason: 'merge request update without new commits does not start pipelines',
    });
    assert.deepEqual(gitlabWebhook.interpret('Merge Request Hook', mr({ action: 'merge' })), {
      kind: 'ignored',
      reason:
        'merge request action "merge" does not start pipelines (only open, reopen and update with new commits do)',
    });
    assert.equal(gitlabWebhook.auditAction('Merge Request Hook'), 'webhook.pull_request');
    assert.deepEqual(gitlabWebhook.interpret('Note Hook', {}), {
      kind: 'ignored',
      reason: 'event "Note Hook" does not start pipelines (Push Hook and Merge Request Hook do)',
    });
  });
});
