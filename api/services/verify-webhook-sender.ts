/**
 * Who a webhook delivery comes from, proven by the secret it is signed with. Every refusal, whether
 * the repository is unknown, registered on another forge, or the signature is missing, malformed or
 * wrong, is the same 401 with the same body, so an unsigned request learns nothing of the registry.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../config/logger';
import { withDatabase } from '../auth/database-errors';
import { ApiError } from '../errors';
import { findRepository, listRepositories, type RepositoryRecord } from '../../db/stores/repository-store';
import type { ClaimedSender, ForgeWebhook } from '../pipelines/webhook-events';
import type { SignatureCheck } from '../pipelines/webhook-signature';
import type { ApiDeps } from './deps';

/** A sender whose signature held. */
export type VerifiedSender =
  | { kind: 'repository'; repository: RepositoryRecord }
  /** A GitHub organization hook's ping, signed with the secret of a repository registered under that organization. */
  | { kind: 'organization'; login: string };

/** What checking a delivery's sender needs. */
export interface VerifySenderOptions {
  deps: Pick<ApiDeps, 'db'>;
  logger: Logger;
  forge: ForgeWebhook;
  claimed: ClaimedSender;
  rawBody: Buffer;
  header(name: string): string | undefined;
}

// When there is no registered secret to check against, the signature is still checked against this
// one, which nobody knows, so an unknown name costs the same HMAC as a known one.
const DECOY_SECRET = randomBytes(32).toString('hex');

// A name no registration could hold (see RepositoryNameSchema) is unknown without a lookup; this
// also keeps characters PostgreSQL refuses (NUL) out of the query.
const REGISTRABLE_NAME = /^[A-Za-z0-9_./-]{1,255}$/;

/** The delivery's sender when its secret holds; otherwise the one 401 every refused delivery gets. */
export async function verifyWebhookSender(options: VerifySenderOptions): Promise<VerifiedSender> {
  const { forge, claimed } = options;
  const verify = (secret: string): SignatureCheck => forge.verify(options.rawBody, options.header, secret);
  if (claimed.kind === 'repository') {
    const found = REGISTRABLE_NAME.test(claimed.name)
      ? await withDatabase('looking up the repository', () => findRepository(options.deps.db, claimed.name))
      : undefined;
    const repository = found?.provider === forge.provider ? found : undefined;
    const check = verify(repository?.webhookSecret ?? DECOY_SECRET);
    if (repository && check.valid) return { kind: 'repository', repository };
    const unknown = `no ${forge.provider} repository "${claimed.name}" is registered`;
    throw refused(options, repository ? reasonOf(check) : unknown);
  }
  // An organization hook has one secret for all the organization's repositories, and each of its
  // deliveries is verified with the secret of the repository it names; so those repositories are
  // registered with the hook's secret, and its ping is genuine when it is signed with the secret of
  // any of them. With none registered there is no secret to trust, and the ping is refused.
  const repositories = await withDatabase('listing repositories', () => listRepositories(options.deps.db));
  const prefix = `${claimed.login.toLowerCase()}/`;
  const secrets = repositories
    .filter((r) => r.provider === forge.provider && r.name.toLowerCase().startsWith(prefix))
    .map((r) => r.webhookSecret);
  // Every secret is tried (no early exit), each comparison constant-time.
  const checks = (secrets.length > 0 ? secrets : [DECOY_SECRET]).map(verify);
  if (secrets.length > 0 && checks.some((c) => c.valid)) return { kind: 'organization', login: claimed.login };
  throw refused(
    options,
    secrets.length > 0
      ? `${reasonOf(checks[0]!)} (tried the secrets of ${secrets.length} repositories of organization ${claimed.login})`
      : `no ${forge.provider} repository of organization "${claimed.login}" is registered`,
  );
}

function reasonOf(check: SignatureCheck): string {
  return check.valid ? 'valid' : check.reason;
}

/** The refusal: the same answer whatever went wrong; the reason goes to the log, for whoever runs Capstan. */
function refused(options: VerifySenderOptions, reason: string): ApiError {
  const { forge, claimed } = options;
  options.logger.info({ forge: forge.provider, sender: claimed, reason }, 'webhook delivery refused');
  const message =
    `the delivery is not signed with the webhook secret of a registered ${forge.provider} repository ` +
    "of the name it gives: check that the repository is registered (POST /v1/repositories) and that the hook's " +
    'secret is the one registered';
  return new ApiError(401, 'invalid_signature', message, [
    {
      field: forge.signatureHeader,
      message: 'does not verify with the webhook secret of a registered repository of that name',
    },
  ]);
}
