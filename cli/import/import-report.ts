/**
 * What an import could not convert, by line of the workflow file: each note names the source line,
 * quotes it, and says why; the lines of whatever was dropped count as not converted.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A place in the workflow or the pipeline, as keys and indexes from its root. */
export type YamlPath = Array<string | number>;

/** One line of the report. */
export interface ImportNote {
  line: number;
  /** The source line it concerns, trimmed (e.g. `uses: actions/setup-node@v4`). */
  quote: string;
  kind: 'not converted' | 'changed';
  reason: string;
  /** Where in the pipeline the note is written as a comment (the step after a dropped one, the job, or the top). */
  anchor: YamlPath;
}

/** The report of one file: how many of its lines were converted, and every note in line order. */
export interface ImportReport {
  source: string;
  totalLines: number;
  convertedLines: number;
  notes: ImportNote[];
}

/** Collects notes while a workflow is converted; `drop` and `change` take the path of the source node. */
export class ReportBuilder {
  private readonly notes: ImportNote[] = [];
  private readonly droppedLines = new Set<number>();
  private readonly lines: string[];

  constructor(
    readonly source: string,
    private readonly text: string,
    private readonly doc: Document,
    private readonly counter: LineCounter,
  ) {
    this.lines = text.split(/\r?\n/);
  }

  /** The node at `path` (the whole lines from its key to its value's end) was not converted; the note quotes the line of `quoted`. */
  drop(path: YamlPath, reason: string, anchor: YamlPath, quoted: YamlPath = path): void {
    const span = this.span(path);
    if (span) for (let l = span.first; l <= span.last; l++) this.droppedLines.add(l);
    this.note(quoted, 'not converted', reason, anchor);
  }

  /** The node at `path` was converted with a difference the user should know. */
  change(path: YamlPath, reason: string, anchor: YamlPath): void {
    this.note(path, 'changed', reason, anchor);
  }

  /** Notes anchored in list `list` after index `removed` move up one, as that item was taken out of the pipeline. */
  shiftAnchors(list: YamlPath, removed: number): void {
    for (const note of this.notes) {
      const index = note.anchor[list.length];
      const inList = note.anchor.length === list.length + 1 && list.every((k, i) => note.anchor[i] === k);
      if (inList && typeof index === 'number' && index > removed) note.anchor = [...list, index - 1];
    }
  }

  /** The finished report: non-blank, non-comment lines are counted. */
  finish(): ImportReport {
    const content = (line: string) => line.trim() !== '' && !line.trim().startsWith('#');
    let total = 0;
    let dropped = 0;
    this.lines.forEach((line, i) => {
      if (!content(line)) return;
      total++;
      if (this.droppedLines.has(i + 1)) dropped++;
    });
    const notes = [...this.notes].sort((a, b) => a.line - b.line);
    return { source: this.source, totalLines: total, convertedLines: total - dropped, notes };
  }

  private note(path: YamlPath, kind: ImportNote['kind'], reason: string, anchor: YamlPath): void {
    const line = this.span(path)?.first ?? 1;
    const quote = (this.lines[line - 1] ?? '').trim().replace(/^-\s+/, '');
    // One note is one line of the report and of the comment it becomes, whatever text it quotes.
    const oneLine = reason.replace(/\s*\n\s*/g, ' ');
    this.notes.push({
      line,
      quote: quote.length > 80 ? `${quote.slice(0, 77)}...` : quote,
      kind,
      reason: oneLine,
      anchor,
    });
  }

  /** First and last line of the node at `path`, from its key (in a map) to the end of its value. */
  private span(path: YamlPath): { first: number; last: number } | undefined {
    const parent = path.length === 0 ? undefined : this.doc.getIn(path.slice(0, -1), true);
    const key = path.at(-1);
    let start: number | undefined;
    let end: number | undefined;
    if (path.length === 0) {
      [start, end] = (this.doc.contents as Node | null)?.range ?? [0, this.text.length];
    } else if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
      const keyRange = (pair?.key as Node | undefined)?.range;
      const valueRange = (pair?.value as Node | undefined)?.range;
      start = keyRange?.[0];
      end = valueRange?.[1] ?? keyRange?.[1];
    } else if (isSeq(parent) && typeof key === 'number') {
      const range = (parent.items[key] as Node | undefined)?.range;
      start = range?.[0];
      end = range?.[1];
    }
    if (start === undefined || end === undefined) return undefined;
    const first = this.counter.linePos(start).line;
    // A block value ends after its newline; its last line is the one before.
    const last = this.counter.linePos(Math.max(start, end - 1)).line;
    return { first, last };
  }
}

/** `ci.yml:23: uses: actions/setup-node@v4 — not converted: <reason>`, one line per note. */
export function formatReport(report: ImportReport): string {
  const percent = report.totalLines === 0 ? 100 : Math.round((100 * report.convertedLines) / report.totalLines);
  const head = `${report.source}: ${report.convertedLines} of ${report.totalLines} lines converted (${percent}%), ${
    report.notes.filter((n) => n.kind === 'not converted').length
  } not converted, ${report.notes.filter((n) => n.kind === 'changed').length} changed`;
  return [head, ...report.notes.map((n) => `${report.source}:${n.line}: ${n.quote} — ${n.kind}: ${n.reason}`)].join(
    '\n',
  );
}
