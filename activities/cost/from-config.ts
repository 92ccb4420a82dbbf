/** The cost activities' dependencies as a worker's configuration sets them. */
import { Context } from '@temporalio/activity';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { join } from 'node:path';
import type { Pool } from 'pg';
import type { CapstanConfig } from '../../config/env';
import { loadNodeClasses } from '../../config/node-classes';
import { REPO_ROOT } from '../../config/paths';
import { nodeClassTaskQueue } from '../../workflows/contracts/node-class';
import type { CostActivityDeps } from './analyze';
import { AwsCostExplorerSource } from './billing/aws-cost-explorer';
import type { BillingSource } from './billing/billing-source';
import { GcpBillingExportSource } from './billing/gcp-billing-export';
import { loadBudgets, loadResourcePrices } from './cost-config';

/** The price catalog kept in the repo; CAPSTAN_COST_PRICE_CATALOG_FILE adds to it and overrides it. */
export const DEFAULT_PRICE_CATALOG = join(REPO_ROOT, 'config', 'resource-prices.yaml');

/** Builds the dependencies from config; a bad catalog or budgets file fails here, at worker start, naming the file. */
export function costActivityDeps(config: CapstanConfig, db: Pool): CostActivityDeps {
  const c = config.cost;
  return {
    db,
    nodeClasses: loadNodeClasses(config.nodeClassesFile),
    resourcePrices: loadResourcePrices(DEFAULT_PRICE_CATALOG, c.priceCatalogFile),
    budgets: loadBudgets(c.budgetsFile),
    billingSources: billingSources(c),
    livePollers: (nodeClass) =>
      countLivePollers(nodeClassTaskQueue(config.taskQueuePrefix, nodeClass), config.pollerLivenessSeconds),
    webhookUrl: c.webhookUrl,
    settings: {
      lookbackDays: c.lookbackDays,
      threshold: c.anomalyThreshold,
      minHistoryDays: 7,
      lowUtilisation: c.lowUtilisation,
      staleStackDays: c.staleStackDays,
      chartGroupBy: 'nodeClass',
    },
  };
}

/** One source per configured name, in the configured order; GCP authenticates with Application Default Credentials. */
export function billingSources(c: CapstanConfig['cost']): BillingSource[] {
  return c.billingSources.map((name) => {
    if (name === 'aws') return new AwsCostExplorerSource({ region: c.aws.region, endpoint: c.aws.endpoint });
    // loadConfig refuses gcp without a billing table, so a missing block here is a config built by hand.
    if (!c.gcp) throw new Error('the gcp billing source needs cost.gcp (CAPSTAN_COST_GCP_BILLING_TABLE)');
    return new GcpBillingExportSource({
      projectId: c.gcp.project,
      table: c.gcp.billingTable,
      endpoint: c.gcp.endpoint,
    });
  });
}

/** Workers seen polling `taskQueue` within the liveness window, asked through the running activity's own Temporal client. */
async function countLivePollers(taskQueue: string, livenessSeconds: number): Promise<number> {
  const ctx = Context.current();
  const response = await ctx.client.workflowService.describeTaskQueue({
    namespace: ctx.info.workflowNamespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const now = Date.now();
  return (response.pollers ?? []).filter((p) => {
    const seen = optionalTsToMs(p.lastAccessTime);
    return seen !== undefined && now - seen <= livenessSeconds * 1000;
  }).length;
}
