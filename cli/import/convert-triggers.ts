/** GitHub's `on:` as Capstan's triggers: push, pull_request, schedule and manual (from workflow_dispatch). */
import type { YamlPath } from './import-report';
import { asMap, type ImportContext } from './convert-context';

/** Filters each event keeps, and why the others go. */
const FILTERS: Record<string, string[]> = {
  push: ['branches', 'branches-ignore', 'tags', 'tags-ignore', 'paths', 'paths-ignore'],
  pull_request: ['branches', 'branches-ignore', 'paths', 'paths-ignore'],
};

/** The triggers converted; a workflow with none Capstan has gets `manual: true` (reported) so that it stays runnable. */
export function convertTriggers(ctx: ImportContext, value: unknown): Record<string, unknown> {
  const path: YamlPath = ['on'];
  const events: Record<string, unknown> =
    typeof value === 'string'
      ? { [value]: null }
      : Array.isArray(value)
        ? Object.fromEntries(value.map((e) => [String(e), null]))
        : (asMap(value) ?? {});
  const listed = typeof value === 'string' || Array.isArray(value);
  // A list has no per-event node to quote, so its notes quote `on:` itself.
  const at = (event: string): YamlPath => (listed ? path : [...path, event]);
  const on: Record<string, unknown> = {};
  for (const [event, config] of Object.entries(events)) {
    const filters = FILTERS[event];
    if (filters) {
      const out: Record<string, unknown> = {};
      for (const [key, filter] of Object.entries(asMap(config) ?? {})) {
        if (filters.includes(key)) out[key] = Array.isArray(filter) ? filter.map(String) : [String(filter)];
        else ctx.report.drop([...at(event), key], filterReason(event, key), path);
      }
      for (const kind of ['branches', 'tags', 'paths'])
        mergeIgnore(ctx, out, kind, [...at(event), `${kind}-ignore`], path);
      on[event] = out;
    } else if (event === 'schedule') {
      const crons = (Array.isArray(config) ? config : [])
        .map((entry) => asMap(entry)?.cron)
        .filter((c): c is string => typeof c === 'string');
      if (crons.length > 0) on.schedule = crons.map((cron) => ({ cron }));
      else ctx.report.drop(at(event), 'a schedule needs a list of { cron }', path);
    } else if (event === 'workflow_dispatch') {
      const inputs = asMap(asMap(config)?.inputs);
      on.manual = inputs && Object.keys(inputs).length > 0 ? { inputs: structuredClone(inputs) } : true;
    } else {
      ctx.report.drop(
        at(event),
        `Capstan starts pipelines on push, pull_request, schedule and by hand, not on ${event}`,
        path,
      );
    }
  }
  if (Object.keys(on).length === 0) {
    ctx.report.change(
      path,
      'no trigger could be converted; the pipeline gets manual: true so it can be run by hand',
      path,
    );
    on.manual = true;
  }
  return on;
}

/**
 * A filter and its `-ignore` form together (GitHub refuses that too, Capstan as well) become one
 * filter with `!pattern` exceptions, which both read the same way: the last matching pattern wins.
 */
function mergeIgnore(
  ctx: ImportContext,
  out: Record<string, unknown>,
  kind: string,
  where: YamlPath,
  anchor: YamlPath,
): void {
  const ignore = out[`${kind}-ignore`] as string[] | undefined;
  const keep = out[kind] as string[] | undefined;
  if (!ignore || !keep) return;
  out[kind] = [...keep, ...ignore.map((p) => `!${p}`)];
  delete out[`${kind}-ignore`];
  ctx.report.change(
    where,
    `merged into ${kind} as "!pattern" entries (a filter and its -ignore cannot be combined)`,
    anchor,
  );
}

function filterReason(event: string, key: string): string {
  if (key === 'types') return 'Capstan builds pull requests when opened, synchronized and reopened';
  if (key.endsWith('-ignore')) return `Capstan has no ${key} on ${event}: list what to build instead`;
  return `not a filter of ${event} in Capstan`;
}
