/** Shell activities, built for one worker. */
import { gatedShellCommand } from './gated-shell-command';
import type { ResourceGate } from './resource-gate';
import { createRunShellCommand, type ShellActivityDeps } from './run-shell-command';

export { resourceGateFor, ResourceGate } from './resource-gate';

export type { ShellActivityDeps, RunShellCommandInput } from './run-shell-command';

/** The shell activities a node-class worker registers; with `gate`, attempts wait for room in what the worker gives. */
export function createShellActivities(deps: ShellActivityDeps, gate?: ResourceGate) {
  const run = createRunShellCommand(deps);
  return { runShellCommand: gate ? gatedShellCommand(gate, run, deps.maxHeartbeatIntervalMs) : run };
}
