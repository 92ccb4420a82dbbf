/** The cost_reports table: one report per (window kind, day), replaced by a re-run. */
import type { Pool } from 'pg';
import type { CostReport } from '../../activities/cost/report-model';

/** Stores the report and its chart, replacing an earlier report of the same window. */
export async function storeReport(db: Pool, report: CostReport, svg: string, workflowId?: string): Promise<void> {
  await db.query(
    `INSERT INTO cost_reports (window_kind, report_date, window_from, window_to, report, total_micros, chart_svg, workflow_id, generated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
     ON CONFLICT (window_kind, report_date) DO UPDATE SET window_from = EXCLUDED.window_from, window_to = EXCLUDED.window_to,
       report = EXCLUDED.report, total_micros = EXCLUDED.total_micros, chart_svg = EXCLUDED.chart_svg,
       workflow_id = EXCLUDED.workflow_id, generated_at = EXCLUDED.generated_at`,
    [
      report.windowKind,
      report.date,
      report.from,
      report.to,
      JSON.stringify(report),
      report.totals.totalMicros,
      svg,
      workflowId ?? null,
    ],
  );
}

/** A stored report with when and by which run it was made. */
export interface StoredReport {
  report: CostReport;
  generatedAt: string;
  workflowId: string | null;
}

/** The report of `date`, or the newest one when no date is given. */
export async function getReport(db: Pool, date?: string): Promise<StoredReport | undefined> {
  const { rows } = await db.query(
    `SELECT report, generated_at, workflow_id FROM cost_reports WHERE window_kind = 'daily' ${date === undefined ? '' : 'AND report_date = $1'}
     ORDER BY report_date DESC LIMIT 1`,
    date === undefined ? [] : [date],
  );
  const r = rows[0];
  return r === undefined
    ? undefined
    : { report: r.report, generatedAt: r.generated_at.toISOString(), workflowId: r.workflow_id };
}

/** The stored chart of `date`. */
export async function getReportChart(db: Pool, date: string): Promise<string | undefined> {
  const { rows } = await db.query(
    `SELECT chart_svg FROM cost_reports WHERE window_kind = 'daily' AND report_date = $1`,
    [date],
  );
  return rows[0]?.chart_svg;
}

/** The newest reports' headlines, newest first. */
export async function listReports(
  db: Pool,
  limit: number,
): Promise<Array<{ date: string; totalMicros: number; generatedAt: string; workflowId: string | null }>> {
  const { rows } = await db.query(
    `SELECT to_char(report_date, 'YYYY-MM-DD') AS date, total_micros::text AS total, generated_at, workflow_id FROM cost_reports
     WHERE window_kind = 'daily' ORDER BY report_date DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    date: r.date,
    totalMicros: Number(r.total),
    generatedAt: r.generated_at.toISOString(),
    workflowId: r.workflow_id,
  }));
}
