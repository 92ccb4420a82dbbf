/** GCP's billing export in BigQuery as a billing source: one parameterised query, daily net cost by service, every page. */
import {
  BigQuery,
  type BigQueryOptions,
  type Query,
  type QueryRowsResponse,
  type RowMetadata,
} from '@google-cloud/bigquery';
import { decimalToMicros, type BillingSource, type ExternalCost } from './billing-source';

/**
 * A billing export table, `<project>.<dataset>.gcp_billing_export_v1_<BILLING_ACCOUNT>` (or the detailed
 * `gcp_billing_export_resource_v1_` one). It is written into the SQL (a table cannot be a query parameter),
 * so nothing outside this shape is accepted.
 */
const GCP_BILLING_TABLE =
  /^(?:[a-z][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]{1,1024}\.gcp_billing_export_(?:resource_)?v1_[0-9A-F]{6}_[0-9A-F]{6}_[0-9A-F]{6}$/;

/** Where the export is read and how the query job is authorised. */
export interface GcpBillingExportOptions {
  /** The project the query job runs in (and is billed to); the table may be in another one. */
  projectId: string;
  /** The export table, matching {@link GCP_BILLING_TABLE}. */
  table: string;
  /** Another endpoint than BigQuery's own (a proxy, or a local stand-in in tests). */
  endpoint?: string;
  /** Credentials other than Application Default Credentials (tests pass a fixed access token). */
  authClient?: BigQueryOptions['authClient'];
  /** The most result pages (or polls of a running job) one read follows, so a misbehaving endpoint cannot loop forever. */
  maxPages?: number;
}

/**
 * Net cost (cost plus credits, which are negative) per UTC usage day, service and currency. Both
 * columns are FLOAT64 in the export; casting each row to NUMERIC (9 decimals) before summing keeps
 * the sum exact, and it comes back as a decimal string.
 */
function dailyCostSql(table: string): string {
  return [
    'SELECT',
    '  DATE(usage_start_time) AS day,',
    "  IFNULL(service.description, '(unknown)') AS service,",
    '  currency,',
    '  SUM(CAST(cost AS NUMERIC)) + SUM(IFNULL((SELECT SUM(CAST(c.amount AS NUMERIC)) FROM UNNEST(credits) AS c), 0)) AS amount',
    `FROM \`${table}\``,
    'WHERE usage_start_time >= TIMESTAMP(@from_day) AND usage_start_time < TIMESTAMP(@to_day)',
    'GROUP BY day, service, currency',
    'ORDER BY day, service',
  ].join('\n');
}

/** Reads the GCP bill from its BigQuery export through the real BigQuery client (jobs.query, then getQueryResults per page). */
export class GcpBillingExportSource implements BillingSource {
  readonly name = 'gcp';
  private readonly client: BigQuery;

  constructor(private readonly options: GcpBillingExportOptions) {
    if (!GCP_BILLING_TABLE.test(options.table)) {
      throw new Error(
        `"${options.table}" is not a billing export table such as my-project.billing.gcp_billing_export_v1_012345_6789AB_CDEF01`,
      );
    }
    this.client = new BigQuery({
      projectId: options.projectId,
      ...(options.endpoint ? { apiEndpoint: options.endpoint } : {}),
      ...(options.authClient ? { authClient: options.authClient } : {}),
      maxRetries: 3,
    });
  }

  async dailyCosts(fromDay: string, toDay: string): Promise<ExternalCost[]> {
    const maxPages = this.options.maxPages ?? 100;
    const query: Query = {
      query: dailyCostSql(this.options.table),
      // DATE parameters: the client sends a DATE only for its own date values (a plain string under
      // `types: DATE` goes out with no value at all).
      params: { from_day: BigQuery.date(fromDay), to_day: BigQuery.date(toDay) },
    };
    // With autoPaginate off the client answers one page and the request for the next; its typings
    // describe only the auto-paginated answer of a Query object, hence the cast.
    let [rows, next] = (await this.client.query(query, { autoPaginate: false })) as unknown as QueryRowsResponse;
    const costs = rows.map((row) => this.toCost(row));
    for (let page = 1; next; page++) {
      if (page >= maxPages) throw new Error(`BigQuery kept answering with a next page after ${maxPages} pages`);
      if (!next.job) throw new Error('BigQuery answered a next page without a job to read it from');
      [rows, next] = await next.job.getQueryResults(next);
      for (const row of rows) costs.push(this.toCost(row));
    }
    return costs;
  }

  private toCost(row: RowMetadata): ExternalCost {
    const day = plain(row.day);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day))
      throw new Error(`BigQuery answered a row without a usage day: ${JSON.stringify(row)}`);
    if (row.currency !== 'USD')
      throw new Error(`the billing export is in ${String(row.currency)}; only USD is supported`);
    return { source: this.name, day, service: String(row.service), micros: decimalToMicros(plain(row.amount)) };
  }
}

/** A parsed cell as plain text: DATE arrives as `{ value }`, NUMERIC as a big.js decimal whose `toFixed()` never uses an exponent. */
function plain(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    if ('value' in value && typeof value.value === 'string') return value.value;
    if ('toFixed' in value && typeof value.toFixed === 'function') return String(value.toFixed());
  }
  throw new Error(`BigQuery answered an unexpected value: ${JSON.stringify(value)}`);
}
