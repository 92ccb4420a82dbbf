/** Checks that a webhook came from the forge that holds the repository's secret. Pure. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A verdict on a delivery's credentials, with what is wrong when they do not hold. */
export type SignatureCheck = { valid: true } | { valid: false; reason: string };

/** The header GitHub signs deliveries in. */
export const GITHUB_SIGNATURE_HEADER = 'X-Hub-Signature-256';
/** The header GitLab sends the webhook's secret token in. */
export const GITLAB_TOKEN_HEADER = 'X-Gitlab-Token';

/** `sha256=<hex HMAC-SHA256 of the raw body>`, what GitHub sends in X-Hub-Signature-256. */
export function githubSignature(rawBody: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * GitHub: the header must be the HMAC-SHA256 of the exact bytes received, keyed with the secret,
 * compared in constant time so the time taken tells nothing of how much of a guess was right.
 */
export function verifyGithubSignature(rawBody: Buffer, header: string | undefined, secret: string): SignatureCheck {
  if (header === undefined || header === '')
    return { valid: false, reason: `${GITHUB_SIGNATURE_HEADER} is missing; set a secret on the webhook` };
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return { valid: false, reason: `${GITHUB_SIGNATURE_HEADER} is not sha256=<64 hex digits>` };
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(match[1]!, 'hex');
  return timingSafeEqual(given, expected)
    ? { valid: true }
    : {
        valid: false,
        reason: `${GITHUB_SIGNATURE_HEADER} does not match the body signed with the repository's webhook secret`,
      };
}

/** GitLab: the header must equal the secret; both are hashed first, so the comparison takes the same time whatever their lengths. */
export function verifyGitlabToken(header: string | undefined, secret: string): SignatureCheck {
  if (header === undefined || header === '')
    return { valid: false, reason: `${GITLAB_TOKEN_HEADER} is missing; set a secret token on the webhook` };
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(header), digest(secret))
    ? { valid: true }
    : { valid: false, reason: `${GITLAB_TOKEN_HEADER} is not the repository's webhook secret` };
}
