/**
 * The inputs of a manual run, checked against the pipeline's `on.manual.inputs` as GitHub checks a
 * workflow_dispatch: every required input given, each value of its type (a number or boolean may come
 * as its text, as forms and command lines send it), a choice among its options, no unknown input.
 * Pure: the issues name `inputs.<name>`, and the values come back typed with defaults filled in.
 */
import type { PipelineOn } from '../../workflows/contracts/pipeline-triggers';
import { manualInputs, type InputValue, type ManualInput } from '../../workflows/contracts/pipeline-triggers';

/** A problem with one input, named as the request body's field. */
export interface InputIssue {
  field: string;
  message: string;
}

/** The typed inputs of a run, or every problem with those given. */
export type InputCheck = { inputs: Record<string, InputValue>; issues: [] } | { issues: InputIssue[] };

/** Checks `given` against the declared inputs; a boolean input neither given nor defaulted is false, as on GitHub. */
export function checkManualInputs(on: PipelineOn, given: Record<string, InputValue> = {}): InputCheck {
  const declared = manualInputs(on);
  const issues: InputIssue[] = [];
  const inputs: Record<string, InputValue> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      const known = Object.keys(declared);
      issues.push({
        field: `inputs.${name}`,
        message: `is not an input of this pipeline; ${known.length > 0 ? `its inputs are ${known.join(', ')}` : 'it declares none'}`,
      });
    }
  }
  for (const [name, input] of Object.entries(declared)) {
    const value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (value === undefined) {
      if (input.default !== undefined) inputs[name] = input.default;
      else if (input.required) issues.push({ field: `inputs.${name}`, message: `is required (${describe(input)})` });
      else if (input.type === 'boolean') inputs[name] = false;
      continue;
    }
    const typed = typedValue(input, value);
    if ('problem' in typed) issues.push({ field: `inputs.${name}`, message: typed.problem });
    else inputs[name] = typed.value;
  }
  return issues.length > 0 ? { issues } : { inputs, issues: [] };
}

function typedValue(input: ManualInput, value: InputValue): { value: InputValue } | { problem: string } {
  switch (input.type) {
    case 'number': {
      const n =
        typeof value === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n)
        ? { value: n }
        : { problem: `must be a number, not ${shown(value)}` };
    }
    case 'boolean': {
      const b = value === 'true' ? true : value === 'false' ? false : value;
      return typeof b === 'boolean' ? { value: b } : { problem: `must be true or false, not ${shown(value)}` };
    }
    case 'choice':
      return typeof value === 'string' && input.options!.includes(value)
        ? { value }
        : { problem: `${shown(value)} is not among the options ${input.options!.join(', ')}` };
    default:
      return typeof value === 'string' ? { value } : { problem: `must be a string, not ${shown(value)}` };
  }
}

function describe(input: ManualInput): string {
  return input.type === 'choice' ? `one of ${input.options!.join(', ')}` : `a ${input.type}`;
}

function shown(value: InputValue): string {
  return typeof value === 'string'
    ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
    : String(value);
}
