/** Cost analysis, pure parts: money, robust anomaly scores, the forecast, idle capacity, stack pricing, budgets, the SVG chart, decimal amounts, config files. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { findAnomalies } from '../../activities/cost/anomalies';
import { decimalToMicros } from '../../activities/cost/billing/billing-source';
import { evaluateBudgets } from '../../activities/cost/budgets';
import { renderCostChart, seriesFromRows } from '../../cost-model/chart-svg';
import { CostConfigError, loadBudgets, loadResourcePrices } from '../../activities/cost/cost-config';
import { addDays, forecastMonthEnd } from '../../cost-model/forecast';
import { DEFAULT_PRICE_CATALOG } from '../../activities/cost/from-config';
import { idleCapacity } from '../../activities/cost/idle-model';
import { priceStacks, type StackRecord } from '../../activities/cost/infra-model';
import { costOfMs, dollarsToMicros, formatUsd, relativeChange } from '../../cost-model/money';
import { median, scoreAgainstBaseline } from '../../activities/cost/stats';
import { allElements, parseXml } from '../helpers/cost-xml';

describe('money', () => {
  test('prices become exact micro-dollars and durations cost half-up rounded micro-dollars', () => {
    assert.equal(dollarsToMicros(0.1), 100_000);
    assert.equal(dollarsToMicros(0.45), 450_000);
    assert.equal(dollarsToMicros(0.0104), 10_400);
    // 36 s at $0.10/h = 100000 × 36000 / 3600000 = 1000 µ$ exactly.
    assert.equal(costOfMs(36_000, 100_000), 1000);
    // 1 ms at $0.10/h = 0.0277… µ$ → 0; 18 ms = 0.5 µ$ → 1 (half up).
    assert.equal(costOfMs(1, 100_000), 0);
    assert.equal(costOfMs(18, 100_000), 1);
    // A year at $1000/h overflows doubles' exact range as a product; bigints keep it exact.
    assert.equal(costOfMs(365 * 86_400_000, 1_000_000_000), 8_760_000_000_000);
  });

  test('display rounds to cents, keeps sub-cent amounts visible, and relative change needs a base', () => {
    assert.equal(formatUsd(1_234_565_000), '$1,234.57');
    assert.equal(formatUsd(5000), '$0.0050');
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatUsd(-2_500_000), '-$2.50');
    // Half a cent rounds up on both sides of the point where cents stop being computed in doubles.
    assert.equal(formatUsd(2 ** 40 - 5_000 - (2 ** 40 % 10_000)), '$1,099,511.62');
    assert.equal(formatUsd(12_345_678_905_000), '$12,345,678.91');
    assert.equal(formatUsd(1_099_511_625_000), '$1,099,511.63');
    assert.equal(formatUsd(9_007_199_254_740_991), '$9,007,199,254.74');
    // Against the rule written out in BigInt, on half cents and their neighbours from $0.01 to 2^52 µ$.
    for (let exp = 14; exp <= 52; exp++) {
      for (const offset of [-1, 0, 1]) {
        const micros = Math.floor(2 ** exp / 10_000) * 10_000 + 5_000 + offset;
        const cents = (BigInt(micros) * 2n + 10_000n) / 20_000n;
        const want = `$${(cents / 100n).toString().replace(/\B(?=(\d{3})+$)/g, ',')}.${String(cents % 100n).padStart(2, '0')}`;
        assert.equal(formatUsd(micros), want, String(micros));
      }
    }
    assert.equal(relativeChange(150, 100), 0.5);
    assert.equal(relativeChange(5, 0), null);
  });

  test('decimal amounts from a bill convert without binary rounding', () => {
    assert.equal(decimalToMicros('12.3456789'), 12_345_679);
    assert.equal(decimalToMicros('0.5'), 500_000);
    assert.equal(decimalToMicros('.25'), 250_000);
    assert.equal(decimalToMicros('0.0000005'), 1);
    assert.equal(decimalToMicros('1.5E-3'), 1500);
    assert.equal(decimalToMicros('-3.1'), -3_100_000);
    assert.throws(() => decimalToMicros('12,5'), /not a decimal amount/);
  });
});

describe('anomalies (median / MAD)', () => {
  test('median and modified z-score by hand', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    // Baseline 10,11,9,10,12,8,10: median 10, |dev| 0,1,1,0,2,2,0 → MAD 1; z(20) = 0.6745 × 10 / 1 = 6.745 → 6.75 (2 decimals).
    const v = scoreAgainstBaseline([10, 11, 9, 10, 12, 8, 10], 20);
    assert.deepEqual(v, { median: 10, mad: 1, score: 6.75, anomalous: true, direction: 'up', spread: 'mad' });
    // z(13) = 0.6745 × 3 = 2.02: inside normal noise.
    assert.equal(scoreAgainstBaseline([10, 11, 9, 10, 12, 8, 10], 13).anomalous, false);
  });

  test('with MAD 0 the mean absolute deviation stands in; a flat baseline flags any change', () => {
    // Baseline 5,5,5,5,9: median 5, MAD 0, mean |dev| = 4/5 = 0.8; z(20) = 15 / (1.253314 × 0.8) = 14.96.
    assert.equal(scoreAgainstBaseline([5, 5, 5, 5, 9], 20).score, 14.96);
    assert.deepEqual(scoreAgainstBaseline([7, 7, 7], 7), {
      median: 7,
      mad: 0,
      score: 0,
      anomalous: false,
      direction: 'none',
      spread: 'none',
    });
    assert.equal(scoreAgainstBaseline([7, 7, 7], 8).score, null);
  });

  test('a group is judged on its own history: a spike is found, noise and groups without history are not', () => {
    const date = '2026-03-29';
    const settings = { lookbackDays: 28, threshold: 3.5, minHistoryDays: 7 };
    const noisy = new Map<string, number>();
    const spiky = new Map<string, number>();
    for (let i = 1; i <= 28; i++) {
      const wobble = ((i * 7919) % 21) - 10; // deterministic noise within ±10%
      noisy.set(addDays(date, -i), 100_000 + wobble * 1000);
      spiky.set(addDays(date, -i), 100_000 + wobble * 1000);
    }
    noisy.set(date, 108_000);
    spiky.set(date, 400_000);
    const young = new Map([
      [date, 900_000],
      [addDays(date, -1), 1],
    ]);
    const found = findAnomalies(
      'nodeClass',
      new Map([
        ['noisy', noisy],
        ['spiky', spiky],
        ['young', young],
      ]),
      date,
      settings,
    );
    assert.deepEqual(
      found.map((a) => a.key),
      ['spiky'],
    );
    assert.match(
      found[0]!.explanation,
      /nodeClass=spiky cost \$0\.40 on 2026-03-29, above its normal: modified z-score [\d.]+ \(threshold 3\.5\)/,
    );
    assert.ok(found[0]!.score! > 3.5);
  });
});

describe('forecast', () => {
  test('month to date plus the trailing 7-day mean for each day left, by hand', () => {
    // March 2026, report on the 10th: days 1..10 cost 1,2,…,10 dollars.
    const daily = new Map<string, number>();
    for (let d = 1; d <= 10; d++) daily.set(`2026-03-${String(d).padStart(2, '0')}`, d * 1_000_000);
    daily.set('2026-02-28', 99_000_000); // outside the month and the trailing week
    const f = forecastMonthEnd(daily, '2026-03-10');
    // MTD = 55 $; trailing 7 = 4+…+10 = 49 $ → mean 7 $; 21 days left → 55 + 147 = 202 $.
    assert.deepEqual(
      { ...f, method: undefined },
      {
        method: undefined,
        month: '2026-03',
        monthToDateMicros: 55_000_000,
        trailing7DayMeanMicros: 7_000_000,
        daysLeft: 21,
        forecastMicros: 202_000_000,
      },
    );
  });
});

describe('idle capacity', () => {
  test('idle cost and the recommendation to run fewer workers, by hand', () => {
    const day = 86_400_000;
    const { classes, recommendations } = idleCapacity(
      [
        // 3 workers × 2 slots × 24 h = 144 slot-hours; busy 7.2 h → 5% utilisation.
        {
          nodeClass: 'b',
          concurrency: 2,
          microsPerHour: 500_000,
          busyMs: 7.2 * 3_600_000,
          meteredWorkers: 3,
          livePollers: 1,
        },
        { nodeClass: 'a', concurrency: 4, microsPerHour: 100_000, busyMs: 0, meteredWorkers: 0, livePollers: 0 },
      ],
      day,
      0.25,
    );
    // capacity = 3 × 24 h × $0.50 = $36; idle = $0.50 × (72 h − 7.2 h / 2) = $0.50 × 68.4 h = $34.20.
    assert.deepEqual(classes[0], {
      nodeClass: 'b',
      workers: 3,
      concurrency: 2,
      busyHours: 7.2,
      utilisation: 0.05,
      capacityMicros: 36_000_000,
      idleMicros: 34_200_000,
      low: true,
    });
    assert.deepEqual(classes[1]!.idleMicros, 0);
    // Needed: ceil(7.2 h / (2 × 24 h × 0.5)) = 1 worker; 2 fewer × 24 h × $0.50 = $24 a day, $720 per 30 days.
    assert.equal(recommendations.length, 1);
    assert.equal(recommendations[0]!.savingsMicrosPer30Days, 720_000_000);
    assert.match(recommendations[0]!.explanation, /ran 3 workers at 5\.0% utilisation/);
  });
});

describe('stacks', () => {
  const from = new Date('2026-03-10T00:00:00Z');
  const to = new Date('2026-03-11T00:00:00Z');
  const base: StackRecord = {
    project: 'p',
    stack: 's',
    status: 'active',
    labels: {},
    createdAt: new Date('2026-03-01T00:00:00Z'),
    updatedAt: new Date('2026-03-09T00:00:00Z'),
    expiresAt: null,
    lastOperationAt: new Date('2026-03-09T00:00:00Z'),
    resourceTypes: [],
  };
  test('resources priced by the hours the stack existed in the window; TTL and staleness flagged at the window end', () => {
    const catalog = new Map([
      ['db', 20_000],
      ['proc', 10_000],
    ]);
    const result = priceStacks(
      [
        { ...base, stack: 'whole', resourceTypes: ['db', 'proc', 'mystery'] },
        {
          ...base,
          stack: 'half',
          createdAt: new Date('2026-03-10T12:00:00Z'),
          resourceTypes: ['db'],
          expiresAt: new Date('2026-03-10T18:00:00Z'),
        },
        {
          ...base,
          stack: 'gone',
          status: 'destroyed',
          updatedAt: new Date('2026-03-10T06:00:00Z'),
          resourceTypes: ['proc'],
        },
        { ...base, stack: 'old', lastOperationAt: new Date('2026-02-20T00:00:00Z'), resourceTypes: [] },
      ],
      from,
      to,
      { catalog, staleAfterDays: 14 },
    );
    // whole: 24 h × (0.02 + 0.01) = 0.72 $; half: 12 h × 0.02 = 0.24 $; gone: 6 h × 0.01 = 0.06 $.
    assert.deepEqual(
      result.stacks.map((s) => [s.stack, s.costMicros, s.flags]),
      [
        ['whole', 720_000, []],
        ['half', 240_000, ['expired']],
        ['gone', 60_000, []],
        ['old', 0, ['stale']],
      ],
    );
    assert.equal(result.totalMicros, 1_020_000);
    assert.deepEqual(result.unpricedTypes, ['mystery']);
    assert.match(result.stacks[3]!.explanation!, /no operation for 19 days/);
  });
});

describe('budgets', () => {
  test('each crossed threshold is listed; below the first none is', () => {
    const budgets = [
      { name: 'team-a', label: 'team', value: 'a', amountMicros: 10_000_000, thresholds: [0.5, 0.8, 1] },
      { name: 'all', amountMicros: 100_000_000, thresholds: [0.8] },
    ];
    const status = evaluateBudgets(budgets, '2026-03', (b) => (b.name === 'team-a' ? 8_000_000 : 79_999_999));
    assert.deepEqual(
      status.map((s) => [s.name, s.crossed, s.ratio]),
      [
        ['team-a', [0.5, 0.8], 0.8],
        ['all', [], 0.8],
      ],
    );
    assert.match(status[0]!.explanation, /label team=a\): \$8\.00 of \$10\.00 spent in 2026-03 \(80\.0%\)/);
  });
});

describe('SVG chart', () => {
  test('parses as XML and holds one series per group, names escaped', () => {
    const days = ['2026-03-01', '2026-03-02', '2026-03-03'];
    const series = seriesFromRows(
      [
        { key: 'a', day: '2026-03-01', micros: 100 },
        { key: 'a', day: '2026-03-03', micros: 300 },
        { key: 'b<&>"', day: '2026-03-02', micros: 1000 },
        { key: 'x', day: '2026-02-01', micros: 5 },
      ],
      days,
    );
    assert.deepEqual(series, [
      { name: 'b<&>"', values: [0, 1000, 0] },
      { name: 'a', values: [100, 0, 300] },
    ]);
    const root = parseXml(renderCostChart('Cost & more', days, series));
    assert.equal(root.name, 'svg');
    const groups = allElements(root).filter((e) => e.attributes.class === 'series');
    assert.deepEqual(
      groups.map((g) => g.attributes['data-series']),
      ['b<&>"', 'a'],
    );
    for (const g of groups)
      assert.equal(g.children.filter((c) => c.name === 'polyline')[0]!.attributes.points!.split(' ').length, 3);
  });

  test('more groups than colours fold into "other"; the parser refuses broken XML', () => {
    const days = ['2026-03-01'];
    const rows = Array.from({ length: 10 }, (_, i) => ({ key: `g${i}`, day: '2026-03-01', micros: 100 - i }));
    assert.deepEqual(
      seriesFromRows(rows, days)
        .map((s) => s.name)
        .slice(-2),
      ['g7', 'other (2)'],
    );
    assert.throws(() => parseXml('<svg><g></svg>'), /mismatched/);
    assert.throws(() => parseXml('<svg>a & b</svg>'), /bare &/);
  });
});

describe('cost config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-cost-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the shipped catalog prices every stack resource type; an override replaces and adds', () => {
    const shipped = loadResourcePrices(DEFAULT_PRICE_CATALOG);
    for (const type of [
      'pulumi-nodejs:dynamic/postgres:Database',
      'pulumi-nodejs:dynamic/postgres:Role',
      'pulumi-nodejs:dynamic/local:Directory',
      'pulumi-nodejs:dynamic/local:File',
      'pulumi-nodejs:dynamic/local:Process',
      'aws:rds/instance:Instance',
    ]) {
      assert.ok(shipped.has(type), type);
    }
    const override = join(dir, 'prices.yaml');
    writeFileSync(
      override,
      'resourcePrices:\n  "pulumi-nodejs:dynamic/postgres:Database": 1.5\n  "custom:thing:Thing": 0.25\n',
    );
    const merged = loadResourcePrices(DEFAULT_PRICE_CATALOG, override);
    assert.equal(merged.get('pulumi-nodejs:dynamic/postgres:Database'), 1_500_000);
    assert.equal(merged.get('custom:thing:Thing'), 250_000);
    assert.equal(merged.get('pulumi-nodejs:dynamic/local:Process'), shipped.get('pulumi-nodejs:dynamic/local:Process'));
  });

  test('bad files fail naming the file and the entry', () => {
    const prices = join(dir, 'bad-prices.yaml');
    writeFileSync(prices, 'resourcePrices:\n  "x": -1\n');
    assert.throws(
      () => loadResourcePrices(DEFAULT_PRICE_CATALOG, prices),
      (err: Error) =>
        err instanceof CostConfigError &&
        err.message.includes('bad-prices.yaml') &&
        err.message.includes('resourcePrices.x'),
    );
    const budgets = join(dir, 'budgets.yaml');
    writeFileSync(
      budgets,
      'budgets:\n  - name: a\n    label: team\n    monthlyUsd: 10\n  - name: a\n    monthlyUsd: 0\n',
    );
    assert.throws(
      () => loadBudgets(budgets),
      (err: Error) =>
        /budgets\[0\]\.value/.test(err.message) &&
        /budgets\[1\]\.monthlyUsd/.test(err.message) &&
        /duplicate budget "a"/.test(err.message),
    );
    assert.throws(() => loadBudgets(join(dir, 'missing.yaml')), /CAPSTAN_COST_BUDGETS_FILE/);
    writeFileSync(
      budgets,
      'budgets:\n  - name: team-a\n    label: team\n    value: a\n    monthlyUsd: 12.5\n    thresholds: [1, 0.5, 1]\n',
    );
    assert.deepEqual(loadBudgets(budgets), [
      { name: 'team-a', label: 'team', value: 'a', amountMicros: 12_500_000, thresholds: [0.5, 1] },
    ]);
  });
});
