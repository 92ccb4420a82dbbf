/** Job fields that take more than a copy: the strategy (matrix), the environment, and services (reported). */
import type { YamlPath } from './import-report';
import { asMap, convertValue, scalarText, type ImportContext } from './convert-context';

/** `strategy` as it is, but for a matrix given as an expression (fromJSON), which is dropped. */
export function convertStrategy(
  ctx: ImportContext,
  value: unknown,
  path: YamlPath,
  anchor: YamlPath,
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  const strategy = asMap(value);
  if (!strategy) {
    ctx.report.drop(path, 'a strategy given as an expression is not converted: write the matrix out', anchor);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  if (strategy.matrix !== undefined) {
    const matrix = asMap(strategy.matrix);
    const computed =
      matrix === undefined || Object.values(matrix).some((v) => typeof v === 'string' && v.includes('${{'));
    if (computed) {
      ctx.report.drop(
        [...path, 'matrix'],
        'a matrix computed by an expression (fromJSON) is not converted: write its values out',
        anchor,
      );
      return undefined;
    }
    out.matrix = structuredClone(matrix);
  }
  for (const key of ['fail-fast', 'max-parallel']) {
    if (strategy[key] === undefined) continue;
    const converted = convertValue(ctx, strategy[key], [...path, key], anchor);
    if (converted !== undefined) out[key] = converted;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** GitHub's `environment: name` or `{ name, url }` as Capstan's `{ name }` (lowercase). */
export function convertEnvironment(
  ctx: ImportContext,
  value: unknown,
  path: YamlPath,
  anchor: YamlPath,
): { name: string } | undefined {
  const map = asMap(value);
  const name = scalarText(map ? map.name : value);
  if (name === undefined || !/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name.toLowerCase())) {
    ctx.report.drop(
      path,
      'a Capstan environment name is lowercase letters, digits, ".", "_" or "-", without templates',
      anchor,
    );
    return undefined;
  }
  if (map?.url !== undefined) ctx.report.drop([...path, 'url'], 'Capstan records deploys without a URL', anchor);
  if (name !== name.toLowerCase())
    ctx.report.change(path, `environment "${name}" becomes "${name.toLowerCase()}"`, anchor);
  ctx.report.change(
    path,
    "a Capstan environment makes this a deploy job (one at a time per environment, recorded); for GitHub's required reviewers add approval: { required: true } to it",
    anchor,
  );
  return { name: name.toLowerCase() };
}

/** Services are containers on GitHub; Capstan's `services:` runs a command, so each is reported with the command to write. */
export function dropServices(ctx: ImportContext, value: unknown, path: YamlPath, anchor: YamlPath): void {
  for (const [name, raw] of Object.entries(asMap(value) ?? {})) {
    const service = asMap(raw) ?? {};
    const image = scalarText(service.image) ?? scalarText(raw) ?? '<image>';
    const ports = Array.isArray(service.ports) ? service.ports.map((p) => ` -p ${String(p)}`).join('') : '';
    const env = Object.entries(asMap(service.env) ?? {})
      .map(([k, v]) => ` -e ${k}=${scalarText(v) ?? ''}`)
      .join('');
    ctx.report.drop(
      [...path, name],
      `GitHub's services are containers and Capstan's run a command: start it with one, e.g. docker run --rm --name ${name}${ports}${env} ${image}`,
      anchor,
    );
  }
}
