/** Node-class names and their task queues; workflow-safe so workflows and API share one rule. */

/** A node-class name: lowercase, starts with a letter, usable inside a task-queue name. */
export const NODE_CLASS_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

/** Task queue that the workflows of every run are scheduled on. */
export function orchestratorTaskQueue(prefix: string): string {
  return `${prefix}-orchestrator`;
}

/** Task queue polled by the workers of one node class. */
export function nodeClassTaskQueue(prefix: string, nodeClass: string): string {
  return `${prefix}-class-${nodeClass}`;
}
