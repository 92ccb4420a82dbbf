/** The steps of a job: `run` steps (shell, working directory, env, templates, runner variables) here, `uses:` steps in convert-actions. */
import { convertTemplates } from './templates';
import type { YamlPath } from './import-report';
import { asMap, convertEnv, convertIf, convertValue, scalarText, type ImportContext } from './convert-context';
import { usesStep } from './convert-actions';
import { relativePath } from './convert-paths';

/** Where a step is in the workflow and where it lands in the pipeline. */
export interface StepPlace {
  path: YamlPath;
  anchor: YamlPath;
  /** The job's (or workflow's) `defaults.run.shell`. */
  defaultShell?: unknown;
}

/** Runner variables of GitHub that Capstan sets under another name. */
const RENAMED_VARIABLES: Record<string, string> = {
  GITHUB_OUTPUT: 'CAPSTAN_OUTPUT',
  GITHUB_SHA: 'CAPSTAN_SHA',
  GITHUB_REF_NAME: 'CAPSTAN_BRANCH',
  GITHUB_HEAD_REF: 'CAPSTAN_BRANCH',
  GITHUB_WORKSPACE: 'CAPSTAN_WORKSPACE',
  GITHUB_EVENT_NAME: 'CAPSTAN_EVENT',
  GITHUB_REPOSITORY: 'CAPSTAN_REPOSITORY',
  GITHUB_RUN_ID: 'CAPSTAN_RUN_ID',
  GITHUB_JOB: 'CAPSTAN_JOB',
  GITHUB_ACTOR: 'CAPSTAN_TRIGGERED_BY',
};

/** Files of the runner whose contents GitHub reads after the step; Capstan does not. */
const UNREAD_FILES = ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE'];

/** The step converted, or undefined when it was dropped (and reported). */
export function convertStep(ctx: ImportContext, raw: unknown, place: StepPlace): Record<string, unknown> | undefined {
  const step = asMap(raw);
  const { path, anchor } = place;
  if (!step) {
    ctx.report.drop(path, 'a step must be a map', anchor);
    return undefined;
  }
  const body =
    step.run !== undefined
      ? runStep(ctx, step, place)
      : step.uses !== undefined
        ? usesStep(ctx, step, place)
        : (ctx.report.drop(path, 'a step needs run or uses', anchor), undefined);
  if (!body) return undefined;
  const out: Record<string, unknown> = {};
  if (step.name !== undefined) {
    const name = convertTemplates(scalarText(step.name) ?? '', 'plain', ctx.dropped);
    if (name.problems.length > 0)
      ctx.report.change([...path, 'name'], `${name.problems.join('; ')}; kept as text`, anchor);
    out.name = name.problems.length > 0 ? name.text.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, '$1') : name.text;
  }
  if (typeof step.id === 'string') out.id = step.id;
  if (step.if !== undefined) {
    const condition = convertIf(ctx, step.if, [...path, 'if'], anchor);
    if (condition !== undefined) out.if = condition;
  }
  Object.assign(out, body);
  if (step.env !== undefined) {
    const env = convertEnv(ctx, step.env, [...path, 'env'], anchor);
    if (env) out.env = env;
  }
  for (const key of ['timeout-minutes', 'continue-on-error'] as const) {
    if (step[key] === undefined) continue;
    const value = convertValue(ctx, step[key], [...path, key], anchor);
    if (value !== undefined) out[key] = value;
  }
  const known = new Set([
    'name',
    'id',
    'if',
    'run',
    'uses',
    'with',
    'env',
    'shell',
    'working-directory',
    'timeout-minutes',
    'continue-on-error',
  ]);
  for (const key of Object.keys(step).filter((k) => !known.has(k)))
    ctx.report.drop([...path, key], 'not a step field Capstan knows', anchor);
  return out;
}

function runStep(
  ctx: ImportContext,
  step: Record<string, unknown>,
  place: StepPlace,
): Record<string, unknown> | undefined {
  const { path, anchor } = place;
  const shell = shellOf(
    ctx,
    step.shell ?? place.defaultShell,
    [...path, step.shell === undefined ? 'run' : 'shell'],
    anchor,
  );
  if (shell === null) {
    ctx.report.drop(
      path,
      `shell ${scalarText(step.shell ?? place.defaultShell)}: Capstan runs steps with bash or sh`,
      anchor,
      step.shell === undefined ? path : [...path, 'shell'],
    );
    return undefined;
  }
  const script = convertTemplates(scalarText(step.run) ?? '', 'shell', ctx.dropped);
  if (script.problems.length > 0) {
    ctx.report.drop(path, script.problems.join('; '), anchor);
    return undefined;
  }
  for (const change of script.changed) ctx.report.change([...path, 'run'], change, anchor);
  let run = script.text;
  for (const [from, to] of Object.entries(RENAMED_VARIABLES))
    run = run.replace(new RegExp(`\\$(\\{)?${from}\\b(\\})?`, 'g'), (_m, open?: string, close?: string) =>
      open && close ? `\${${to}}` : `$${to}`,
    );
  for (const file of UNREAD_FILES.filter((f) => new RegExp(`\\$\\{?${f}\\b`).test(run)))
    ctx.report.change([...path, 'run'], `writes to $${file}, which Capstan does not read after the step`, anchor);
  const out: Record<string, unknown> = { run };
  if (shell) out.shell = shell;
  if (step['working-directory'] !== undefined) {
    const dir = relativePath(ctx, step['working-directory'], [...path, 'working-directory'], anchor);
    if (dir !== undefined) out.workingDirectory = dir;
  }
  return out;
}

/** `bash` or `sh` (bash's variants with arguments become bash), undefined for the default, null for a shell Capstan lacks. */
function shellOf(ctx: ImportContext, value: unknown, path: YamlPath, anchor: YamlPath): string | undefined | null {
  if (value === undefined) return undefined;
  const text = scalarText(value)?.trim() ?? '';
  const program = text.split(/\s+/)[0];
  if (program !== 'bash' && program !== 'sh') return null;
  if (text !== program)
    ctx.report.change(path, `shell "${text}" becomes ${program} (Capstan adds -e -o pipefail itself)`, anchor);
  return program;
}
