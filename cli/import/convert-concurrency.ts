/** GitHub's `concurrency` as Capstan's `{ group, cancelInProgress }`, whose group name may use only `${{ branch }}`. */
import type { YamlPath } from './import-report';
import { findTemplates, tokenize } from './expression-tokens';
import { asMap, scalarText, type ImportContext } from './convert-context';

/** References that name the run's branch, or the pull request it builds (which Capstan groups by its head branch). */
const BRANCH_REFERENCES = new Set([
  'github.ref',
  'github.ref_name',
  'github.head_ref',
  'github.event.pull_request.number',
  'github.event.pull_request.head.ref',
  'github.event.pull_request.head.label',
]);

/** The converted concurrency, or undefined (reported) when its group reads what Capstan cannot. */
export function convertConcurrency(
  ctx: ImportContext,
  value: unknown,
  path: YamlPath,
  anchor: YamlPath,
): { group: string; cancelInProgress?: boolean } | undefined {
  const map = asMap(value);
  const raw = scalarText(map ? map.group : value);
  if (raw === undefined) {
    ctx.report.drop(path, 'a concurrency group must be a text', anchor);
    return undefined;
  }
  let group = '';
  let from = 0;
  for (const template of findTemplates(raw)) {
    group += raw.slice(from, template.start);
    from = template.end;
    const replacement = groupPart(ctx, template.inner);
    if (replacement === undefined) {
      ctx.report.drop(
        path,
        `${raw.slice(template.start, template.end)}: a Capstan group name may use \${{ branch }} only`,
        anchor,
      );
      return undefined;
    }
    group += replacement;
  }
  group = (group + raw.slice(from)).trim();
  const out: { group: string; cancelInProgress?: boolean } = { group };
  const cancel = map?.['cancel-in-progress'];
  if (typeof cancel === 'boolean') out.cancelInProgress = cancel;
  else if (cancel !== undefined)
    ctx.report.drop([...path, 'cancel-in-progress'], 'Capstan takes true or false here, not an expression', anchor);
  return out;
}

/** `${{ branch }}` for references to the branch or pull request, the pipeline's name for `github.workflow`. */
function groupPart(ctx: ImportContext, inner: string): string | undefined {
  const tokens = tokenize(inner);
  if (!Array.isArray(tokens)) return undefined;
  const paths = tokens.filter((t) => t.kind === 'path').map((t) => t.text.toLowerCase());
  const onlyOr = tokens.every((t) => t.kind === 'path' || t.text === '||');
  if (!onlyOr || paths.length === 0) return undefined;
  if (paths.length === 1 && paths[0] === 'github.workflow') return ctx.pipelineName;
  return paths.every((p) => BRANCH_REFERENCES.has(p)) ? '${{ branch }}' : undefined;
}
