/** GitHub's webhooks: `push` and `pull_request` start pipelines, `ping` answers, anything else is ignored. Pure. */
import { z } from 'zod';
import { parseOr400 } from '../validate';
import { FORM_MEDIA_TYPE, JSON_MEDIA_TYPE } from './webhook-body';
import {
  CommitShaSchema,
  forgeUser,
  pushEvent,
  RefNameSchema,
  type ClaimedSender,
  type ForgeEvent,
  type ForgeWebhook,
} from './webhook-events';
import { GITHUB_SIGNATURE_HEADER, verifyGithubSignature } from './webhook-signature';

/** Pull request actions that put new code up for a build; GitHub Actions builds on the same three. */
export const GITHUB_BUILD_ACTIONS = ['opened', 'synchronize', 'reopened'] as const;

const SenderSchema = z.object({ login: z.string().max(255) }).nullish();

const RepositorySchema = z.object({ repository: z.object({ full_name: z.string().min(1).max(255) }) });

// An organization hook's ping names the organization instead; GitHub logins are letters, digits and dashes.
const OrganizationSchema = z.object({ organization: z.object({ login: z.string().regex(/^[A-Za-z0-9-]{1,100}$/) }) });

const PushSchema = z.object({
  ref: RefNameSchema,
  after: z.string(),
  before: z.string().max(64).nullish(),
  repository: z.object({ default_branch: z.string().max(1024).nullish() }).nullish(),
  sender: SenderSchema,
});

const PullRequestSchema = z.object({
  action: z.string().max(100),
  pull_request: z.object({
    head: z.object({ sha: CommitShaSchema, ref: RefNameSchema }),
    base: z.object({ ref: RefNameSchema }),
  }),
  sender: SenderSchema,
});

function push(payload: unknown): ForgeEvent {
  const body = parseOr400(PushSchema, payload, 'push payload');
  return pushEvent(body.ref, body.after, forgeUser('github', body.sender?.login), {
    before: body.before ?? undefined,
    defaultBranch: body.repository?.default_branch ?? undefined,
  });
}

function pullRequest(payload: unknown): ForgeEvent {
  const action = parseOr400(z.object({ action: z.string().max(100) }), payload, 'pull_request payload').action;
  if (!(GITHUB_BUILD_ACTIONS as readonly string[]).includes(action)) {
    return {
      kind: 'ignored',
      reason: `pull_request action "${action}" does not start pipelines (only ${GITHUB_BUILD_ACTIONS.join(', ')} do)`,
    };
  }
  const body = parseOr400(PullRequestSchema, payload, 'pull_request payload');
  const { head, base } = body.pull_request;
  return {
    kind: 'build',
    event: 'pull_request',
    sha: head.sha,
    branch: head.ref,
    filterBranch: base.ref,
    triggeredBy: forgeUser('github', body.sender?.login),
  };
}

/**
 * A delivery names its repository; only the ping of an organization-level hook, sent when the hook
 * is created, has none, and names the organization instead. Every other event of an organization
 * hook carries the repository it is about, so it is read like a repository hook's.
 */
function sender(eventName: string | undefined, payload: unknown): ClaimedSender {
  const hasRepository = typeof payload === 'object' && payload !== null && 'repository' in payload;
  if (eventName === 'ping' && !hasRepository) {
    const organization = OrganizationSchema.safeParse(payload);
    if (organization.success) return { kind: 'organization', login: organization.data.organization.login };
  }
  return { kind: 'repository', name: parseOr400(RepositorySchema, payload, 'webhook payload').repository.full_name };
}

/** GitHub: signed with X-Hub-Signature-256, event in X-GitHub-Event, delivery id in X-GitHub-Delivery. */
export const githubWebhook: ForgeWebhook = {
  provider: 'github',
  eventHeader: 'X-GitHub-Event',
  signatureHeader: GITHUB_SIGNATURE_HEADER,
  deliveryHeaders: ['X-GitHub-Delivery'],
  // JSON, or the form encoding GitHub gives a new hook by default; both are signed as sent.
  mediaTypes: [JSON_MEDIA_TYPE, FORM_MEDIA_TYPE],
  sender,
  verify: (rawBody, header, secret) => verifyGithubSignature(rawBody, header(GITHUB_SIGNATURE_HEADER), secret),
  auditAction: (eventName) =>
    `webhook.${eventName === 'push' || eventName === 'pull_request' || eventName === 'ping' ? eventName : 'other'}`,
  interpret: (eventName, payload) => {
    if (eventName === 'ping') return { kind: 'ping' };
    if (eventName === 'push') return push(payload);
    if (eventName === 'pull_request') return pullRequest(payload);
    return { kind: 'ignored', reason: `event "${eventName}" does not start pipelines (push and pull_request do)` };
  },
};
