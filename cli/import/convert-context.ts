/** What every part of an import shares: the report, the user's runs-on table, and helpers that convert and report at once. */
import { convertCondition, type DroppedReferences } from './expressions';
import { convertTemplates } from './templates';
import type { ReportBuilder, YamlPath } from './import-report';

/** The settings and report of one import. */
export interface ImportContext {
  report: ReportBuilder;
  /** GitHub runner label → Capstan node class. */
  runsOnMap: Record<string, string>;
  /** The class of a label the table does not name. */
  defaultClass: string;
  /** The pipeline's name, for `github.workflow`. */
  pipelineName: string;
  /** Steps of the job being converted, and job outputs, that were dropped: what reads them is dropped too. */
  dropped: { steps: Set<string>; outputs: Set<string> } & DroppedReferences;
  /** Where each converted step came from, for checks made once every job is converted. */
  stepSources: Map<object, YamlPath>;
}

/** A plain object read from YAML (a map), or undefined for anything else. */
export function asMap(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A scalar as the text Capstan's string fields take. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Converts an `if:` at `path`, reporting each part dropped; undefined when nothing of it is kept. */
export function convertIf(ctx: ImportContext, value: unknown, path: YamlPath, anchor: YamlPath): string | undefined {
  const raw = scalarText(value);
  if (raw === undefined) {
    ctx.report.drop(path, 'a condition must be an expression', anchor);
    return undefined;
  }
  const { text, dropped } = convertCondition(raw, ctx.dropped);
  for (const part of dropped) {
    const what = text === undefined ? 'the condition is dropped, so it always runs' : `this part is dropped`;
    if (text === undefined) ctx.report.drop(path, `${part}; ${what}`, anchor);
    else ctx.report.change(path, `${part}; ${what}, the rest kept: ${text}`, anchor);
  }
  return text;
}

/**
 * A text field's templates converted outside a shell; undefined (with the field dropped and
 * reported) when one has no Capstan equivalent.
 */
export function convertPlain(ctx: ImportContext, value: unknown, path: YamlPath, anchor: YamlPath): string | undefined {
  const text = scalarText(value);
  if (text === undefined) {
    ctx.report.drop(path, 'must be a text', anchor);
    return undefined;
  }
  const converted = convertTemplates(text, 'plain', ctx.dropped);
  if (converted.problems.length > 0) {
    ctx.report.drop(path, converted.problems.join('; '), anchor);
    return undefined;
  }
  return converted.text;
}

/** A boolean or number field that GitHub also takes as `${{ expression }}` (continue-on-error, timeout-minutes). */
export function convertValue(
  ctx: ImportContext,
  value: unknown,
  path: YamlPath,
  anchor: YamlPath,
): boolean | number | string | undefined {
  if (typeof value === 'boolean' || typeof value === 'number') return value;
  const text = scalarText(value)?.trim() ?? '';
  // Capstan reads these before anything runs, so only a literal value is kept; an expression is reported.
  const inner = /^\$\{\{([\s\S]*)\}\}$/.exec(text)?.[1];
  ctx.report.drop(
    path,
    inner === undefined ? 'must be a value' : 'Capstan takes a literal value here, not an expression',
    anchor,
  );
  return undefined;
}

/** An env map with templates converted; an entry that cannot be is dropped and reported. */
export function convertEnv(
  ctx: ImportContext,
  value: unknown,
  path: YamlPath,
  anchor: YamlPath,
): Record<string, string> | undefined {
  const map = asMap(value);
  if (!map) {
    ctx.report.drop(path, 'env must be a map of names to values (an expression is not converted)', anchor);
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(map)) {
    const text = scalarText(raw ?? '');
    const secret =
      text === undefined ? null : /^\s*\$\{\{\s*(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/i.exec(text);
    if (secret) {
      const kind = secret[1]!.toLowerCase() === 'secrets' ? 'a secret' : 'a configuration variable';
      ctx.report.drop(
        [...path, name],
        `${kind}: Capstan keeps no ${secret[1]}; set ${name} in the environment of the node class's workers (from ${secret[1]}.${secret[2]})`,
        anchor,
      );
      continue;
    }
    const converted = convertPlain(ctx, raw ?? '', [...path, name], anchor);
    if (converted !== undefined) env[name] = converted;
  }
  return Object.keys(env).length > 0 ? env : undefined;
}
