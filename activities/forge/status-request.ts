/** The HTTP request that sets a commit status on GitHub or GitLab. Pure. */

/** States Capstan reports; GitHub and GitLab both have an equivalent of each (a cancelled job is GitHub's `error`). */
export type CommitState = 'pending' | 'success' | 'failure' | 'cancelled';

/** Where a repository's statuses go, as registered. */
export interface StatusTarget {
  provider: 'github' | 'gitlab';
  /** Base URL of the forge's API: https://api.github.com, https://gitlab.example.com/api/v4. */
  apiUrl: string;
  token: string;
}

/** One status for one commit. */
export interface CommitStatus {
  repository: string;
  sha: string;
  state: CommitState;
  context: string;
  description: string;
  targetUrl?: string;
}

/** A request ready for fetch. */
export interface StatusRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, string>;
}

/** GitHub refuses descriptions longer than this; GitLab's limit is higher, so one cut suits both. */
export const MAX_DESCRIPTION_CHARS = 140;

// GitLab has no "failure" state: a failed pipeline is "failed" there; a cancelled one is "canceled".
const GITLAB_STATES: Record<CommitState, string> = {
  pending: 'pending',
  success: 'success',
  failure: 'failed',
  cancelled: 'canceled',
};
// GitHub has no cancelled state; "error" is the one that says the check did not run to a verdict.
const GITHUB_STATES: Record<CommitState, string> = {
  pending: 'pending',
  success: 'success',
  failure: 'failure',
  cancelled: 'error',
};

/** The description cut to what the forge accepts, with an ellipsis when something was cut. */
function shortDescription(text: string): string {
  const chars = Array.from(text);
  return chars.length <= MAX_DESCRIPTION_CHARS ? text : `${chars.slice(0, MAX_DESCRIPTION_CHARS - 1).join('')}…`;
}

/** The POST that sets `status` on `target`'s forge. */
export function statusRequest(target: StatusTarget, status: CommitStatus): StatusRequest {
  const api = target.apiUrl.replace(/\/+$/, '');
  const description = shortDescription(status.description);
  const link: Record<string, string> = status.targetUrl === undefined ? {} : { target_url: status.targetUrl };
  if (target.provider === 'github') {
    const [owner, ...rest] = status.repository.split('/');
    return {
      url: `${api}/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(rest.join('/'))}/statuses/${status.sha}`,
      headers: {
        Authorization: `Bearer ${target.token}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        'Content-Type': 'application/json',
      },
      body: { state: GITHUB_STATES[status.state], ...link, description, context: status.context },
    };
  }
  return {
    // GitLab names a project by its full path in one segment, slashes encoded.
    url: `${api}/projects/${encodeURIComponent(status.repository)}/statuses/${status.sha}`,
    headers: { 'PRIVATE-TOKEN': target.token, 'Content-Type': 'application/json' },
    body: { state: GITLAB_STATES[status.state], name: status.context, description, ...link },
  };
}
