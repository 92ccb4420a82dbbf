/** GitLab's webhooks: `Push Hook` and `Merge Request Hook` start pipelines, anything else is ignored. Pure. */
import { z } from 'zod';
import { parseOr400 } from '../validate';
import { JSON_MEDIA_TYPE } from './webhook-body';
import {
  CommitShaSchema,
  forgeUser,
  pushEvent,
  RefNameSchema,
  type ForgeEvent,
  type ForgeWebhook,
} from './webhook-events';
import { GITLAB_TOKEN_HEADER, verifyGitlabToken } from './webhook-signature';

const ProjectSchema = z.object({ project: z.object({ path_with_namespace: z.string().min(1).max(255) }) });

const PushSchema = z.object({
  ref: RefNameSchema,
  after: z.string(),
  before: z.string().max(64).nullish(),
  project: z.object({ default_branch: z.string().max(1024).nullish() }).nullish(),
  user_username: z.string().max(255).nullish(),
});

const MergeRequestSchema = z.object({
  object_attributes: z.object({
    action: z.string().max(100).nullish(),
    source_branch: RefNameSchema,
    target_branch: RefNameSchema,
    last_commit: z.object({ id: CommitShaSchema }),
    // Set on an update only when it brought new commits.
    oldrev: z.string().nullish(),
  }),
  user: z.object({ username: z.string().max(255) }).nullish(),
});

function push(payload: unknown): ForgeEvent {
  const body = parseOr400(PushSchema, payload, 'push payload');
  return pushEvent(body.ref, body.after, forgeUser('gitlab', body.user_username ?? undefined), {
    before: body.before ?? undefined,
    defaultBranch: body.project?.default_branch ?? undefined,
  });
}

function mergeRequest(payload: unknown): ForgeEvent {
  const body = parseOr400(MergeRequestSchema, payload, 'merge request payload');
  const mr = body.object_attributes;
  const action = mr.action ?? '(none)';
  // GitLab's "update" covers title and label edits too; only one that moved the head (oldrev set) is new code, like GitHub's synchronize.
  const newCode =
    action === 'open' ||
    action === 'reopen' ||
    (action === 'update' && typeof mr.oldrev === 'string' && mr.oldrev !== '');
  if (!newCode) {
    return {
      kind: 'ignored',
      reason:
        action === 'update'
          ? 'merge request update without new commits does not start pipelines'
          : `merge request action "${action}" does not start pipelines (only open, reopen and update with new commits do)`,
    };
  }
  return {
    kind: 'build',
    event: 'pull_request',
    sha: mr.last_commit.id,
    branch: mr.source_branch,
    filterBranch: mr.target_branch,
    triggeredBy: forgeUser('gitlab', body.user?.username),
  };
}

/**
 * GitLab: the webhook's secret token in X-Gitlab-Token, event in X-Gitlab-Event. The delivery id is
 * Idempotency-Key (GitLab 17.4 on; kept when a delivery is retried), else X-Gitlab-Event-UUID.
 */
export const gitlabWebhook: ForgeWebhook = {
  provider: 'gitlab',
  eventHeader: 'X-Gitlab-Event',
  signatureHeader: GITLAB_TOKEN_HEADER,
  deliveryHeaders: ['Idempotency-Key', 'X-Gitlab-Event-UUID'],
  // GitLab always sends JSON.
  mediaTypes: [JSON_MEDIA_TYPE],
  sender: (_eventName, payload) => ({
    kind: 'repository',
    name: parseOr400(ProjectSchema, payload, 'webhook payload').project.path_with_namespace,
  }),
  verify: (_rawBody, header, secret) => verifyGitlabToken(header(GITLAB_TOKEN_HEADER), secret),
  auditAction: (eventName) =>
    `webhook.${eventName === 'Push Hook' || eventName === 'Tag Push Hook' ? 'push' : eventName === 'Merge Request Hook' ? 'pull_request' : 'other'}`,
  interpret: (eventName, payload) => {
    if (eventName === 'Push Hook' || eventName === 'Tag Push Hook') return push(payload);
    if (eventName === 'Merge Request Hook') return mergeRequest(payload);
    return {
      kind: 'ignored',
      reason: `event "${eventName}" does not start pipelines (Push Hook and Merge Request Hook do)`,
    };
  },
};
