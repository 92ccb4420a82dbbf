/** Turns Pulumi engine events into progress heartbeats and the list of resources an operation touched. */
import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import type { ResourceChange, StackProgress } from '../../workflows/contracts/stack-operation';

/** Counts resources done by operation, heartbeating at most once a second with the counts. */
export class EngineProgress {
  readonly done: Record<string, number> = {};
  /** Every non-stack resource the engine reported a result for, with its operation. */
  readonly results: ResourceChange[] = [];
  private lastResource?: string;
  private lastBeat = 0;

  constructor(
    private readonly phase: string,
    private readonly beat: (progress: StackProgress) => void,
  ) {}

  /** Pass as the Automation API's `onEvent`. */
  readonly onEvent = (event: EngineEvent): void => {
    const meta = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
    if (!meta || meta.type === 'pulumi:pulumi:Stack' || meta.type.startsWith('pulumi:providers:')) return;
    const op = event.resOpFailedEvent ? 'failed' : meta.op;
    this.done[op] = (this.done[op] ?? 0) + 1;
    this.lastResource = meta.urn;
    this.results.push({ urn: meta.urn, type: meta.type, op, ...(meta.diffs?.length ? { diffs: meta.diffs } : {}) });
    if (Date.now() - this.lastBeat >= 1000) this.heartbeat();
  };

  /** Heartbeats now; also called on a timer so a long quiet step still proves the worker alive. */
  heartbeat(): void {
    this.lastBeat = Date.now();
    this.beat({
      phase: this.phase,
      done: { ...this.done },
      ...(this.lastResource ? { lastResource: this.lastResource } : {}),
    });
  }
}

/** The resources a preview says it would change (`same` left out), from its pre-events. */
export function plannedChanges(events: EngineEvent[]): ResourceChange[] {
  return events.flatMap((event) => {
    const meta = event.resourcePreEvent?.metadata;
    if (!meta || meta.op === 'same' || meta.type === 'pulumi:pulumi:Stack' || meta.type.startsWith('pulumi:providers:'))
      return [];
    return [{ urn: meta.urn, type: meta.type, op: meta.op, ...(meta.diffs?.length ? { diffs: meta.diffs } : {}) }];
  });
}
