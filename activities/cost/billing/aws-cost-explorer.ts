/** AWS Cost Explorer as a billing source: GetCostAndUsage, daily, unblended cost grouped by service, every page. */
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  type GetCostAndUsageCommandOutput,
} from '@aws-sdk/client-cost-explorer';
import { decimalToMicros, type BillingSource, type ExternalCost } from './billing-source';

/** Where Cost Explorer is reached; credentials come from the SDK's default chain (environment, profile, role). */
export interface AwsCostExplorerOptions {
  region: string;
  /** Another endpoint than AWS's own (a proxy, or a local stand-in in tests). */
  endpoint?: string;
  /** The most pages one read follows, so a misbehaving endpoint cannot loop forever. */
  maxPages?: number;
}

/** Reads the AWS bill through the real Cost Explorer client. */
export class AwsCostExplorerSource implements BillingSource {
  readonly name = 'aws';
  private readonly client: CostExplorerClient;

  constructor(private readonly options: AwsCostExplorerOptions) {
    this.client = new CostExplorerClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts: 3,
    });
  }

  async dailyCosts(fromDay: string, toDay: string): Promise<ExternalCost[]> {
    const costs: ExternalCost[] = [];
    let token: string | undefined;
    for (let page = 0; page < (this.options.maxPages ?? 100); page++) {
      const out: GetCostAndUsageCommandOutput = await this.client.send(
        new GetCostAndUsageCommand({
          TimePeriod: { Start: fromDay, End: toDay },
          Granularity: 'DAILY',
          Metrics: ['UnblendedCost'],
          GroupBy: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
          NextPageToken: token,
        }),
      );
      for (const period of out.ResultsByTime ?? []) {
        const day = period.TimePeriod?.Start;
        if (day === undefined) continue;
        for (const group of period.Groups ?? []) {
          const metric = group.Metrics?.UnblendedCost;
          if (metric?.Amount === undefined) continue;
          if (metric.Unit !== undefined && metric.Unit !== 'USD')
            throw new Error(`Cost Explorer answered in ${metric.Unit}; only USD is supported`);
          costs.push({
            source: this.name,
            day,
            service: group.Keys?.join(' / ') ?? '(unknown)',
            micros: decimalToMicros(metric.Amount),
          });
        }
      }
      token = out.NextPageToken;
      if (!token) return costs;
    }
    throw new Error(`Cost Explorer kept answering with a next page after ${this.options.maxPages ?? 100} pages`);
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.client.destroy();
  }
}
