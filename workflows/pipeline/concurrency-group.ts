/** Concurrency group names: the one templating the pipeline workflow and the API's checks share. Pure. */

/** `${{ branch }}` in a concurrency group name, with any spaces inside the braces. */
export const GROUP_TEMPLATE = /\$\{\{\s*branch\s*\}\}/g;

/** The concurrency group of a run on `branch`: `group` with every `${{ branch }}` replaced by the branch. */
export function concurrencyGroupName(group: string, branch: string): string {
  // A function replacement, so that "$&" or "$1" in a branch name stays literal text.
  return group.replace(GROUP_TEMPLATE, () => branch);
}
