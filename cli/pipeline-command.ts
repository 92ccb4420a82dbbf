/**
 * `capstan pipeline import <workflow.yml>`: converts a GitHub Actions workflow into a pipeline file,
 * printed (or written with --out), with the report on stderr; --check has the API validate the result
 * against its node classes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { callApi, type ApiTarget } from './api-client';
import { CommandLineError } from './logs-command';
import { formatReport } from './import/import-report';
import { importWorkflow, WorkflowImportError } from './import/import-workflow';
import { parseRunsOnMap } from './import/convert-runs-on';

/** What `POST /v1/pipelines/check` answers. */
interface CheckAnswer {
  valid: boolean;
  issues: Array<{ field: string; message: string; line?: number; column?: number }>;
}

/** Runs `capstan pipeline …` (argv from the verb on); returns the exit code: 0 converted, 1 the check failed, 2 bad input. */
export async function pipelineCommand(api: ApiTarget, argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'runs-on-map': { type: 'string', default: '' },
        'default-class': { type: 'string', default: 'general' },
        out: { type: 'string' },
        check: { type: 'boolean', default: false },
        api: { type: 'string' },
        token: { type: 'string' },
      },
    });
  } catch (err) {
    throw new CommandLineError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [, sub, file, ...extra] = positionals;
  if (sub !== 'import' || !file || extra.length > 0)
    throw new CommandLineError('usage: capstan pipeline import <workflow.yml> [options]');
  let runsOnMap: Record<string, string>;
  try {
    runsOnMap = parseRunsOnMap(values['runs-on-map']);
  } catch (err) {
    throw new CommandLineError((err as Error).message);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandLineError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      false,
    );
  }
  let result;
  try {
    result = importWorkflow(text, file, { runsOnMap, defaultClass: values['default-class'] });
  } catch (err) {
    if (err instanceof WorkflowImportError) throw new CommandLineError(err.message, false);
    throw err;
  }
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, result.yaml);
  } else {
    process.stdout.write(result.yaml);
  }
  console.error(formatReport(result.report));
  if (values.out) console.error(`wrote ${values.out}`);
  if (!values.check) return 0;
  const source = values.out ?? 'pipeline.yaml';
  const answer = await callApi<CheckAnswer>(api, 'POST', '/v1/pipelines/check', { yaml: result.yaml, source });
  for (const issue of answer.issues) {
    const at = issue.line === undefined ? source : `${source}:${issue.line}:${issue.column ?? 1}`;
    console.error(`${at}: ${issue.field}: ${issue.message}`);
  }
  console.error(
    answer.valid ? `${source}: valid for ${api.baseUrl}` : `${source}: not valid (${answer.issues.length} issue(s))`,
  );
  return answer.valid ? 0 : 1;
}
