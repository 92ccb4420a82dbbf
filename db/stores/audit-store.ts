/** The `audit_log` table: a row written before a state-changing request acts, completed with its outcome. */
import type { Queryable } from '../queryable';

/** What is known of a request before its handler runs. */
export interface AuditStart {
  requestId: string;
  principal: string;
  tokenId: string;
  action: string;
  method: string;
  path: string;
  target?: string;
}

/** How a request ended: succeeded (2xx/3xx), rejected (4xx) or failed (5xx). */
export type AuditOutcome = 'succeeded' | 'rejected' | 'failed';

/** Filters and page of an audit listing; `before` is the id the previous page ended at. */
export interface AuditFilter {
  principal?: string;
  action?: string;
  target?: string;
  since?: Date;
  until?: Date;
  limit: number;
  before?: string;
}

/** One audit entry as the API shows it. */
export interface AuditEntry {
  id: string;
  at: string;
  requestId: string;
  principal: string;
  tokenId: string | null;
  action: string;
  method: string;
  path: string;
  target: string | null;
  outcome: 'pending' | AuditOutcome;
  status: number | null;
  finishedAt: string | null;
}

/** The outcome of an HTTP status. */
export function outcomeOf(status: number): AuditOutcome {
  return status >= 500 ? 'failed' : status >= 400 ? 'rejected' : 'succeeded';
}

/** Writes the row of a request about to act and returns its id. */
export async function beginAudit(db: Queryable, entry: AuditStart): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO audit_log (request_id, principal, token_id, action, method, path, target) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
    [entry.requestId, entry.principal, entry.tokenId, entry.action, entry.method, entry.path, entry.target ?? null],
  );
  return rows[0]!.id;
}

/** Completes a row with the request's status and outcome, and its target if the handler found one. */
export async function completeAudit(db: Queryable, id: string, status: number, target?: string): Promise<void> {
  await db.query(
    'UPDATE audit_log SET outcome = $2, status = $3, finished_at = now(), target = COALESCE(target, $4) WHERE id = $1',
    [id, outcomeOf(status), status, target ?? null],
  );
}

interface AuditRow {
  id: string;
  at: Date;
  request_id: string;
  principal: string;
  token_id: string | null;
  action: string;
  method: string;
  path: string;
  target: string | null;
  outcome: AuditEntry['outcome'];
  status: number | null;
  finished_at: Date | null;
}

/** Entries matching `filter`, newest first, and the id to pass as `before` for the next page (null on the last). */
export async function listAudit(
  db: Queryable,
  filter: AuditFilter,
): Promise<{ entries: AuditEntry[]; nextBefore: string | null }> {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const where = (sql: string, value: unknown): void => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.principal !== undefined) where('principal = ?', filter.principal);
  if (filter.action !== undefined) where('action = ?', filter.action);
  if (filter.target !== undefined) where('target = ?', filter.target);
  if (filter.since !== undefined) where('at >= ?', filter.since);
  if (filter.until !== undefined) where('at < ?', filter.until);
  if (filter.before !== undefined) where('id < ?', filter.before);
  params.push(filter.limit + 1);
  const { rows } = await db.query<AuditRow>(
    `SELECT * FROM audit_log ${clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, filter.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      requestId: r.request_id,
      principal: r.principal,
      tokenId: r.token_id,
      action: r.action,
      method: r.method,
      path: r.path,
      target: r.target,
      outcome: r.outcome,
      status: r.status,
      finishedAt: r.finished_at?.toISOString() ?? null,
    })),
    nextBefore: rows.length > filter.limit ? page[page.length - 1]!.id : null,
  };
}
