/** The commit status activity: tells the forge that a commit's pipeline is pending, passed or failed. */
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../../workflows/contracts/failure-types';
import { statusRequest, type CommitStatus } from './status-request';
import { findStatusTarget, type ForgeDb } from '../../db/stores/status-target';

/** What the forge activities need: Capstan's database, and a fetch (the global one unless a test brings its own). */
export interface ForgeActivityDeps {
  db: ForgeDb;
  fetch?: typeof fetch;
}

/** Input of `reportCommitStatus`. */
export type ReportCommitStatusInput = CommitStatus;

/** Whether the status reached the forge, and why not when the repository reports none. */
export interface ReportCommitStatusResult {
  reported: boolean;
  reason?: string;
}

/** A hung forge must not hold an activity slot until the activity's own timeout. */
const REQUEST_TIMEOUT_MS = 30_000;

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const STATES = ['pending', 'success', 'failure', 'cancelled'];

/** Builds the forge activities over `deps`. */
export function createForgeActivities(deps: ForgeActivityDeps) {
  const send = deps.fetch ?? fetch;
  return {
    /** Sets a commit status on the repository's forge; `{ reported: false, reason }` when the repository has no status endpoint. */
    async reportCommitStatus(input: ReportCommitStatusInput): Promise<ReportCommitStatusResult> {
      // The SHA goes into a URL path: anything but hex digits could point the request somewhere else.
      if (!SHA.test(input.sha))
        throw ApplicationFailure.create({
          type: FailureTypes.invalidCommitStatus,
          message: `sha "${input.sha}" is not a full commit SHA`,
          nonRetryable: true,
        });
      if (!STATES.includes(input.state))
        throw ApplicationFailure.create({
          type: FailureTypes.invalidCommitStatus,
          message: `state "${input.state}" is not pending, success, failure or cancelled`,
          nonRetryable: true,
        });
      const lookup = await findStatusTarget(deps.db, input.repository);
      if ('reason' in lookup) return { reported: false, reason: lookup.reason };
      const request = statusRequest(lookup.target, { ...input, repository: lookup.name });
      let response: Response;
      try {
        // No redirects: GitLab's PRIVATE-TOKEN would follow one to any host, and a moved repository needs its registration updated anyway.
        response = await send(request.url, {
          method: 'POST',
          headers: request.headers,
          body: JSON.stringify(request.body),
          redirect: 'manual',
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (err) {
        throw ApplicationFailure.create({
          type: FailureTypes.forgeStatusUnavailable,
          message: `POST ${request.url} failed: ${(err as Error).message}`,
          nonRetryable: false,
        });
      }
      if (response.ok) {
        await response.body?.cancel();
        return { reported: true };
      }
      const location = response.headers.get('location');
      const body = location ? `redirected to ${location}` : (await response.text().catch(() => '')).slice(0, 2000);
      const retry = worthRetrying(response);
      throw ApplicationFailure.create({
        type: retry ? FailureTypes.forgeStatusUnavailable : FailureTypes.forgeStatusRejected,
        message: `${lookup.target.provider} answered ${response.status} to POST ${request.url}: ${body}`,
        nonRetryable: !retry,
        details: [{ status: response.status, body }],
      });
    },
  };
}

/**
 * 5xx and 429 are retried; so is a 403 that is GitHub's rate limit (it says so with Retry-After or
 * no requests remaining), since the same token works again later. Any other 4xx, or a redirect, is
 * the token's or the registration's fault, which no retry mends.
 */
function worthRetrying(response: Response): boolean {
  if (response.status >= 500 || response.status === 429) return true;
  return (
    response.status === 403 &&
    (response.headers.has('retry-after') || response.headers.get('x-ratelimit-remaining') === '0')
  );
}
