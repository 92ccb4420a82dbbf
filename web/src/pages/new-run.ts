/** The editor page's plumbing: the template, the plan and start requests (YAML as typed), and caret positions. */
import { ApiFailure, api } from '../http/client';
import type { components } from '../http/schema.gen';

/** What `POST /v1/dags/plan` answers: the plan, or the issues (and the plan when it can still be drawn). */
export type SpecPlan = components['schemas']['SpecPlan'];
/** One issue of a spec, with its line and column where the API found them. */
export type SpecIssue = NonNullable<SpecPlan['issues']>[number];

/** The template the editor starts with: a diamond whose tasks take a moment, so their states are seen to change. */
export function diamondTemplate(nodeClass: string): string {
  return `# A diamond: b and c wait for a, d waits for both.
name: diamond
tasks:
  - id: a
    nodeClass: ${nodeClass}
    command: sleep 2; echo "seed=42" >> "$CAPSTAN_OUTPUT"
  - id: b
    nodeClass: ${nodeClass}
    dependsOn: [a]
    command: sleep 2; echo "b got \${{ tasks.a.outputs.seed }}"
  - id: c
    nodeClass: ${nodeClass}
    dependsOn: [a]
    command: sleep 2; echo "c got \${{ tasks.a.outputs.seed }}"
  - id: d
    nodeClass: ${nodeClass}
    dependsOn: [b, c]
    command: sleep 1; echo done
`;
}

const YAML = { 'Content-Type': 'application/yaml' };
const asIs = (body: unknown) => body as string;

/**
 * The plan of `text`. Text that is not YAML comes back as one issue with the parser's line (the API
 * answers 400 for it), so the editor shows it as it shows any other.
 */
export async function fetchPlan(text: string, signal?: AbortSignal): Promise<SpecPlan> {
  // The route takes YAML as text; the generated types know only its JSON form.
  const answer = await api.POST('/v1/dags/plan', {
    body: text as never,
    bodySerializer: asIs,
    headers: YAML,
    signal,
  });
  // The generated type reads the edge tuples as plain arrays; the schema says they are pairs.
  if (answer.data) return answer.data as SpecPlan;
  const error = (answer.error as { error?: { code?: string; message?: string; details?: SpecIssue[] } } | undefined)
    ?.error;
  if (answer.response.status === 400 && error?.code === 'malformed_yaml') {
    const detail = error.details?.[0];
    return {
      valid: false,
      kind: 'dag',
      issues: [
        {
          field: '(yaml)',
          message: detail?.message ?? error.message ?? 'not valid YAML',
          line: detail?.line,
          column: detail?.column,
        },
      ],
    };
  }
  throw new ApiFailure(answer.response.status, error?.message ?? answer.response.statusText, error?.code);
}

/** Starts the spec as written: a DAG at `/v1/dags`, a task at `/v1/tasks`; answers the new run's id. */
export async function startSpec(text: string, kind: SpecPlan['kind']): Promise<string> {
  const options = { body: text as never, bodySerializer: asIs, headers: YAML };
  const answer = kind === 'task' ? await api.POST('/v1/tasks', options) : await api.POST('/v1/dags', options);
  if (answer.data) return answer.data.runId;
  const error = (answer.error as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new ApiFailure(answer.response.status, error?.message ?? answer.response.statusText, error?.code);
}

/** The offset in `text` of a 1-based line and column (clamped to the text). */
export function offsetOf(text: string, line: number, column = 1): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next === -1) return text.length;
    offset = next + 1;
  }
  const end = text.indexOf('\n', offset);
  return Math.min(offset + column - 1, end === -1 ? text.length : end);
}
