/**
 * External billing: the AWS Cost Explorer source runs the real SDK client (signing, JSON 1.1
 * protocol, retries) against a local stand-in for GetCostAndUsage, since no cloud is reachable here.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AwsCostExplorerSource } from '../activities/cost/billing/aws-cost-explorer';
import { gatherExternal } from '../activities/cost/external';

interface Seen {
  headers: IncomingHttpHeaders;
  body: any;
}

describe('AWS Cost Explorer billing source', () => {
  let server: Server;
  let endpoint: string;
  const seen: Seen[] = [];
  let failNext = 0;
  before(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDSTANDIN';
    process.env.AWS_SECRET_ACCESS_KEY = 'standin-secret';
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      req.on('end', () => {
        const body = JSON.parse(text);
        seen.push({ headers: req.headers, body });
        if (failNext > 0) {
          failNext--;
          res
            .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
            .end(JSON.stringify({ __type: 'DataUnavailableException', message: 'data is not available' }));
          return;
        }
        // Two pages: the first day on page one, the second on page two.
        const page = body.NextPageToken === 'page-2' ? 2 : 1;
        const day =
          page === 1 ? { Start: '2026-03-10', End: '2026-03-11' } : { Start: '2026-03-11', End: '2026-03-12' };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(
          JSON.stringify({
            ResultsByTime: [
              {
                TimePeriod: day,
                Estimated: false,
                Total: {},
                Groups:
                  page === 1
                    ? [
                        {
                          Keys: ['Amazon Relational Database Service'],
                          Metrics: { UnblendedCost: { Amount: '12.3456789', Unit: 'USD' } },
                        },
                        {
                          Keys: ['Amazon Simple Storage Service'],
                          Metrics: { UnblendedCost: { Amount: '0.0000004', Unit: 'USD' } },
                        },
                      ]
                    : [
                        {
                          Keys: ['Amazon Relational Database Service'],
                          Metrics: { UnblendedCost: { Amount: '1.5', Unit: 'USD' } },
                        },
                      ],
              },
            ],
            ...(page === 1 ? { NextPageToken: 'page-2' } : {}),
            DimensionValueAttributes: [],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
  });

  test('reads every page of daily cost by service, signed, amounts exact to the micro-dollar', async () => {
    seen.length = 0;
    const source = new AwsCostExplorerSource({ region: 'us-east-1', endpoint });
    const costs = await source.dailyCosts('2026-03-10', '2026-03-12');
    source.destroy();
    assert.deepEqual(costs, [
      { source: 'aws', day: '2026-03-10', service: 'Amazon Relational Database Service', micros: 12_345_679 },
      { source: 'aws', day: '2026-03-10', service: 'Amazon Simple Storage Service', micros: 0 },
      { source: 'aws', day: '2026-03-11', service: 'Amazon Relational Database Service', micros: 1_500_000 },
    ]);
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.headers['x-amz-target'], 'AWSInsightsIndexService.GetCostAndUsage');
    assert.match(
      String(seen[0]!.headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN\/\d{8}\/us-east-1\/ce\/aws4_request/,
    );
    assert.deepEqual(seen[0]!.body, {
      TimePeriod: { Start: '2026-03-10', End: '2026-03-12' },
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost'],
      GroupBy: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
    });
    assert.equal(seen[1]!.body.NextPageToken, 'page-2');
  });

  test('an error of the service is reported beside the other sources, not thrown', async () => {
    failNext = 5;
    const source = new AwsCostExplorerSource({ region: 'us-east-1', endpoint });
    const external = await gatherExternal([source], '2026-03-10', '2026-03-11');
    source.destroy();
    failNext = 0;
    assert.equal(external.totalMicros, 0);
    assert.deepEqual(
      external.errors.map((e) => e.source),
      ['aws'],
    );
    assert.match(external.errors[0]!.error, /data is not available/);
  });
});
