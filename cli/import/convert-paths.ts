/** Paths of the workspace as Capstan takes them: relative, without "..", `./` dropped. */
import type { YamlPath } from './import-report';
import { convertPlain, type ImportContext } from './convert-context';

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
export function workspacePath(text: string): string | undefined {
  const trimmed =
    text
      .trim()
      .replace(/^(?:\.\/)+/, '')
      .replace(/\/+$/, '') || '.';
  return trimmed.startsWith('/') || trimmed.startsWith('~') || trimmed.split('/').includes('..') ? undefined : trimmed;
}
