/**
 * `capstan pipeline import`: a GitHub Actions workflow converted to a Capstan pipeline file, with a
 * report of every line that was not converted and why. Pure (text in, text out), so it is tested
 * without processes and the command only reads and writes files.
 */
import { basename, extname } from 'node:path';
import { Document, isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { asMap, convertEnv, scalarText, type ImportContext } from './convert-context';
import { convertConcurrency } from './convert-concurrency';
import { convertJob, type RunDefaults } from './convert-jobs';
import { convertTriggers } from './convert-triggers';
import { dropOrphanDownloads } from './check-downloads';
import { ReportBuilder, type ImportNote, type ImportReport, type YamlPath } from './import-report';

/** How runner labels map to node classes. */
export interface ImportOptions {
  /** GitHub runner label → node class (`ubuntu-latest` → `general`). */
  runsOnMap: Record<string, string>;
  /** The class of a label not in the table. */
  defaultClass: string;
}

/** The pipeline file's text, the pipeline as an object, and the report. */
export interface ImportResult {
  yaml: string;
  pipeline: Record<string, unknown>;
  report: ImportReport;
}

/** A workflow file that cannot be read as a GitHub workflow at all. */
export class WorkflowImportError extends Error {}

/** Top-level workflow fields with no Capstan counterpart, and why. */
const DROPPED_FIELDS: Record<string, string> = {
  'run-name': 'Capstan names a run by its pipeline, commit and number',
  permissions: 'Capstan gives steps no GitHub token, so there are no permissions to set',
};

/** Converts the workflow `text` (read from `source`, which the report names). */
export function importWorkflow(text: string, source: string, options: ImportOptions): ImportResult {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const { line, col } = counter.linePos(doc.errors[0]!.pos[0]);
    throw new WorkflowImportError(`${source}:${line}:${col}: not valid YAML: ${doc.errors[0]!.message}`);
  }
  const workflow = asMap(doc.toJS({ maxAliasCount: 100 }));
  if (!workflow || !asMap(workflow.jobs))
    throw new WorkflowImportError(`${source}: not a GitHub Actions workflow (it has no jobs map)`);
  const name = scalarText(workflow.name)?.trim() || basename(source, extname(source));
  const ctx: ImportContext = {
    report: new ReportBuilder(basename(source), text, doc, counter),
    runsOnMap: options.runsOnMap,
    defaultClass: options.defaultClass,
    pipelineName: name,
    dropped: { steps: new Set(), outputs: new Set() },
    stepSources: new Map(),
  };
  const pipeline: Record<string, unknown> = { name: name.slice(0, 200) };
  pipeline.on = convertTriggers(ctx, workflow.on ?? workflow.true);
  if (workflow.env !== undefined) {
    const env = convertEnv(ctx, workflow.env, ['env'], []);
    if (env) pipeline.env = env;
  }
  if (workflow.concurrency !== undefined) {
    const concurrency = convertConcurrency(ctx, workflow.concurrency, ['concurrency'], []);
    if (concurrency) pipeline.concurrency = concurrency;
  }
  const defaults = runDefaults(ctx, workflow.defaults);
  const jobs: Record<string, Record<string, unknown>> = {};
  for (const [id, job] of Object.entries(asMap(workflow.jobs)!)) jobs[id] = convertJob(ctx, id, job, defaults);
  dropOrphanDownloads(ctx, jobs);
  pipeline.jobs = jobs;
  for (const [key, reason] of Object.entries(DROPPED_FIELDS))
    if (workflow[key] !== undefined) ctx.report.drop([key], reason, []);
  const known = new Set([...Object.keys(DROPPED_FIELDS), 'name', 'on', 'env', 'concurrency', 'defaults', 'jobs']);
  for (const key of Object.keys(workflow).filter((k) => !known.has(k)))
    ctx.report.drop([key], 'not a workflow field Capstan knows', []);
  const report = ctx.report.finish();
  return { yaml: render(pipeline, report, source), pipeline, report };
}

/** The workflow's `defaults.run` (shell and working directory), which jobs inherit; other defaults are reported. */
function runDefaults(ctx: ImportContext, value: unknown): RunDefaults {
  const defaults = asMap(value);
  if (!defaults) return {};
  for (const key of Object.keys(defaults).filter((k) => k !== 'run'))
    ctx.report.drop(['defaults', key], 'Capstan has defaults for run steps only', []);
  const run = asMap(defaults.run) ?? {};
  for (const key of Object.keys(run).filter((k) => k !== 'shell' && k !== 'working-directory'))
    ctx.report.drop(['defaults', 'run', key], 'not a run default Capstan knows', []);
  return { shell: run.shell, 'working-directory': run['working-directory'] };
}

/** The pipeline as YAML, each note written as a comment where it applies: before the step after a dropped one, the job, or the file. */
function render(pipeline: Record<string, unknown>, report: ImportReport, source: string): string {
  const doc = new Document(pipeline);
  const head = [
    ` Converted from ${source} by capstan pipeline import:`,
    ` ${report.convertedLines} of ${report.totalLines} lines converted; what was not is noted where it was.`,
  ];
  const top: string[] = [];
  for (const note of report.notes) {
    const comment = ` ${report.source}:${note.line}: ${note.quote} — ${note.kind}: ${note.reason}`;
    const target = commentTarget(doc, note.anchor);
    if (!target) top.push(comment);
    else if (target.after) target.node.comment = join(target.node.comment, comment);
    else target.node.commentBefore = join(target.node.commentBefore, comment);
  }
  doc.commentBefore = [...head, ...top].join('\n');
  return doc.toString({ lineWidth: 0 });
}

function join(existing: string | null | undefined, line: string): string {
  return existing ? `${existing}\n${line}` : line;
}

/** The node a note's comment goes on: a map entry's key, a list item, or (past a list's end) after the list. */
function commentTarget(doc: Document, anchor: YamlPath): { node: Node; after: boolean } | undefined {
  if (anchor.length === 0) return undefined;
  const parent = doc.getIn(anchor.slice(0, -1), true);
  const key = anchor.at(-1);
  if (isMap(parent)) {
    const pair = parent.items.find((p) => (p.key as { value?: unknown }).value === key);
    return pair ? { node: pair.key as Node, after: false } : undefined;
  }
  if (isSeq(parent) && typeof key === 'number') {
    const item = parent.items[key] as Node | undefined;
    if (item) return { node: item, after: false };
    return { node: parent as Node, after: true };
  }
  return undefined;
}

export type { ImportNote, ImportReport };
