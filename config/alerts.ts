/** Loads and validates the alert rules file (CAPSTAN_ALERTS_FILE); errors name the file and each bad field. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { AlertFileSchema, type AlertFile } from '../workflows/contracts/alert-rules';
import type { NodeClass } from './node-classes';
import { describeIssues, fieldIssues, type FieldIssue } from './zod-issues';

/** A rules file that cannot be used; the message names the file and each bad field. */
export class AlertConfigError extends Error {}

/** Parses rules YAML; `source` names the file in errors, and every node class a rule names must be configured. */
export function parseAlertFile(text: string, source: string, nodeClasses: readonly NodeClass[]): AlertFile {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new AlertConfigError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  // An empty file is a file with no rules.
  const result = AlertFileSchema.safeParse(raw ?? {});
  if (!result.success) throw new AlertConfigError(`${source}: ${describeIssues(fieldIssues(result.error.issues))}`);
  const known = nodeClasses.map((c) => c.name);
  const issues: FieldIssue[] = [];
  const check = (field: string, name: string | undefined) => {
    if (name !== undefined && !known.includes(name))
      issues.push({ field, message: `node class "${name}" is not configured; use one of: ${known.join(', ')}` });
  };
  check('nodeClass', result.data.nodeClass);
  result.data.rules.forEach((rule, i) => {
    if ('nodeClass' in rule) check(`rules[${i}].nodeClass`, rule.nodeClass);
  });
  if (issues.length > 0) throw new AlertConfigError(`${source}: ${describeIssues(issues)}`);
  return result.data;
}

/** Reads and validates the rules file at `path`. */
export function loadAlertFile(path: string, nodeClasses: readonly NodeClass[]): AlertFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AlertConfigError(`cannot read alert rules file ${path} (CAPSTAN_ALERTS_FILE): ${(err as Error).message}`);
  }
  return parseAlertFile(text, path, nodeClasses);
}
