/** Billing source settings: the list of sources, the GCP billing export table and project, and the sources built from them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../config/env';
import { AwsCostExplorerSource } from '../../activities/cost/billing/aws-cost-explorer';
import { GcpBillingExportSource } from '../../activities/cost/billing/gcp-billing-export';
import { billingSources } from '../../activities/cost/from-config';

const TABLE = 'finance-prj.billing_export.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9';

describe('billing source configuration', () => {
  test('no source by default', () => {
    const cost = loadConfig({}).cost;
    assert.deepEqual(cost.billingSources, []);
    assert.equal(cost.gcp, undefined);
  });

  test("a comma-separated list, spaces and repeats allowed; the query project defaults to the table's", () => {
    const cost = loadConfig({
      CAPSTAN_COST_BILLING_SOURCES: ' gcp , aws,gcp',
      CAPSTAN_COST_GCP_BILLING_TABLE: TABLE,
    }).cost;
    assert.deepEqual(cost.billingSources, ['gcp', 'aws']);
    assert.deepEqual(cost.gcp, { project: 'finance-prj', billingTable: TABLE, endpoint: undefined });
  });

  test('an explicit project, a domain-scoped table and an endpoint', () => {
    const table = 'example.com:finance-prj.billing.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9';
    const cost = loadConfig({
      CAPSTAN_COST_BILLING_SOURCES: 'gcp',
      CAPSTAN_COST_GCP_BILLING_TABLE: table,
      CAPSTAN_COST_GCP_ENDPOINT: 'http://127.0.0.1:9050',
    }).cost;
    assert.deepEqual(cost.gcp, {
      project: 'example.com:finance-prj',
      billingTable: table,
      endpoint: 'http://127.0.0.1:9050',
    });
    const own = loadConfig({
      CAPSTAN_COST_BILLING_SOURCES: 'gcp',
      CAPSTAN_COST_GCP_BILLING_TABLE: TABLE,
      CAPSTAN_COST_GCP_PROJECT: 'ops-queries',
    }).cost;
    assert.equal(own.gcp?.project, 'ops-queries');
  });

  test('the GCP settings are ignored while gcp is not a source', () => {
    const cost = loadConfig({ CAPSTAN_COST_BILLING_SOURCES: 'aws', CAPSTAN_COST_GCP_BILLING_TABLE: TABLE }).cost;
    assert.equal(cost.gcp, undefined);
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    [
      'an unknown source',
      { CAPSTAN_COST_BILLING_SOURCES: 'aws,azure' },
      /CAPSTAN_COST_BILLING_SOURCES: must be empty or a comma-separated list of "aws" and "gcp"/,
    ],
    ['an empty list item', { CAPSTAN_COST_BILLING_SOURCES: 'aws,,gcp' }, /CAPSTAN_COST_BILLING_SOURCES: /],
    [
      'gcp without a table',
      { CAPSTAN_COST_BILLING_SOURCES: 'gcp' },
      /CAPSTAN_COST_GCP_BILLING_TABLE: is required when CAPSTAN_COST_BILLING_SOURCES has gcp/,
    ],
    [
      'a table that is not a billing export',
      { CAPSTAN_COST_GCP_BILLING_TABLE: 'finance-prj.billing_export.invoices' },
      /CAPSTAN_COST_GCP_BILLING_TABLE: must be <project>\.<dataset>\.gcp_billing_export_v1_<BILLING_ACCOUNT>/,
    ],
    [
      'a table without its project',
      { CAPSTAN_COST_GCP_BILLING_TABLE: 'billing_export.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9' },
      /CAPSTAN_COST_GCP_BILLING_TABLE: must be/,
    ],
    [
      'a table with SQL after it',
      { CAPSTAN_COST_GCP_BILLING_TABLE: `${TABLE}\`; DROP TABLE x; --` },
      /CAPSTAN_COST_GCP_BILLING_TABLE: must be/,
    ],
    [
      'a billing account in lowercase',
      { CAPSTAN_COST_GCP_BILLING_TABLE: TABLE.toLowerCase() },
      /CAPSTAN_COST_GCP_BILLING_TABLE: must be/,
    ],
    [
      'a project with capitals',
      { CAPSTAN_COST_GCP_PROJECT: 'Finance_Prj' },
      /CAPSTAN_COST_GCP_PROJECT: must be a project ID/,
    ],
    [
      'an endpoint that is not http(s)',
      { CAPSTAN_COST_GCP_ENDPOINT: 'ftp://127.0.0.1:9050' },
      /CAPSTAN_COST_GCP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/,
    ],
  ];
  for (const [name, env, message] of bad) {
    test(`rejects ${name}, naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: Error) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }

  test('the source accepts exactly the table names the configuration accepts', () => {
    const tables = [
      TABLE,
      'example.com:finance-prj.billing.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9',
      'finance-prj.billing_export.invoices',
      TABLE.toLowerCase(),
      `${TABLE}\`; --`,
      'a.b.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9',
      'finance-prj.billing-export.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9',
    ];
    for (const table of tables) {
      let configOk = true;
      try {
        loadConfig({ CAPSTAN_COST_GCP_BILLING_TABLE: table });
      } catch {
        configOk = false;
      }
      let sourceOk = true;
      try {
        new GcpBillingExportSource({ projectId: 'finance-prj', table });
      } catch {
        sourceOk = false;
      }
      assert.equal(sourceOk, configOk, table);
    }
  });

  test('the worker builds one source per configured name, in order', () => {
    const cost = loadConfig({ CAPSTAN_COST_BILLING_SOURCES: 'gcp,aws', CAPSTAN_COST_GCP_BILLING_TABLE: TABLE }).cost;
    const sources = billingSources(cost);
    assert.deepEqual(
      sources.map((s) => s.name),
      ['gcp', 'aws'],
    );
    assert.ok(sources[0] instanceof GcpBillingExportSource);
    assert.ok(sources[1] instanceof AwsCostExplorerSource);
    (sources[1] as AwsCostExplorerSource).destroy();
    assert.deepEqual(billingSources(loadConfig({}).cost), []);
  });
});
