/**
 * External billing: the GCP billing export source runs the real BigQuery client (auth headers,
 * jobs.query, getQueryResults, paging, retries, row parsing) against a local stand-in for BigQuery's
 * REST API, since no cloud is reachable here. Credentials are a fixed access token, not ADC.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { OAuth2Client } from 'google-auth-library';
import { GcpBillingExportSource } from '../activities/cost/billing/gcp-billing-export';
import { gatherExternal } from '../activities/cost/external';

const PROJECT = 'capstan-billing';
const TABLE = 'finance-prj.billing_export.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: any;
}

const SCHEMA = {
  fields: [
    { name: 'day', type: 'DATE', mode: 'NULLABLE' },
    { name: 'service', type: 'STRING', mode: 'NULLABLE' },
    { name: 'currency', type: 'STRING', mode: 'NULLABLE' },
    { name: 'amount', type: 'NUMERIC', mode: 'NULLABLE' },
  ],
};
const row = (...cells: string[]) => ({ f: cells.map((v) => ({ v })) });
/** Three pages as BigQuery would page the result of the daily-cost query. */
const PAGES = [
  [row('2026-03-10', 'Compute Engine', 'USD', '12.3456789'), row('2026-03-10', 'Cloud Storage', 'USD', '0.0000004')],
  [row('2026-03-10', 'Networking', 'USD', '-0.25')],
  [row('2026-03-11', 'Compute Engine', 'USD', '1.5')],
];

