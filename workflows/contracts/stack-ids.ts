/** A stack operation's workflow id, apart from the stack schema so that workflow code uses it without loading zod (see step-timeout.ts). */

/** The workflow id every operation on a stack takes, so Temporal itself runs at most one per stack. */
export function stackWorkflowId(project: string, stack: string): string {
  return `stack:${project}/${stack}`;
}
