/** Turns a webhook's raw body into its payload, whichever of the forge's content types it came in. Pure. */
import { ApiError } from '../errors';

/** A JSON body: what GitLab always sends, and GitHub when the hook's content type is application/json. */
export const JSON_MEDIA_TYPE = 'application/json';
/** `payload=<url-encoded JSON>`: the content type GitHub gives a new webhook unless told otherwise. */
export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/**
 * The payload a body carries. The signature is checked over the raw bytes elsewhere, never over
 * this decoded value: a form body is signed as sent, percent-escapes and all.
 */
export function decodeWebhookBody(raw: Buffer, mediaType: string): unknown {
  if (mediaType !== FORM_MEDIA_TYPE) return parseJson(raw.toString('utf8'), '(body)', 'webhook body');
  const values = new URLSearchParams(raw.toString('utf8')).getAll('payload');
  if (values.length !== 1) {
    const message =
      values.length === 0 ? 'is missing: a form-encoded delivery is payload=<JSON>' : 'appears more than once';
    throw new ApiError(400, 'invalid_request', `form-encoded webhook body: payload ${message}`, [
      { field: 'payload', message },
    ]);
  }
  return parseJson(values[0]!, 'payload', "the webhook body's payload field");
}

function parseJson(text: string, field: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const issue = { field, message: (err as Error).message };
    throw new ApiError(400, 'malformed_json', `${what} is not valid JSON`, [issue]);
  }
}
