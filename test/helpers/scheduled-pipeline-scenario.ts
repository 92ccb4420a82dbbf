/** A pipeline with `on.schedule` registered, its Temporal Schedule triggered now, and the scheduled run ended. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitIn } from './git';
import { waitForRunEnd, type TestStack } from './test-stack';

/** The workflow the schedule started and the pipeline run it started in turn. */
export interface ScheduledStart {
  starterWorkflowId: string;
  runId: string;
}

/** Registers a repository whose pipeline has a schedule, triggers the schedule and waits for the run to end. */
export async function scheduledPipelineScenario(stack: TestStack): Promise<ScheduledStart> {
  const repo = mkdtempSync(join(tmpdir(), 'capstan-scheduled-'));
  const git = (...args: string[]) => gitIn(repo, ...args);
  const scheduleId = `${stack.prefix}-pipeline-record/scheduled`;
  try {
    git('init', '-q', '-b', 'main');
    mkdirSync(join(repo, '.capstan'));
    writeFileSync(
      join(repo, '.capstan', 'pipeline.yaml'),
      `name: nightly\non: { schedule: [{ cron: '0 3 * * *' }] }\njobs:\n  build:\n    runs-on: a\n    steps:\n      - run: echo "$CAPSTAN_EVENT"\n`,
    );
    git('add', '-A');
    git('commit', '-q', '-m', 'pipeline');
    const registered = await stack.request('POST', '/v1/repositories', {
      name: 'record/scheduled',
      provider: 'github',
      cloneUrl: repo,
      webhookSecret: 'record-secret-0123456789',
    });
    if (registered.body?.schedule?.outcome !== 'created')
      throw new Error(`no schedule: ${JSON.stringify(registered.body)}`);
    const handle = stack.client.schedule.getHandle(scheduleId);
    await handle.trigger();
    let starterWorkflowId: string | undefined;
    for (const deadline = Date.now() + 30_000; starterWorkflowId === undefined;) {
      starterWorkflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (Date.now() > deadline) throw new Error('the schedule started nothing');
      await new Promise((r) => setTimeout(r, 200));
    }
    const { runId } = (await stack.client.workflow.getHandle(starterWorkflowId).result()) as { runId: string };
    await waitForRunEnd(stack, encodeURIComponent(runId), 120_000);
    return { starterWorkflowId, runId };
  } finally {
    await stack.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    rmSync(repo, { recursive: true, force: true });
  }
}
