/** What a forge's webhook means to Capstan, whichever forge sent it: the shared shapes and helpers. Pure. */
import { z } from 'zod';
import { parseOr400 } from '../validate';
import type { ForgeProvider } from '../../db/stores/repository-store';
import type { SignatureCheck } from './webhook-signature';

/** Events a webhook can start a pipeline for. */
export type WebhookBuildEvent = 'push' | 'pull_request';

/** A delivery read: a ping, something that starts nothing (and why), or a commit to build. */
export type ForgeEvent =
  | { kind: 'ping' }
  | { kind: 'ignored'; reason: string }
  | {
      kind: 'build';
      event: WebhookBuildEvent;
      sha: string;
      /** The branch the run reports: pushed to, or a pull request's head. */
      branch: string;
      /** The branch the pipeline's branch filters are matched against: pushed to, or a pull request's base (as GitHub Actions does). */
      filterBranch: string;
      /** The forge user who caused it, prefixed with the forge (`github:alice`). */
      triggeredBy: string;
      /** The tag of a tag push (then `branch` and `filterBranch` are empty). */
      tag?: string;
      /** A push's previous commit of the branch: all zeros for a new branch; what its changed files are read against. */
      before?: string;
      /** The repository's default branch, when the payload says. */
      defaultBranch?: string;
    };

/**
 * Whom a delivery says it comes from, before anything is verified: a repository (by its name on the
 * forge), or, for the ping of a GitHub organization hook, which names no repository, an organization.
 */
export type ClaimedSender = { kind: 'repository'; name: string } | { kind: 'organization'; login: string };

/** How one forge's webhooks are read; the route is the same for every forge. */
export interface ForgeWebhook {
  provider: ForgeProvider;
  /** The header that names the event. */
  eventHeader: string;
  /** The header whose secret or signature `verify` checks. */
  signatureHeader: string;
  /** Headers that carry the delivery's id, the first one present wins; a redelivery carries the same id. */
  deliveryHeaders: readonly string[];
  /** The body content types the forge sends, the first the one it is best configured with. */
  mediaTypes: readonly string[];
  /** Who the payload says sent it; a 400 naming the field when it names no one. */
  sender(eventName: string | undefined, payload: unknown): ClaimedSender;
  /** Whether the delivery carries the repository's secret. */
  verify(rawBody: Buffer, header: (name: string) => string | undefined, secret: string): SignatureCheck;
  /** The audit action of an event header, known before the payload is read: `webhook.push`, `webhook.pull_request`, `webhook.ping` or `webhook.other`. */
  auditAction(eventName: string | undefined): string;
  /** What the delivery asks for. */
  interpret(eventName: string, payload: unknown): ForgeEvent;
}

/** A commit id: SHA-1 (40 hex digits) or SHA-256 (64). */
export const CommitShaSchema = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit SHA');

/** A branch or ref name as a payload carries it. */
export const RefNameSchema = z.string().min(1).max(1024);

/** True for the all-zero id a forge sends as the new commit of a deleted branch. */
export function isZeroSha(sha: string): boolean {
  return /^0+$/.test(sha);
}

/** The branch a pushed ref names, or why the push starts nothing (a tag, another kind of ref). */
export function branchOfRef(ref: string): { branch: string } | { ignored: string } {
  if (ref.startsWith('refs/heads/') && ref.length > 'refs/heads/'.length)
    return { branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { ignored: `tag pushes do not start pipelines (${ref})` };
  return { ignored: `ref ${ref} is not a branch` };
}

/** The forge user, prefixed with the forge; `unknown` when the payload names nobody. */
export function forgeUser(provider: ForgeProvider, login: string | undefined): string {
  return `${provider}:${login && login !== '' ? login : 'unknown'}`;
}

/** What a push says besides its ref and commit, when the forge sends it. */
export interface PushDetails {
  before?: string;
  defaultBranch?: string;
}

/**
 * What a push of `after` to `ref` asks for, on any forge: a build of that commit (a branch push, or a
 * tag push with the tag named and no branch, GitHub's push with `ref_type` tag), or a reason to start nothing.
 */
export function pushEvent(ref: string, after: string, triggeredBy: string, details: PushDetails = {}): ForgeEvent {
  const extra = {
    ...(details.before !== undefined && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(details.before)
      ? { before: details.before }
      : {}),
    ...(details.defaultBranch ? { defaultBranch: details.defaultBranch } : {}),
  };
  if (ref.startsWith('refs/tags/') && ref.length > 'refs/tags/'.length) {
    const tag = ref.slice('refs/tags/'.length);
    if (isZeroSha(after)) return { kind: 'ignored', reason: `tag ${tag} was deleted` };
    const sha = parseOr400(CommitShaSchema, after, 'push payload', 'after');
    return { kind: 'build', event: 'push', sha, branch: '', filterBranch: '', tag, triggeredBy, ...extra };
  }
  const branch = branchOfRef(ref);
  if ('ignored' in branch) return { kind: 'ignored', reason: branch.ignored };
  if (isZeroSha(after)) return { kind: 'ignored', reason: `branch ${branch.branch} was deleted` };
  const sha = parseOr400(CommitShaSchema, after, 'push payload', 'after');
  return {
    kind: 'build',
    event: 'push',
    sha,
    branch: branch.branch,
    filterBranch: branch.branch,
    triggeredBy,
    ...extra,
  };
}
