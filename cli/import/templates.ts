/** `${{ }}` templates in text fields converted; in a script, values the environment holds are read from it. */
import { convertExpression, type DroppedReferences, type ExpressionOptions } from './expressions';
import { findTemplates } from './expression-tokens';

/** A text with templates converted: the new text, the templates changed with a note, and those not converted. */
export interface ConvertedTemplates {
  text: string;
  /** Templates replaced by something that behaves differently (a secret read from the environment). */
  changed: string[];
  /** Templates with no Capstan equivalent, each with its reason. */
  problems: string[];
}

/** Environment variables a step sees that stand for a `github.*` field. */
const CAPSTAN_VARIABLES: Record<string, string> = {
  sha: 'CAPSTAN_SHA',
  ref_name: 'CAPSTAN_BRANCH',
  head_ref: 'CAPSTAN_BRANCH',
  event_name: 'CAPSTAN_EVENT',
  repository: 'CAPSTAN_REPOSITORY',
  run_id: 'CAPSTAN_RUN_ID',
  workspace: 'CAPSTAN_WORKSPACE',
  job: 'CAPSTAN_JOB',
  actor: 'CAPSTAN_TRIGGERED_BY',
  triggering_actor: 'CAPSTAN_TRIGGERED_BY',
};

/**
 * Converts the templates of a text. In a `shell` text (a `run` script) a template that reads one
 * value of the environment becomes a variable reference: `github.sha` → `${CAPSTAN_SHA}`, `env.X` →
 * `${X}`, and `secrets.X` or `vars.X` → `${X}` with a change noted, since the value must then be set
 * in the workers' environment.
 */
export function convertTemplates(
  text: string,
  mode: 'shell' | 'plain',
  dropped?: DroppedReferences,
  options: ExpressionOptions = {},
): ConvertedTemplates {
  const changed: string[] = [];
  const problems: string[] = [];
  let result = '';
  let from = 0;
  for (const template of findTemplates(text)) {
    result += text.slice(from, template.start);
    from = template.end;
    const original = text.slice(template.start, template.end);
    // In a script, what the environment holds is read from it, so the script runs as it is on any version.
    const variable = mode === 'shell' ? environmentReference(template.inner.trim()) : undefined;
    if (variable) {
      result += `\${${variable.name}}`;
      if (variable.note) changed.push(`${original} → \${${variable.name}}: ${variable.note}`);
      continue;
    }
    const converted = convertExpression(template.inner, dropped, options);
    if (converted.ok) {
      result += `\${{ ${converted.text} }}`;
      continue;
    }
    problems.push(`${original}: ${converted.problem}`);
    result += original;
  }
  return { text: result + text.slice(from), changed, problems };
}

/** The environment variable that holds a one-reference expression in a step, if there is one. */
function environmentReference(expr: string): { name: string; note?: string } | undefined {
  const match = /^(github|env|secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)$/i.exec(expr);
  if (!match) return undefined;
  const context = match[1]!.toLowerCase();
  const name = match[2]!;
  if (context === 'env') return { name };
  if (context === 'github') {
    const variable = CAPSTAN_VARIABLES[name.toLowerCase()];
    return variable ? { name: variable } : undefined;
  }
  const what = context === 'secrets' ? 'a secret' : 'a configuration variable';
  return { name, note: `${what} is read from the environment; set ${name} on the node class's workers` };
}
