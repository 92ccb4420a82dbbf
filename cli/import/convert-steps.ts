/**
 * GitHub steps converted to Capstan steps: `run` (with `shell`, `working-directory`, env and
 * templates), and the actions Capstan has a step for: checkout, upload-artifact, download-artifact
 * and cache. Every other `uses:` is dropped and reported with what to do instead.
 */
import { convertTemplates } from './expressions';
import type { YamlPath } from './import-report';
import {
  asMap,
  convertEnv,
  convertIf,
  convertPlain,
  convertValue,
  scalarText,
  type ImportContext,
} from './convert-context';

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

/** A workspace-relative path (`./dist` → `dist`), or undefined (reported) for one outside the workspace or with templates Capstan lacks. */
export function relativePath(ctx: ImportContext, value: unknown, path: YamlPath, anchor: YamlPath): string | undefined {
  const text = convertPlain(ctx, value, path, anchor);
  if (text === undefined) return undefined;
  const where = workspacePath(text);
  if (where === undefined)
    ctx.report.drop(path, 'Capstan paths are relative to the job workspace, without ".."', anchor);
  return where;
}

/** `./dist/` → `dist`; undefined for a path outside the workspace. */
function workspacePath(text: string): string | undefined {
  const trimmed =
    text
      .trim()
      .replace(/^(?:\.\/)+/, '')
      .replace(/\/+$/, '') || '.';
  return trimmed.startsWith('/') || trimmed.startsWith('~') || trimmed.split('/').includes('..') ? undefined : trimmed;
}

/** A value of an action's `with`, its templates converted, or the first reason one cannot be. */
function templated(ctx: ImportContext, value: unknown): { ok: true; text: string } | { ok: false; problem: string } {
  const converted = convertTemplates(scalarText(value) ?? '', 'plain', ctx.dropped);
  return converted.problems.length > 0
    ? { ok: false, problem: converted.problems.join('; ') }
    : { ok: true, text: converted.text };
}

function problemOf(value: { ok: false; problem: string } | { ok: true }): string {
  return value.ok ? '' : value.problem;
}

/** `actions/checkout@v4` → `actions/checkout`; `./x` and `docker://x` as they are. */
function actionName(uses: string): string {
  return uses.startsWith('./') || uses.startsWith('docker://') ? uses : (uses.split('@')[0] ?? uses).toLowerCase();
}

function usesStep(
  ctx: ImportContext,
  step: Record<string, unknown>,
  place: StepPlace,
): Record<string, unknown> | undefined {
  const uses = scalarText(step.uses) ?? '';
  const action = actionName(uses);
  const withMap = asMap(step.with) ?? {};
  const { path, anchor } = place;
  const dropKeys = (keys: string[], reason: string) => {
    for (const key of Object.keys(withMap).filter((k) => !keys.includes(k)))
      ctx.report.drop([...path, 'with', key], reason, anchor);
  };
  const notConverted = (reason: string) => {
    ctx.report.drop(path, reason, anchor, [...path, 'uses']);
    return undefined;
  };
  if (action === 'actions/checkout') {
    if (withMap.repository !== undefined)
      return notConverted(
        "checks out another repository; Capstan's checkout fetches the run's commit: clone it in a run step",
      );
    dropKeys(['path'], "Capstan's checkout fetches the run's commit into the workspace and takes only path");
    if (withMap.path === undefined) return { checkout: true };
    const dir = relativePath(ctx, withMap.path, [...path, 'with', 'path'], anchor);
    return { checkout: dir === undefined || dir === '.' ? true : { path: dir } };
  }
  if (action === 'actions/upload-artifact') {
    const paths = (scalarText(withMap.path) ?? '')
      .split('\n')
      .map((p) => p.trim())
      .filter(Boolean);
    if (paths.length !== 1 || /[*?!]/.test(paths[0]!))
      return notConverted(
        'Capstan uploads one file or directory per artifact, without globs: split it into one step per path',
      );
    const name = templated(ctx, withMap.name ?? 'artifact');
    const dir = templated(ctx, paths[0]);
    if (!name.ok || !dir.ok) return notConverted(name.ok ? `path ${problemOf(dir)}` : `name ${problemOf(name)}`);
    const where = workspacePath(dir.text);
    if (where === undefined) return notConverted('Capstan paths are relative to the job workspace, without ".."');
    dropKeys(
      ['name', 'path'],
      'Capstan keeps artifacts for CAPSTAN_ARTIFACT_RETENTION_DAYS and fails on a missing path',
    );
    return { 'upload-artifact': { name: name.text, path: where } };
  }
  if (action === 'actions/download-artifact') {
    if (withMap.name === undefined || withMap.pattern !== undefined || withMap['run-id'] !== undefined)
      return notConverted(
        'Capstan downloads one artifact of this run by name: add one step per artifact with its name',
      );
    const name = templated(ctx, withMap.name);
    const dir = templated(ctx, withMap.path ?? '.');
    if (!name.ok || !dir.ok) return notConverted(name.ok ? `path ${problemOf(dir)}` : `name ${problemOf(name)}`);
    const where = workspacePath(dir.text);
    if (where === undefined) return notConverted('Capstan paths are relative to the job workspace, without ".."');
    dropKeys(['name', 'path'], 'Capstan downloads from this run only');
    return { 'download-artifact': { name: name.text, path: where } };
  }
  if (action === 'actions/cache') {
    const cache: Record<string, string> = {};
    for (const key of ['key', 'restore-keys', 'path']) {
      if (withMap[key] === undefined) continue;
      const value = templated(ctx, withMap[key]);
      if (!value.ok) return notConverted(`${key} ${problemOf(value)}`);
      cache[key] = value.text.trim();
    }
    if (!cache.key || !cache.path) return notConverted('a cache needs key and path');
    dropKeys(['key', 'restore-keys', 'path'], 'not a field of the Capstan cache step');
    return { cache };
  }
  return notConverted(`${uses.includes('@') ? '' : `${uses}: `}${otherActionReason(action, withMap)}`);
}

/** Why an action is not converted, and what to write instead. */
function otherActionReason(action: string, withMap: Record<string, unknown>): string {
  const setup = /^actions\/setup-([a-z]+)$/.exec(action);
  if (setup) {
    const version = Object.entries(withMap).find(([k]) => k.endsWith('-version'));
    const what = version ? `${setup[1]} ${scalarText(version[1])}` : setup[1];
    return `Capstan runs no actions: install ${what} on the node class's workers (or in a run step)`;
  }
  if (action.startsWith('./')) return 'a local action is not expanded: copy its run steps here';
  if (action.startsWith('docker://')) return 'a container action: run the image with docker run in a run step';
  return 'Capstan runs no GitHub actions: do the same in a run step';
}
