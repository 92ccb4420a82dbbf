/** Pulumi stack operations as activities: each opens the stack's inline program and runs one Automation API call. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EngineEvent, OutputMap, Stack } from '@pulumi/pulumi/automation/index.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import {
  stackOutputRef,
  type DriftReport,
  type StackApplyResult,
  type StackPhase,
  type StackPreview,
} from '../../workflows/contracts/stack-operation';
import { openConfig } from '../../db/stores/stack-config-secrets';
import { FailureTypes } from '../../workflows/contracts/failure-types';
import { EngineProgress, plannedChanges } from './engine-progress';
import type { ProgramRegistry } from '../../infra/programs/registry';
import { findStack, recordOperation, replaceResources } from '../../db/stores/stack-records';
import type { PulumiSettings } from '../../toolchain/pulumi-settings';
import { openStack, type StackAddress } from './workspace';

/** What the stack activities need. */
export interface StackActivityDeps {
  settings: PulumiSettings;
  db: Pool;
  programs: ProgramRegistry;
  /** Opens the secret fields the API sealed in the stack's config. */
  configKey: Buffer;
}

/** The stack activities, registered on the workers of the Pulumi node class. */
export function createStackActivities(deps: StackActivityDeps) {
  return {
    /** Previews the stack's program with its current config and returns the changes and the saved update plan. */
    async previewStack(address: StackAddress): Promise<{ preview: StackPreview; plan: string }> {
      return withStack(deps, address, 'previewing', async (stack, progress, signal) => {
        const dir = await mkdtemp(join(tmpdir(), 'capstan-plan-'));
        try {
          const events: EngineEvent[] = [];
          const result = await stack.preview({
            plan: join(dir, 'plan.json'),
            onEvent: (e) => {
              events.push(e);
              progress.onEvent(e);
            },
            signal,
          });
          const preview = {
            changeSummary: { ...result.changeSummary } as Record<string, number>,
            changes: plannedChanges(events),
          };
          return { preview, plan: await readFile(join(dir, 'plan.json'), 'utf8') };
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    },

    /** Applies exactly the previewed plan; if the program now wants anything else, Pulumi refuses and nothing more is done. */
    async applyStack(input: StackAddress & { plan: string }): Promise<StackApplyResult> {
      return withStack(deps, input, 'applying', async (stack, progress, signal) => {
        const dir = await mkdtemp(join(tmpdir(), 'capstan-plan-'));
        try {
          await writeFile(join(dir, 'plan.json'), input.plan);
          const result = await stack
            .up({ plan: join(dir, 'plan.json'), onEvent: progress.onEvent, signal })
            .catch((err: Error) => {
              const violation = /violates plan[^\n]*/.exec(err.message);
              if (violation)
                throw ApplicationFailure.nonRetryable(
                  `the stack changed since the preview, so the apply was refused: ${violation[0]}`,
                  FailureTypes.planViolation,
                );
              throw err;
            });
          await recordResources(deps, input, stack);
          return {
            resourceChanges: { ...result.summary.resourceChanges } as Record<string, number>,
            outputs: maskSecrets(input, result.outputs),
          };
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    },

    /** Reads every resource's live state into the stack's state. */
    async refreshStack(address: StackAddress): Promise<StackApplyResult> {
      return withStack(deps, address, 'refreshing', async (stack, progress, signal) => {
        const result = await stack.refresh({ onEvent: progress.onEvent, signal });
        await recordResources(deps, address, stack);
        return {
          resourceChanges: { ...result.summary.resourceChanges } as Record<string, number>,
          outputs: maskSecrets(address, await stack.outputs()),
        };
      });
    },

    /** Deletes every resource of the stack. */
    async destroyStack(address: StackAddress): Promise<StackApplyResult> {
      return withStack(deps, address, 'destroying', async (stack, progress, signal) => {
        const result = await stack.destroy({ onEvent: progress.onEvent, signal });
        await replaceResources(deps.db, address, []);
        return { resourceChanges: { ...result.summary.resourceChanges } as Record<string, number>, outputs: {} };
      });
    },

    /** A read-only refresh preview: which resources were deleted or changed outside Pulumi. The state is not touched. */
    async checkDrift(address: StackAddress): Promise<DriftReport> {
      return withStack(deps, address, 'checking-drift', async (stack, progress, signal) => {
        await stack.previewRefresh({ onEvent: progress.onEvent, signal });
        const resources = progress.results.filter((r) => r.op !== 'same');
        return { drifted: resources.length > 0, checkedAt: new Date().toISOString(), resources };
      });
    },

    /** Notes on the stack record which operation ran last and how it ended. */
    async recordStackOperation(
      input: StackAddress & { operation: string; runId: string; outcome: StackPhase | 'running'; drift?: DriftReport },
    ): Promise<void> {
      await recordOperation(deps.db, input, input);
    },
  };
}

/** The activities' type, for the workflow's proxy. */
export type StackActivities = ReturnType<typeof createStackActivities>;

/** Opens the stack with its declared program and config, heartbeating progress while `fn` runs. */
async function withStack<T>(
  deps: StackActivityDeps,
  address: StackAddress,
  phase: string,
  fn: (stack: Stack, progress: EngineProgress, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const context = Context.current();
  const record = await findStack(deps.db, address);
  if (!record)
    throw ApplicationFailure.nonRetryable(
      `stack ${address.project}/${address.stack} is not declared`,
      FailureTypes.stackInputError,
    );
  const program = deps.programs.find(record.program);
  if (!program)
    throw ApplicationFailure.nonRetryable(
      `stack ${address.project}/${address.stack} names unknown program "${record.program}"`,
      FailureTypes.stackInputError,
    );
  let config: Record<string, unknown>;
  try {
    config = openConfig(record.config, deps.configKey);
  } catch (err) {
    // Another key will not appear by retrying on this worker.
    throw ApplicationFailure.nonRetryable(
      `stack ${address.project}/${address.stack}: ${(err as Error).message}`,
      FailureTypes.stackInputError,
    );
  }
  const parsed = program.configSchema.safeParse(config);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `config of ${address.project}/${address.stack} no longer fits program "${program.name}": ${parsed.error.message}`,
      FailureTypes.stackInputError,
    );
  const stack = await openStack(deps.settings, address, () => program.run(parsed.data, address));
  // Temporal runs one operation per stack, so a lock seen on a retry was left by this operation's
  // earlier attempt on a worker that died; clearing it lets the retry go on.
  if (context.info.attempt > 1) await stack.cancel();
  const progress = new EngineProgress(phase, (details) => context.heartbeat(details));
  progress.heartbeat();
  const timer = setInterval(() => progress.heartbeat(), 5000);
  try {
    // A cancelled operation (delivered with a heartbeat) interrupts the Pulumi CLI, which stops and releases its lock.
    return await fn(stack, progress, context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

async function recordResources(deps: StackActivityDeps, address: StackAddress, stack: Stack): Promise<void> {
  const state = await stack.exportStack();
  const resources = ((state.deployment as { resources?: { urn: string; type: string }[] }).resources ?? [])
    .filter((r) => r.type !== 'pulumi:pulumi:Stack' && !r.type.startsWith('pulumi:providers:'))
    .map((r) => ({ urn: r.urn, type: r.type }));
  await replaceResources(deps.db, address, resources);
}

/**
 * Stack outputs with each secret value replaced by a reference, so secrets never reach workflow
 * history or API answers; a downstream command gets the value from the encrypted state on its worker.
 */
function maskSecrets(address: StackAddress, outputs: OutputMap): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, output]) => [
      key,
      output.secret ? stackOutputRef(address.project, address.stack, key) : output.value,
    ]),
  );
}

/** Reads one output of a stack from its state (decrypting secrets), for a command that references it. */
export async function readStackOutput(
  settings: PulumiSettings,
  address: StackAddress,
  key: string,
): Promise<string | undefined> {
  // The program is not run to read outputs; an empty one satisfies the inline workspace.
  const stack = await openStack(settings, address, () => Promise.resolve({}));
  const output = (await stack.outputs())[key];
  if (output === undefined) return undefined;
  return typeof output.value === 'string' ? output.value : JSON.stringify(output.value);
}
