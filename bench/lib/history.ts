/** Where a run's time went, read back from the server's event timestamps after the timed part is over. */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { summarize, type Summary } from './stats';

/** The hops of a workflow's life, in the order the report prints them. */
export const PHASES = [
  'workflow-task dispatch (scheduled -> started)',
  'workflow-task processing (started -> completed)',
  'activity dispatch (scheduled -> started)',
  'activity run incl. RPCs (started -> completed)',
  'server-side total (first -> last event)',
  'outside the server (start RPC, result long poll)',
] as const;

/** One of PHASES. */
export type Phase = (typeof PHASES)[number];

/** Per-phase statistics of a set of runs, in ms; the means add up to the measured mean. */
export type PhaseBreakdown = Record<Phase, Summary>;

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** Event time with its sub-millisecond part: the SDK's tsToMs drops it, and some hops take well under 1 ms. */
function eventMs(event: Event): number {
  const ts = event.eventTime ?? {};
  return tsToMs({ seconds: ts.seconds, nanos: 0 }) + (ts.nanos ?? 0) / 1e6;
}

/** Sums each phase over the events of one run (a run may have several workflow tasks). */
function phasesOf(events: Event[], measuredMs: number): Record<Phase, number> {
  const sums = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  let wftScheduled = 0;
  let wftStarted = 0;
  let actScheduled = 0;
  let actStarted = 0;
  for (const event of events) {
    const t = eventMs(event);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        wftScheduled = t;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        sums[PHASES[0]] += t - wftScheduled;
        wftStarted = t;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        sums[PHASES[1]] += t - wftStarted;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        actScheduled = t;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        sums[PHASES[2]] += t - actScheduled;
        actStarted = t;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        sums[PHASES[3]] += t - actStarted;
        break;
      default:
        break;
    }
  }
  const first = events[0];
  const last = events[events.length - 1];
  sums[PHASES[4]] = first && last ? eventMs(last) - eventMs(first) : Number.NaN;
  sums[PHASES[5]] = measuredMs - sums[PHASES[4]];
  return sums;
}

/** Fetches the history of each timed run and summarizes its phases; `measuredMs[i]` is run i's client-side time. */
export async function phaseBreakdown(
  client: Client,
  workflowIds: string[],
  measuredMs: number[],
): Promise<PhaseBreakdown> {
  const samples = Object.fromEntries(PHASES.map((p) => [p, [] as number[]])) as Record<Phase, number[]>;
  for (const [i, id] of workflowIds.entries()) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const phases = phasesOf(history.events ?? [], measuredMs[i] ?? Number.NaN);
    for (const p of PHASES) samples[p].push(phases[p]);
  }
  return Object.fromEntries(PHASES.map((p) => [p, summarize(samples[p])])) as PhaseBreakdown;
}
