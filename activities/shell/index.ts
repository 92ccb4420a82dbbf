/** Shell activities, built for one worker. */
import { createRunShellCommand, type ShellActivityDeps } from './run-shell-command';

export type { ShellActivityDeps, RunShellCommandInput } from './run-shell-command';

/** The shell activities a node-class worker registers. */
export function createShellActivities(deps: ShellActivityDeps) {
  return { runShellCommand: createRunShellCommand(deps) };
}