describe('GCP billing export source', () => {
  let server: Server;
  let endpoint: string;
  const seen: Seen[] = [];
  /** How jobs.query answers: with the first page, still running (rows come from getQueryResults), or an error. */
  let mode: 'complete' | 'running' | 'denied' | 'euros' = 'complete';
  let unavailableAnswers = 0;

  const reply = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
  const page = (index: number, kind: string) => ({
    kind,
    schema: SCHEMA,
    jobReference: { projectId: PROJECT, jobId: 'job_standin', location: 'US' },
    totalRows: '4',
    rows: PAGES[index],
    jobComplete: true,
    ...(index + 1 < PAGES.length ? { pageToken: `page-${index + 2}` } : {}),
  });

  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://standin');
        seen.push({
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: text ? JSON.parse(text) : undefined,
        });
        if (req.headers.authorization !== 'Bearer standin-access-token') {
          reply(res, 401, {
            error: {
              code: 401,
              message: 'Request is missing required authentication credential.',
              status: 'UNAUTHENTICATED',
            },
          });
          return;
        }
        if (unavailableAnswers > 0) {
          unavailableAnswers--;
          reply(res, 503, {
            error: {
              code: 503,
              message: 'Service unavailable',
              errors: [{ reason: 'backendError', message: 'Service unavailable' }],
            },
          });
          return;
        }
        if (req.method === 'POST' && url.pathname === `/bigquery/v2/projects/${PROJECT}/queries`) {
          if (mode === 'denied') {
            reply(res, 403, {
              error: {
                code: 403,
                status: 'PERMISSION_DENIED',
                message: `Access Denied: Table ${TABLE.replace('.', ':')}: User does not have permission to query table.`,
                errors: [{ reason: 'accessDenied', domain: 'global', message: 'Access Denied' }],
              },
            });
            return;
          }
          if (mode === 'euros') {
            reply(res, 200, {
              kind: 'bigquery#queryResponse',
              schema: SCHEMA,
              jobReference: { projectId: PROJECT, jobId: 'job_eur', location: 'EU' },
              totalRows: '1',
              rows: [row('2026-03-10', 'Compute Engine', 'EUR', '3')],
              jobComplete: true,
            });
            return;
          }
          if (mode === 'running') {
            reply(res, 200, {
              kind: 'bigquery#queryResponse',
              jobReference: { projectId: PROJECT, jobId: 'job_standin', location: 'US' },
              jobComplete: false,
            });
            return;
          }
          reply(res, 200, page(0, 'bigquery#queryResponse'));
          return;
        }
        if (req.method === 'GET' && url.pathname === `/bigquery/v2/projects/${PROJECT}/queries/job_standin`) {
          const token = url.searchParams.get('pageToken');
          const index = token === null ? 0 : Number(/^page-(\d)$/.exec(token)?.[1] ?? NaN) - 1;
          if (!(index >= 0 && index < PAGES.length)) {
            reply(res, 400, { error: { code: 400, message: `Invalid page token ${token}` } });
            return;
          }
          reply(res, 200, page(index, 'bigquery#getQueryResultsResponse'));
          return;
        }
        reply(res, 404, { error: { code: 404, message: `Not found: ${req.method} ${url.pathname}` } });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    mode = 'complete';
    unavailableAnswers = 0;
  });

  const authClient = () => {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: 'standin-access-token', expiry_date: Date.now() + 3_600_000 });
    return client;
  };
  const source = () =>
    new GcpBillingExportSource({ projectId: PROJECT, table: TABLE, endpoint, authClient: authClient() });

  const EXPECTED = [
    { source: 'gcp', day: '2026-03-10', service: 'Compute Engine', micros: 12_345_679 },
    { source: 'gcp', day: '2026-03-10', service: 'Cloud Storage', micros: 0 },
    { source: 'gcp', day: '2026-03-10', service: 'Networking', micros: -250_000 },
    { source: 'gcp', day: '2026-03-11', service: 'Compute Engine', micros: 1_500_000 },
  ];

  test('runs the parameterised query in the project and reads every page, amounts exact to the micro-dollar', async () => {
    const costs = await source().dailyCosts('2026-03-10', '2026-03-12');
    assert.deepEqual(costs, EXPECTED);

    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.path} ${s.query.get('pageToken') ?? ''}`),
      [
        `POST /bigquery/v2/projects/${PROJECT}/queries `,
        `GET /bigquery/v2/projects/${PROJECT}/queries/job_standin page-2`,
        `GET /bigquery/v2/projects/${PROJECT}/queries/job_standin page-3`,
      ],
    );
    const body = seen[0]!.body;
    // The window travels as typed parameters; the only thing written into the SQL is the validated table.
    assert.equal(body.useLegacySql, false);
    assert.equal(body.parameterMode, 'named');
    assert.deepEqual(body.queryParameters, [
      { name: 'from_day', parameterType: { type: 'DATE' }, parameterValue: { value: '2026-03-10' } },
      { name: 'to_day', parameterType: { type: 'DATE' }, parameterValue: { value: '2026-03-12' } },
    ]);
    assert.ok(body.query.includes(`FROM \`${TABLE}\``), body.query);
    assert.match(body.query, /usage_start_time >= TIMESTAMP\(@from_day\) AND usage_start_time < TIMESTAMP\(@to_day\)/);
    assert.match(body.query, /GROUP BY day, service, currency/);
    assert.match(body.query, /UNNEST\(credits\)/);
    assert.doesNotMatch(body.query, /2026-03-1/);
    // getQueryResults is asked in the job's location, and every request carries the token.
    assert.equal(seen[1]!.query.get('location'), 'US');
    for (const s of seen) assert.equal(s.headers.authorization, 'Bearer standin-access-token');
  });

  test('a query still running when jobs.query returns is read from getQueryResults', async () => {
    mode = 'running';
    const costs = await source().dailyCosts('2026-03-10', '2026-03-12');
    assert.deepEqual(costs, EXPECTED);
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.query.get('pageToken') ?? '-'}`),
      ['POST -', 'GET -', 'GET page-2', 'GET page-3'],
    );
  });

  test('an unavailable answer is retried by the client', async () => {
    unavailableAnswers = 1;
    const costs = await source().dailyCosts('2026-03-10', '2026-03-12');
    assert.deepEqual(costs, EXPECTED);
    assert.equal(seen.filter((s) => s.method === 'POST').length, 2);
  });

  test('paging stops at the page limit instead of following the endpoint for ever', async () => {
    const limited = new GcpBillingExportSource({
      projectId: PROJECT,
      table: TABLE,
      endpoint,
      authClient: authClient(),
      maxPages: 2,
    });
    await assert.rejects(limited.dailyCosts('2026-03-10', '2026-03-12'), /after 2 pages/);
  });

  test('an error of the service is reported beside the other sources, not thrown', async () => {
    mode = 'denied';
    const external = await gatherExternal([source()], '2026-03-10', '2026-03-11');
    assert.equal(external.totalMicros, 0);
    assert.deepEqual(external.sources, []);
    assert.deepEqual(
      external.errors.map((e) => e.source),
      ['gcp'],
    );
    assert.match(external.errors[0]!.error, /Access Denied: Table finance-prj:billing_export/);
    assert.equal(seen.length, 1, 'a permission error is not retried');
  });

  test('a bill in another currency than USD is an error, not a wrong figure', async () => {
    mode = 'euros';
    const external = await gatherExternal([source()], '2026-03-10', '2026-03-11');
    assert.deepEqual(external.sources, []);
    assert.match(external.errors[0]!.error, /in EUR; only USD is supported/);
  });

  test('credentials the service refuses are reported', async () => {
    const anonymous = new OAuth2Client();
    anonymous.setCredentials({ access_token: 'someone-else', expiry_date: Date.now() + 3_600_000 });
    const external = await gatherExternal(
      [new GcpBillingExportSource({ projectId: PROJECT, table: TABLE, endpoint, authClient: anonymous })],
      '2026-03-10',
      '2026-03-11',
    );
    assert.match(external.errors[0]!.error, /missing required authentication credential/);
  });

  test('a table name outside the export shape is refused before any request', () => {
    for (const table of [
      'finance-prj.billing_export.invoices',
      'finance-prj.billing_export.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9`; DROP TABLE x; --',
      'billing_export.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9',
    ]) {
      assert.throws(
        () => new GcpBillingExportSource({ projectId: PROJECT, table, endpoint }),
        /not a billing export table/,
      );
    }
    assert.equal(seen.length, 0);
  });
});
