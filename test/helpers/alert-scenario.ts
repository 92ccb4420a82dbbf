/** An alert evaluation, started as the alert schedule would start it, for the replay test's recorded history. */
import { AlertRuleSchema } from '../../workflows/contracts/alert-rules';
import { nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import type { TestStack } from './test-stack';

/** Runs one evaluation of two rules on class a's workers and returns its workflow id. */
export async function alertScenario(stack: TestStack): Promise<string> {
  const workflowId = `${stack.prefix}-record-alerts`;
  const handle = await stack.client.workflow.start('alertEvaluationWorkflow', {
    workflowId,
    taskQueue: orchestratorTaskQueue(stack.prefix),
    args: [
      {
        activityTaskQueue: nodeClassTaskQueue(stack.prefix, 'a'),
        rules: [
          AlertRuleSchema.parse({ name: 'no-worker', kind: 'no-live-worker', forSeconds: 60 }),
          AlertRuleSchema.parse({ name: 'drift', kind: 'stack-drift' }),
        ],
        nodeClasses: stack.nodeClasses.map((c) => c.name),
      },
    ],
  });
  await handle.result();
  return workflowId;
}
