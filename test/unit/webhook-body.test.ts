/** Decoding a webhook body: JSON as sent, or GitHub's form encoding (payload=<url-encoded JSON>). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../api/errors';
import { decodeWebhookBody, FORM_MEDIA_TYPE, JSON_MEDIA_TYPE } from '../../api/pipelines/webhook-body';

const PAYLOAD = { ref: 'refs/heads/main', repository: { full_name: 'acme/web' }, note: 'a & b = c + d ü' };

function refused(work: () => unknown, code: string, field: string): void {
  assert.throws(work, (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.status, err.code], [400, code]);
    assert.equal((err.details as Array<{ field: string }>)[0]!.field, field);
    return true;
  });
}

describe('decodeWebhookBody', () => {
  test('JSON is parsed as sent', () => {
    assert.deepEqual(decodeWebhookBody(Buffer.from(JSON.stringify(PAYLOAD)), JSON_MEDIA_TYPE), PAYLOAD);
    refused(() => decodeWebhookBody(Buffer.from('{"ref": '), JSON_MEDIA_TYPE), 'malformed_json', '(body)');
  });

  test('a form body is payload=<url-encoded JSON>, decoded as GitHub encodes it (spaces as +)', () => {
    const form = new URLSearchParams({ payload: JSON.stringify(PAYLOAD) }).toString();
    assert.match(form, /^payload=%7B/);
    assert.deepEqual(decodeWebhookBody(Buffer.from(form), FORM_MEDIA_TYPE), PAYLOAD);
    const escaped = `payload=${encodeURIComponent(JSON.stringify(PAYLOAD))}`;
    assert.deepEqual(decodeWebhookBody(Buffer.from(escaped), FORM_MEDIA_TYPE), PAYLOAD);
  });

  test('a form without exactly one JSON payload is a 400 naming payload', () => {
    refused(() => decodeWebhookBody(Buffer.from('ref=main'), FORM_MEDIA_TYPE), 'invalid_request', 'payload');
    const twice = Buffer.from('payload=%7B%7D&payload=%7B%7D');
    refused(() => decodeWebhookBody(twice, FORM_MEDIA_TYPE), 'invalid_request', 'payload');
    refused(() => decodeWebhookBody(Buffer.from('payload=%7B'), FORM_MEDIA_TYPE), 'malformed_json', 'payload');
  });
});
