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

/** A worker host name as tasks name it (`host`) and workers give it (`CAPSTAN_WORKER_HOST`): a DNS-style name. */
export const WORKER_HOST_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

/** What WORKER_HOST_PATTERN asks, for messages. */
export const WORKER_HOST_RULE = 'must be a host name: letters, digits, ".", "_" and "-", at most 253';

/**
 * Task queue polled only by the workers of one class on one host; `classQueue` is the class's own
 * queue (nodeClassTaskQueue), so a task aimed at a host waits there while that host is away.
 */
export function hostTaskQueue(classQueue: string, host: string): string {
  return `${classQueue}@${host}`;
}
