/** Pure rule evaluation: what each rule finds, subject by subject, in the figures observed for it. */
import type { AlertRule } from '../../workflows/contracts/alert-rules';

/** A node class's queue as Temporal reports it. */
export interface QueueFigures {
  nodeClass: string;
  tasks: number;
  oldestWaitSeconds: number;
  liveWorkers: number;
}

/** A worker's latest report, as far as the usage rules read it. */
export interface WorkerFigures {
  identity: string;
  host: string;
  nodeClass: string;
  memoryTotalBytes: number;
  memoryAvailableBytes: number;
  diskPath: string;
  diskTotalBytes: number;
  diskFreeBytes: number;
}

/** The figures a rule is judged on, by the kind of data its kind needs. */
export type RuleFigures =
  | { kind: 'queues'; queues: QueueFigures[] }
  | { kind: 'workers'; workers: WorkerFigures[] }
  | { kind: 'runs'; ended: number; failed: number }
  | { kind: 'stacks'; stacks: Array<{ project: string; stack: string; resources: number; checkedAt: Date }> };

/** What a rule says of one subject it observed: whether its condition holds, the figure, and in words. */
export interface Finding {
  subject: string;
  holds: boolean;
  value: number;
  message: string;
}

const pct = (n: number) => `${(Math.round(n * 10) / 10).toString()}%`;
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** Judges one rule on its figures; subjects not in the answer were not observed (and do not hold). */
export function judgeRule(rule: AlertRule, figures: RuleFigures): Finding[] {
  switch (rule.kind) {
    case 'no-live-worker':
      return queuesOf(figures).map((q) => ({
        subject: q.nodeClass,
        holds: q.tasks > 0 && q.liveWorkers === 0,
        value: q.tasks,
        message: `node class ${q.nodeClass}: ${q.tasks} task${q.tasks === 1 ? '' : 's'} queued (oldest waiting ${q.oldestWaitSeconds} s), ${q.liveWorkers} live worker${q.liveWorkers === 1 ? '' : 's'}`,
      }));
    case 'oldest-wait':
      return queuesOf(figures).map((q) => ({
        subject: q.nodeClass,
        holds: q.tasks > 0 && q.oldestWaitSeconds > rule.overSeconds,
        value: q.oldestWaitSeconds,
        message: `node class ${q.nodeClass}: oldest queued task waiting ${q.oldestWaitSeconds} s (limit ${rule.overSeconds} s), ${q.tasks} queued, ${q.liveWorkers} live worker${q.liveWorkers === 1 ? '' : 's'}`,
      }));
    case 'worker-usage':
      return workersOf(figures).flatMap((w) => {
        const [total, free, what] =
          rule.resource === 'disk'
            ? [w.diskTotalBytes, w.diskFreeBytes, `disk ${w.diskPath}`]
            : [w.memoryTotalBytes, w.memoryAvailableBytes, 'memory'];
        // A report without a total says nothing about use; it cannot be judged.
        if (!(total > 0)) return [];
        const used = (100 * (total - free)) / total;
        return [
          {
            subject: w.identity,
            holds: used > rule.overPercent,
            value: Math.round(used * 10) / 10,
            message: `worker ${w.identity} (host ${w.host}, class ${w.nodeClass}): ${what} ${pct(used)} used (limit ${pct(rule.overPercent)}), ${gib(free)} of ${gib(total)} free`,
          },
        ];
      });
    case 'failure-rate': {
      if (figures.kind !== 'runs') throw new Error(`rule ${rule.name} needs run counts, got ${figures.kind}`);
      const rate = figures.ended === 0 ? 0 : (100 * figures.failed) / figures.ended;
      return [
        {
          subject: `${rule.runKind}/${rule.runName}`,
          holds: figures.ended >= rule.minRuns && rate > rule.overPercent,
          value: Math.round(rate * 10) / 10,
          message: `${rule.runKind} ${rule.runName}: ${figures.failed} of ${figures.ended} run${figures.ended === 1 ? '' : 's'} ended in the last ${rule.windowSeconds} s failed (${pct(rate)}, limit ${pct(rule.overPercent)}, at least ${rule.minRuns} run${rule.minRuns === 1 ? '' : 's'})`,
        },
      ];
    }
    case 'stack-drift':
      if (figures.kind !== 'stacks') throw new Error(`rule ${rule.name} needs stacks, got ${figures.kind}`);
      return figures.stacks.map((s) => ({
        subject: `${s.project}/${s.stack}`,
        holds: true,
        value: s.resources,
        message: `stack ${s.project}/${s.stack}: drift found, ${s.resources} resource${s.resources === 1 ? '' : 's'} changed outside Pulumi (checked ${s.checkedAt.toISOString()})`,
      }));
  }
}

function queuesOf(figures: RuleFigures): QueueFigures[] {
  if (figures.kind !== 'queues') throw new Error(`a queue rule needs queue figures, got ${figures.kind}`);
  return figures.queues;
}

function workersOf(figures: RuleFigures): WorkerFigures[] {
  if (figures.kind !== 'workers') throw new Error(`a worker rule needs worker figures, got ${figures.kind}`);
  return figures.workers;
}
