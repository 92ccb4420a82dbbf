/**
 * The actions Capstan has a step for: checkout, upload-artifact, download-artifact and cache. Every
 * other `uses:` is dropped and reported with what to do instead.
 */
import { convertTemplates } from './templates';
import type { ExpressionOptions } from './expressions';
import { asMap, scalarText, type ImportContext } from './convert-context';
import { relativePath, workspacePath } from './convert-paths';
import type { StepPlace } from './convert-steps';

/** A value of an action's `with`, its templates converted, or the first reason one cannot be. */
function templated(
  ctx: ImportContext,
  value: unknown,
  options: ExpressionOptions = {},
): { ok: true; text: string } | { ok: false; problem: string } {
  const converted = convertTemplates(scalarText(value) ?? '', 'plain', ctx.dropped, options);
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

/** A `uses:` step as the Capstan step for its action, or undefined (reported) for an action Capstan has none for. */
export function usesStep(
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
    if (/\$\{\{/.test(scalarText(withMap.name) ?? ''))
      return notConverted(
        'Capstan artifact names are literal and unique in a run (a matrix job cannot upload one per combination)',
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
    if (/\$\{\{/.test(scalarText(withMap.name) ?? ''))
      return notConverted('Capstan artifact names are literal: name the one artifact this step downloads');
    const name = templated(ctx, withMap.name);
    const dir = templated(ctx, withMap.path ?? '.');
    if (!name.ok || !dir.ok) return notConverted(name.ok ? `path ${problemOf(dir)}` : `name ${problemOf(name)}`);
    const where = workspacePath(dir.text);
    if (where === undefined) return notConverted('Capstan paths are relative to the job workspace, without ".."');
    dropKeys(['name', 'path'], 'Capstan downloads from this run only');
    return { 'download-artifact': { name: name.text, path: where } };
  }
  if (action === 'actions/cache') {
    const cache: Record<string, string | string[]> = {};
    for (const key of ['key', 'restore-keys', 'path']) {
      if (withMap[key] === undefined) continue;
      const value = templated(ctx, withMap[key], { hashFiles: true });
      if (!value.ok) return notConverted(`${key} ${problemOf(value)}`);
      // GitHub takes several restore keys or paths as lines of one text; Capstan as a list.
      const lines = value.text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      cache[key] = key === 'key' ? value.text.trim() : key === 'path' && lines.length === 1 ? lines[0]! : lines;
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
