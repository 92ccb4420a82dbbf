/**
 * The cost scenario of the cost analysis tests: 28 quiet days of two teams' runs on classes a and b,
 * then a report day D (yesterday, UTC) on which search's runs spike on class b (a lost attempt and its
 * long retry), plus three stacks. Figures the tests compute by hand come from the constants here.
 */
import type { Pool } from 'pg';
import { seedAttempts, seedRun, seedStacks, type SeedAttempt } from './cost-seed';

const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** `hour` hours after the UTC midnight that starts `day`. */
export const at = (day: string, hour: number) => new Date(Date.parse(`${day}T00:00:00Z`) + hour * 3_600_000);
/** The report day: a trigger analyses yesterday (UTC), so everything is seeded relative to it. */
export const D = dayOf(Date.now() - DAY);
/** The UTC day `i` days before D. */
export const dayBefore = (i: number) => dayOf(Date.parse(`${D}T00:00:00Z`) - i * DAY);
/** Noise of the payments baseline on day i (−3..+3 units, deterministic). */
export const n = (i: number) => ((i * 5) % 7) - 3;
/** Noise of the search baseline on day i (−3..+3 units, deterministic). */
export const m = (i: number) => ((i * 3) % 7) - 3;
/** Labels of the payments team's runs. */
export const PAY = { team: 'payments', project: 'web', environment: 'prod' };
/** Labels of the search team's runs. */
export const SEARCH = { team: 'search', project: 'search', environment: 'prod' };

/** Seeds the scenario's runs, attempts and stacks into a fresh test database. */
export async function seedSpikeScenario(db: Pool): Promise<void> {
  const attempts: SeedAttempt[] = [];
  for (let i = 1; i <= 28; i++) {
    const day = dayBefore(i);
    await seedRun(db, `hist-pay-${i}`, 'nightly-build', PAY);
    await seedRun(db, `hist-search-${i}`, 'search-index', SEARCH);
    // Labels from the run record only: the attempt carries none.
    attempts.push({
      runId: `hist-pay-${i}`,
      taskId: 'build',
      attempt: 1,
      nodeClass: 'a',
      worker: 'w-a1',
      startedAt: at(day, 2),
      durationMs: 36_000 * (35 + n(i)),
      outcome: 'succeeded',
    });
    attempts.push({
      runId: `hist-search-${i}`,
      taskId: 'index',
      attempt: 1,
      nodeClass: 'b',
      worker: 'w-b1',
      startedAt: at(day, 3),
      durationMs: 36_000 * (20 + m(i)),
      outcome: 'succeeded',
    });
  }
  await seedRun(db, 'run-pay', 'nightly-build', PAY);
  await seedRun(db, 'run-search', 'search-index', SEARCH);
  attempts.push(
    {
      runId: 'run-pay',
      taskId: 'build',
      attempt: 1,
      nodeClass: 'a',
      worker: 'w-a1',
      startedAt: at(D, 1),
      durationMs: 720_000,
      outcome: 'succeeded',
      labels: PAY,
    },
    {
      runId: 'run-pay',
      taskId: 'test',
      attempt: 1,
      nodeClass: 'a',
      worker: 'w-a1',
      startedAt: at(D, 2),
      durationMs: 180_000,
      outcome: 'failed',
      labels: PAY,
    },
    {
      runId: 'run-pay',
      taskId: 'test',
      attempt: 2,
      nodeClass: 'a',
      worker: 'w-a1',
      startedAt: at(D, 3),
      durationMs: 360_000,
      outcome: 'succeeded',
      labels: PAY,
    },
    // The spike: a lost 24-minute attempt and its 48-minute retry, on three workers of class b.
    {
      runId: 'run-search',
      taskId: 'index',
      attempt: 1,
      nodeClass: 'b',
      worker: 'w-b1',
      startedAt: at(D, 4),
      durationMs: 1_440_000,
      outcome: 'lost',
      labels: SEARCH,
    },
    {
      runId: 'run-search',
      taskId: 'index',
      attempt: 2,
      nodeClass: 'b',
      worker: 'w-b2',
      startedAt: at(D, 5),
      durationMs: 2_880_000,
      outcome: 'succeeded',
      labels: SEARCH,
    },
    {
      runId: 'run-search',
      taskId: 'notify',
      attempt: 1,
      nodeClass: 'b',
      worker: 'w-b3',
      startedAt: at(D, 6),
      durationMs: 36_000,
      outcome: 'succeeded',
      labels: SEARCH,
    },
  );
  await seedAttempts(db, attempts);
  const t0 = Date.parse(`${D}T00:00:00Z`);
  await seedStacks(db, [
    {
      project: 'web',
      stack: 'prod',
      status: 'active',
      labels: { team: 'payments' },
      createdAt: new Date(t0 - 40 * DAY),
      updatedAt: new Date(t0 - 2 * DAY),
      lastOperationAt: new Date(t0 - 2 * DAY),
      resourceTypes: [
        'pulumi-nodejs:dynamic/postgres:Database',
        'pulumi-nodejs:dynamic/postgres:Role',
        'pulumi-nodejs:dynamic/local:Process',
      ],
    },
    {
      project: 'web',
      stack: 'preview-1',
      status: 'active',
      labels: { team: 'payments' },
      createdAt: new Date(t0 - 30 * DAY),
      updatedAt: new Date(t0 - 30 * DAY),
      lastOperationAt: new Date(t0 - 30 * DAY),
      expiresAt: new Date(t0 - DAY),
      resourceTypes: ['pulumi-nodejs:dynamic/local:Directory', 'pulumi-nodejs:dynamic/local:File'],
    },
    {
      project: 'old',
      stack: 'gone',
      status: 'destroyed',
      labels: {},
      createdAt: new Date(t0 - 60 * DAY),
      updatedAt: new Date(t0 - 5 * DAY),
      resourceTypes: [],
    },
  ]);
}
