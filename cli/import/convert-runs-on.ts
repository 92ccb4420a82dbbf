/** GitHub runner labels mapped to Capstan node classes by the user's table (`--runs-on-map`). */
import type { YamlPath } from './import-report';
import { asMap, scalarText, type ImportContext } from './convert-context';

/** Parses `ubuntu-latest=general,windows-latest=win`; throws naming the entry that is not `label=class`. */
export function parseRunsOnMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([^=\s]+)=([^=\s]+)$/.exec(entry);
    if (!match) throw new Error(`--runs-on-map entry "${entry}" is not label=class`);
    map[match[1]!] = match[2]!;
  }
  return map;
}

/**
 * The class of a job's `runs-on`: a label (or the first mapped label of a list) through the table,
 * else the default class, reported. `${{ matrix.<key> }}` stays a template, and the matrix's values of
 * that key are mapped instead (in place, in `matrix`).
 */
export function convertRunsOn(
  ctx: ImportContext,
  value: unknown,
  matrix: Record<string, unknown> | undefined,
  path: YamlPath,
  anchor: YamlPath,
): string {
  const text = scalarText(value);
  const matrixKey =
    text === undefined ? undefined : /^\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(text.trim())?.[1];
  if (matrixKey && matrix) {
    mapMatrixValues(ctx, matrix, matrixKey, path, anchor);
    return `\${{ matrix.${matrixKey} }}`;
  }
  const labels = Array.isArray(value)
    ? value.map(scalarText).filter((l): l is string => l !== undefined)
    : text !== undefined
      ? [text]
      : ((asMap(value)?.labels as unknown[] | undefined)?.map(scalarText).filter((l): l is string => !!l) ?? []);
  const mapped = labels.find((l) => ctx.runsOnMap[l] !== undefined);
  if (mapped) return ctx.runsOnMap[mapped]!;
  const what = labels.length > 0 ? labels.join(', ') : value === undefined ? '(none given)' : JSON.stringify(value);
  ctx.report.change(
    value === undefined ? path.slice(0, -1) : path,
    `runner ${what} is not in --runs-on-map; the job runs on the default class "${ctx.defaultClass}"`,
    anchor,
  );
  return ctx.defaultClass;
}

/** The values of matrix key `key` (in its list and in `include`) mapped to classes, each unmapped one reported. */
function mapMatrixValues(
  ctx: ImportContext,
  matrix: Record<string, unknown>,
  key: string,
  path: YamlPath,
  anchor: YamlPath,
): void {
  const unmapped = new Set<string>();
  const map = (label: unknown): unknown => {
    const text = scalarText(label);
    if (text === undefined) return label;
    if (ctx.runsOnMap[text] !== undefined) return ctx.runsOnMap[text];
    unmapped.add(text);
    return ctx.defaultClass;
  };
  if (Array.isArray(matrix[key])) matrix[key] = (matrix[key] as unknown[]).map(map);
  for (const list of ['include', 'exclude']) {
    if (!Array.isArray(matrix[list])) continue;
    for (const entry of matrix[list] as unknown[]) {
      const combo = asMap(entry);
      if (combo && combo[key] !== undefined) combo[key] = map(combo[key]);
    }
  }
  if (unmapped.size > 0)
    ctx.report.change(
      path,
      `matrix.${key} runners ${[...unmapped].join(', ')} are not in --runs-on-map; they run on the default class "${ctx.defaultClass}"`,
      anchor,
    );
}
