/**
 * Cost analysis end to end on the real dev server and PostgreSQL: seeded metering and stacks, the
 * schedule triggered through the API, figures checked against a calculation written out here; a
 * spike is an anomaly and noise is not; a re-run replaces its report and notifies nothing twice;
 * a backfill of 7 days makes 7 reports; the schedule exists once after start and after restarts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { costScheduleId } from '../api/services/cost-schedules';
import { stopChild } from '../cli/stop-child';
import { allElements, parseXml } from './helpers/cost-xml';
import { startWebhookReceiver } from './helpers/cost-seed';
import { D, dayBefore, m, n, seedSpikeScenario } from './helpers/cost-scenario';
import { freePort } from './helpers/ports';
import { startTestStack, testTemporalAddress, type TestStack } from './helpers/test-stack';

const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('cost analysis', () => {
  let stack: TestStack;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  before(async () => {
    hook = await startWebhookReceiver();
    const budgets = join(process.env.TMPDIR ?? '/tmp', `capstan-budgets-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(
      budgets,
      'budgets:\n  - name: team-payments\n    label: team\n    value: payments\n    monthlyUsd: 100\n    thresholds: [0.005, 0.5]\n',
    );
    // Classes a ($0.10/h, 2 slots) and b ($0.50/h, 2 slots), one live worker each.
    stack = await startTestStack({
      workerEnv: {
        CAPSTAN_COST_WEBHOOK_URL: hook.url,
        CAPSTAN_COST_BUDGETS_FILE: budgets,
        CAPSTAN_COST_NODE_CLASS: 'a',
      },
    });
    await seedSpikeScenario(stack.db);
  });
  after(async () => {
    await stack?.stop();
    await hook?.close();
  });

  const reportOf = (date: string) =>
    waitFor(`the report of ${date}`, async () => {
      const r = await stack.request('GET', `/v1/costs/reports?date=${date}`);
      return r.status === 200 ? r.body : undefined;
    });

  test('the schedule exists after start, and the API lists it', async () => {
    const id = costScheduleId(stack.prefix);
    const described = await stack.client.schedule.getHandle(id).describe();
    assert.equal(described.action.workflowType, 'costAnalysisWorkflow');
    assert.equal(described.policies.overlap, 'BUFFER_ONE');
    assert.equal(described.policies.catchupWindow, 172_800_000);
    const listed = await stack.request('GET', '/v1/costs/schedules');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.schedules.map((s: any) => [s.id, s.cron]),
      [[id, '30 0 * * *']],
    );
  });

  test(
    'a triggered analysis matches the hand calculation; the spike is an anomaly, the noise is not',
    { timeout: 120_000 },
    async () => {
      const viewer = (await stack.mintToken('viewer')).token;
      const refused = await stack.request(
        'POST',
        `/v1/costs/schedules/${costScheduleId(stack.prefix)}/trigger`,
        undefined,
        { authorization: `Bearer ${viewer}` },
      );
      assert.equal(refused.status, 403);
      const triggered = await stack.request('POST', `/v1/costs/schedules/${costScheduleId(stack.prefix)}/trigger`);
      assert.equal(triggered.status, 202, JSON.stringify(triggered.body));
      const { report } = await reportOf(D);

      // Compute: duration × price/h. Class a $0.10/h = 100,000 µ$/h: build 720 s → 20,000; test#1 180 s (failed) → 5,000; test#2 360 s → 10,000.
      // Class b $0.50/h = 500,000 µ$/h: index#1 1,440 s (lost) → 200,000; index#2 2,880 s → 400,000; notify 36 s → 5,000.
      assert.deepEqual(
        report.groups.nodeClass.map((g: any) => [
          g.key,
          g.computeMicros,
          g.wasteMicros,
          g.totalMicros,
          g.attempts,
          g.failedAttempts,
        ]),
        [
          ['b', 405_000, 200_000, 605_000, 3, 1],
          ['a', 30_000, 5_000, 35_000, 3, 1],
        ],
      );
      assert.deepEqual(
        report.groups['label:team'].map((g: any) => [g.key, g.totalMicros]),
        [
          ['search', 605_000],
          ['payments', 35_000],
        ],
      );
      assert.deepEqual(
        report.groups.name.map((g: any) => [g.key, g.totalMicros]),
        [
          ['search-index', 605_000],
          ['nightly-build', 35_000],
        ],
      );
      assert.deepEqual(
        report.groups.run.map((g: any) => [g.key, g.totalMicros]),
        [
          ['run-search', 605_000],
          ['run-pay', 35_000],
        ],
      );
      // Previous day (i = 1): payments 36 s × (35 + n(1)) at $0.10/h = 1,000 µ$ × 37; search 36 s × (20 + m(1)) at $0.50/h = 5,000 µ$ × 20.
      const prevPay = 1000 * (35 + n(1));
      const prevSearch = 5000 * (20 + m(1));
      assert.deepEqual(
        report.groups['label:team'].map((g: any) => g.previousTotalMicros),
        [prevSearch, prevPay],
      );

      // Idle: workers = max(metered, live) → a: max(1, 1) = 1, b: max(3, 1) = 3; 2 slots each.
      // a: busy 1,260 s of 1 × 2 × 86,400 s; idle = costOfMs(172,800,000 − 1,260,000 ms at 100,000)/2 = 4,765,000/2 = 2,382,500.
      // b: busy 4,356 s of 3 × 2 × 86,400 s; idle = costOfMs(518,400,000 − 4,356,000 ms at 500,000)/2 = 71,395,000/2 = 35,697,500.
      assert.deepEqual(
        report.idle.map((c: any) => [c.nodeClass, c.workers, c.utilisation, c.idleMicros, c.low]),
        [
          ['a', 1, 0.0073, 2_382_500, true],
          ['b', 3, 0.0084, 35_697_500, true],
        ],
      );
      // Infrastructure: web/prod = Database 0.02 + Role 0 + Process 0.01 = $0.03/h × 24 h = 720,000; web/preview-1 = Directory 0.0001 + File 0 → 2,400.
      assert.deepEqual(
        report.infrastructure.stacks.map((s: any) => [`${s.project}/${s.stack}`, s.costMicros, s.flags]),
        [
          ['old/gone', 0, []],
          ['web/preview-1', 2_400, ['expired', 'stale']],
          ['web/prod', 720_000, []],
        ],
      );
      // Totals: compute 30,000 + 405,000; waste 5,000 + 200,000; idle 2,382,500 + 35,697,500; infra 722,400; no external source.
      assert.deepEqual(report.totals, {
        computeMicros: 435_000,
        wasteMicros: 205_000,
        idleMicros: 38_080_000,
        infraMicros: 722_400,
        externalMicros: 0,
        totalMicros: 39_442_400,
      });
      assert.equal(report.previous.totalMicros, prevPay + prevSearch + 722_400);
      assert.equal(report.change.totalMicros, 435_000 + 205_000 + 722_400 - (prevPay + prevSearch + 722_400));

      // Anomalies: search's day (605,000 against a baseline around 100,000) and everything it dominates; payments' 35,000 is its median.
      assert.deepEqual(report.anomalies.map((a: any) => `${a.dimension}=${a.key}`).sort(), [
        'label:environment=prod',
        'label:project=search',
        'label:team=search',
        'name=search-index',
        'nodeClass=b',
        'total=all',
      ]);
      const spike = report.anomalies.find((a: any) => a.dimension === 'nodeClass')!;
      // Baseline of b: 5,000 × (20 + m(i)), i = 1..28: median 100,000; |deviations| are 5,000 × |m| → MAD 10,000; z = 0.6745 × 505,000 / 10,000 = 34.06.
      assert.deepEqual(
        [spike.medianMicros, spike.madMicros, spike.score, spike.direction],
        [100_000, 10_000, 34.06, 'up'],
      );
      assert.match(spike.explanation, /nodeClass=b cost \$0\.61 on .*modified z-score 34\.06 \(threshold 3\.5\)/);

      // Forecast: month-to-date of compute + waste + infrastructure, plus the 7-day mean × days left (all by hand from the seeds).
      const daily = (i: number) => (i === 0 ? 640_000 : 1000 * (35 + n(i)) + 5000 * (20 + m(i))) + 722_400;
      const month = D.slice(0, 7);
      let mtd = 0;
      for (let i = 0; i <= 28; i++) if (dayBefore(i).startsWith(month)) mtd += daily(i);
      let week = 0;
      for (let i = 0; i < 7; i++) week += daily(i);
      const mean = Math.floor((week * 2 + 7) / 14);
      const dDate = new Date(`${D}T00:00:00Z`);
      const daysLeft =
        new Date(Date.UTC(dDate.getUTCFullYear(), dDate.getUTCMonth() + 1, 0)).getUTCDate() - dDate.getUTCDate();
      assert.deepEqual(
        [
          report.forecast.monthToDateMicros,
          report.forecast.trailing7DayMeanMicros,
          report.forecast.daysLeft,
          report.forecast.forecastMicros,
        ],
        [mtd, mean, daysLeft, mtd + mean * daysLeft],
      );
      assert.match(report.forecast.method, /trailing|7 days/);

      // Budget team=payments: month-to-date payments compute + its two stacks (722,400 a day), against $100; 0.5% = $0.50 is crossed, 50% is not.
      let payMtd = 0;
      for (let i = 0; i <= 28; i++)
        if (dayBefore(i).startsWith(month)) payMtd += (i === 0 ? 35_000 : 1000 * (35 + n(i))) + 722_400;
      assert.deepEqual(
        report.budgets.map((b: any) => [b.name, b.spentMicros, b.crossed]),
        [['team-payments', payMtd, [0.005]]],
      );

      // Recommendations, largest saving first: b down to 1 worker (2 × 24 h × $0.50 × 30), the costliest failing task (200,000 × 30), the expired stack (100 µ$/h × 720 h).
      assert.deepEqual(
        report.recommendations.map((r: any) => [r.kind, r.subject, r.savingsMicrosPer30Days]),
        [
          ['reduce-workers', 'nodeClass=b', 720_000_000],
          ['fix-failing-task', 'task=search-index/index', 6_000_000],
          ['delete-stack', 'stack=web/preview-1', 72_000],
        ],
      );
      assert.ok(
        report.summary.some((line: string) => line.startsWith(`${D}: total $39.44`)),
        report.summary.join('\n'),
      );

      // The webhook got one message per anomaly and one for the budget, Slack-shaped.
      await waitFor('notifications', async () => (hook.bodies.length >= 7 ? true : undefined), 30_000);
      assert.equal(hook.bodies.length, 7);
      const budgetMessages = hook.bodies.filter((b) => /Budget alert: team-payments/.test(b.text));
      assert.equal(budgetMessages.length, 1);
      assert.equal(budgetMessages[0].blocks[0].type, 'header');
      assert.match(budgetMessages[0].blocks[1].text.text, /crossed 0\.5% of the budget/);

      // The ad hoc API agrees with the report.
      const adHoc = await stack.request(
        'GET',
        `/v1/costs?groupBy=label:team&from=${D}&to=${dayOf(Date.parse(D) + DAY)}`,
      );
      assert.equal(adHoc.status, 200);
      assert.deepEqual(
        adHoc.body.groups.map((g: any) => [g.key, g.totalMicros, g.display.total]),
        [
          ['search', 605_000, '$0.61'],
          ['payments', 35_000, '$0.04'],
        ],
      );
      assert.equal(adHoc.body.totals.totalMicros, 640_000);
    },
  );

  test(
    'running the same day again replaces its report and sends no notification twice',
    { timeout: 120_000 },
    async () => {
      const first = await reportOf(D);
      const triggered = await stack.request('POST', `/v1/costs/schedules/${costScheduleId(stack.prefix)}/trigger`);
      assert.equal(triggered.status, 202, JSON.stringify(triggered.body));
      await waitFor('a newer report', async () => {
        const r = await stack.request('GET', `/v1/costs/reports?date=${D}`);
        return r.body.generatedAt !== first.generatedAt ? true : undefined;
      }).catch(async (err: Error) => {
        // What the schedule did, so a run that never came can be told from one that came and failed.
        const info = (await stack.client.schedule.getHandle(costScheduleId(stack.prefix)).describe()).info;
        throw new Error(
          `${err.message}; schedule running ${JSON.stringify(info.runningActions)}, recent ${JSON.stringify(info.recentActions.slice(-3))}`,
        );
      });
      const rows = await stack.db.query(`SELECT count(*)::int AS n FROM cost_reports WHERE report_date = $1`, [D]);
      assert.equal(rows.rows[0].n, 1);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(hook.bodies.length, 7, 'nothing sent again');
      const notes = await stack.db.query(
        `SELECT kind, count(*)::int AS n FROM cost_notifications GROUP BY kind ORDER BY kind`,
      );
      assert.deepEqual(
        notes.rows.map((r) => [r.kind, r.n]),
        [
          ['anomaly', 6],
          ['budget', 1],
        ],
      );
    },
  );

  test('charts: the stored one and an ad hoc one parse as SVG with one series per group', async () => {
    const stored = await fetch(`${stack.baseUrl}/v1/costs/reports/${D}/chart.svg`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    assert.equal(stored.status, 200);
    assert.match(stored.headers.get('content-type')!, /image\/svg\+xml/);
    const series = (svg: string) =>
      allElements(parseXml(svg))
        .filter((e) => e.attributes.class === 'series')
        .map((e) => e.attributes['data-series']);
    assert.deepEqual(series(await stored.text()), ['b', 'a']);
    const adHoc = await fetch(
      `${stack.baseUrl}/v1/costs/chart.svg?groupBy=label:team&from=${dayBefore(7)}&to=${dayOf(Date.parse(D) + DAY)}`,
      { headers: { authorization: `Bearer ${stack.adminToken}` } },
    );
    assert.deepEqual(series(await adHoc.text()), ['search', 'payments']);
  });

  test('bad input is refused naming the field, and starts nothing', async () => {
    const before = (await stack.db.query('SELECT count(*)::int AS n FROM cost_reports')).rows[0].n;
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['GET', '/v1/costs?groupBy=color', undefined, /groupBy/],
      ['GET', '/v1/costs?from=yesterday', undefined, /from/],
      ['GET', '/v1/costs?from=2026-01-02&to=2026-01-01', undefined, /from/],
      ['GET', '/v1/costs/reports?date=2026-02-30x', undefined, /date/],
      [
        'POST',
        `/v1/costs/schedules/${costScheduleId(stack.prefix)}/backfill`,
        { from: '2026-13-01', to: dayBefore(1) },
        /from/,
      ],
      [
        'POST',
        `/v1/costs/schedules/${costScheduleId(stack.prefix)}/backfill`,
        { from: dayBefore(2), to: dayOf(Date.now()) },
        /to/,
      ],
      [
        'POST',
        `/v1/costs/schedules/${costScheduleId(stack.prefix)}/backfill`,
        { from: dayBefore(1), to: dayBefore(3) },
        /to/,
      ],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await stack.request(method, path, body);
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.match(JSON.stringify(r.body.error.details), field, `${method} ${path}`);
    }
    assert.equal((await stack.request('GET', '/v1/costs/reports?date=1999-01-01')).status, 404);
    assert.equal((await stack.request('POST', '/v1/costs/schedules/other/trigger')).status, 404);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await stack.db.query('SELECT count(*)::int AS n FROM cost_reports')).rows[0].n, before);
  });

  test('a backfill over 7 past days makes 7 reports', { timeout: 180_000 }, async () => {
    const r = await stack.request('POST', `/v1/costs/schedules/${costScheduleId(stack.prefix)}/backfill`, {
      from: dayBefore(7),
      to: dayBefore(1),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.days, 7);
    const days = Array.from({ length: 7 }, (_, i) => dayBefore(i + 1)).sort();
    const stored = await waitFor(
      '7 backfilled reports',
      async () => {
        const { rows } = await stack.db.query(
          `SELECT to_char(report_date, 'YYYY-MM-DD') AS d FROM cost_reports WHERE report_date < $1 ORDER BY 1`,
          [D],
        );
        return rows.length >= 7 ? rows.map((row) => row.d) : undefined;
      },
      150_000,
    );
    assert.deepEqual(stored, days);
    const one = (await reportOf(dayBefore(3))).report;
    // Day i = 3 by hand: payments 1,000 × (35 + n(3)), search 5,000 × (20 + m(3)).
    assert.deepEqual(one.groups['label:team'].map((g: any) => [g.key, g.totalMicros]).sort(), [
      ['payments', 1000 * (35 + n(3))],
      ['search', 5000 * (20 + m(3))],
    ]);
    assert.deepEqual(one.anomalies, [], 'noise only');
    const listed = await stack.request('GET', '/v1/costs/reports?limit=10');
    assert.equal(listed.body.report.date, D, 'latest');
    assert.equal(listed.body.reports.length, 8);
  });
});

describe('the cost schedule across API restarts', () => {
  let stack: TestStack;
  let api: ChildProcess | undefined;
  before(async () => {
    stack = await startTestStack({ startWorkersFor: [] });
  });
  after(async () => {
    if (api) await stopChild(api, 5000);
    await stack?.stop();
  });

  test('each start creates or updates the one schedule under its fixed id', { timeout: 120_000 }, async () => {
    const prefix = `r${randomBytes(4).toString('hex')}`;
    const id = costScheduleId(prefix);
    const classes = join(stack.dataDir, 'node-classes.yaml');
    const startApi = async (cron: string): Promise<ChildProcess> => {
      const port = await freePort();
      const child = spawn(process.execPath, [join(__dirname, '..', 'api', 'server.js')], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          CAPSTAN_TEMPORAL_ADDRESS: testTemporalAddress(),
          CAPSTAN_TASK_QUEUE_PREFIX: prefix,
          CAPSTAN_NODE_CLASSES_FILE: classes,
          CAPSTAN_DATABASE_URL: stack.databaseUrl,
          CAPSTAN_API_PORT: String(port),
          CAPSTAN_DATA_DIR: stack.dataDir,
          CAPSTAN_LOG_LEVEL: 'warn',
          CAPSTAN_COST_CRON: cron,
        },
      });
      await waitFor(
        'the API',
        () =>
          fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => (r.ok ? true : undefined),
            () => undefined,
          ),
        60_000,
      );
      return child;
    };
    try {
      api = await startApi('15 2 * * *');
      assert.equal((await stack.client.schedule.getHandle(id).describe()).state.note, 'cron: 15 2 * * *');
      await stopChild(api, 5000);
      api = await startApi('45 3 * * *');
      assert.equal((await stack.client.schedule.getHandle(id).describe()).state.note, 'cron: 45 3 * * *');
      const found = await waitFor('the schedule in the list', async () => {
        const ids: string[] = [];
        for await (const s of stack.client.schedule.list()) if (s.scheduleId === id) ids.push(s.scheduleId);
        return ids.length > 0 ? ids : undefined;
      });
      assert.deepEqual(found, [id], 'exactly one');
    } finally {
      await stack.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    }
  });
});
