/** Webhook signatures: GitHub's HMAC-SHA256 of the raw body, GitLab's secret token. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { githubSignature, verifyGithubSignature, verifyGitlabToken } from '../../api/pipelines/webhook-signature';

const SECRET = 'a-webhook-secret-of-some-length';
const BODY = Buffer.from('{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567"}');

describe('verifyGithubSignature', () => {
  test('accepts sha256=<hex HMAC-SHA256 of the raw body keyed with the secret>', () => {
    const header = `sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`;
    assert.equal(githubSignature(BODY, SECRET), header);
    assert.deepEqual(verifyGithubSignature(BODY, header, SECRET), { valid: true });
  });

  test('hex digits in upper case are the same signature', () => {
    assert.deepEqual(
      verifyGithubSignature(
        BODY,
        githubSignature(BODY, SECRET)
          .replace(/[a-f]/g, (c) => c.toUpperCase())
          .replace('SHA256', 'sha256'),
        SECRET,
      ),
      { valid: true },
    );
  });

  test('a body changed by one byte no longer matches', () => {
    const header = githubSignature(BODY, SECRET);
    for (const index of [0, Math.floor(BODY.length / 2), BODY.length - 1]) {
      const changed = Buffer.from(BODY);
      changed[index] = changed[index]! ^ 0x01;
      const check = verifyGithubSignature(changed, header, SECRET);
      assert.equal(check.valid, false, `byte ${index} changed`);
      assert.match((check as { reason: string }).reason, /does not match/);
    }
    assert.equal(
      verifyGithubSignature(Buffer.concat([BODY, Buffer.from(' ')]), header, SECRET).valid,
      false,
      'a byte added',
    );
  });

  test('another secret does not match', () => {
    assert.equal(verifyGithubSignature(BODY, githubSignature(BODY, `${SECRET}x`), SECRET).valid, false);
  });

  test('a missing or malformed header is refused, naming the header', () => {
    assert.deepEqual(verifyGithubSignature(BODY, undefined, SECRET), {
      valid: false,
      reason: 'X-Hub-Signature-256 is missing; set a secret on the webhook',
    });
    assert.deepEqual(verifyGithubSignature(BODY, '', SECRET).valid, false);
    const hex = githubSignature(BODY, SECRET).slice('sha256='.length);
    for (const bad of [
      hex,
      `sha1=${hex}`,
      `sha256=${hex.slice(1)}`,
      `sha256=${hex}00`,
      `sha256=${hex.slice(0, -1)}g`,
    ]) {
      assert.deepEqual(
        verifyGithubSignature(BODY, bad, SECRET),
        { valid: false, reason: 'X-Hub-Signature-256 is not sha256=<64 hex digits>' },
        bad,
      );
    }
  });

  test('an empty body is signed like any other', () => {
    const empty = Buffer.alloc(0);
    assert.equal(verifyGithubSignature(empty, githubSignature(empty, SECRET), SECRET).valid, true);
    assert.equal(verifyGithubSignature(empty, githubSignature(BODY, SECRET), SECRET).valid, false);
  });
});

describe('verifyGitlabToken', () => {
  test('accepts exactly the secret', () => {
    assert.deepEqual(verifyGitlabToken(SECRET, SECRET), { valid: true });
  });

  test('refuses anything else: a prefix, a longer value, one character changed, another case', () => {
    for (const bad of [SECRET.slice(0, -1), `${SECRET}x`, `b${SECRET.slice(1)}`, SECRET.toUpperCase()]) {
      assert.deepEqual(
        verifyGitlabToken(bad, SECRET),
        { valid: false, reason: "X-Gitlab-Token is not the repository's webhook secret" },
        bad,
      );
    }
  });

  test('a missing header is refused, naming it', () => {
    assert.deepEqual(verifyGitlabToken(undefined, SECRET), {
      valid: false,
      reason: 'X-Gitlab-Token is missing; set a secret token on the webhook',
    });
    assert.equal(verifyGitlabToken('', SECRET).valid, false);
  });
});
