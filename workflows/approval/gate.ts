/**
 * The one approval gate of deploy jobs and stack `up`s: who may decide (checked by the Update's
 * validator, so a refused decision writes no history), the record a decision leaves, and the wait
 * for it with a timeout that holds no worker.
 */
import { condition } from '@temporalio/workflow';
import type { ApprovalDecision, ApprovalRecord, ApprovalRule } from '../contracts/approval';

/** What a gate guards, in the words of the validator's refusals. */
export interface GateSubject {
  /** Names the gate after "may not approve", e.g. `"deploy"` or `the up of shop/db`. */
  name: string;
  /** Why the requester is the requester, e.g. `triggered this run`. */
  requesterDid: string;
  /** Names what the requester may not approve, e.g. `its deploy to production` or `it`. */
  requesterName: string;
}

/** What holds a gate's record: a pipeline job's or a stack operation's state. */
export interface GateHolder {
  approval?: ApprovalRecord;
}

/**
 * Throws when `decision` may not be taken: the gate was decided already, or `decision.by` may not
 * decide under `rule`. An Update validator calls it, so a refused decision writes no history.
 */
export function checkDecision(
  rule: ApprovalRule,
  holder: GateHolder,
  decision: ApprovalDecision,
  subject: GateSubject,
): void {
  const decided = holder.approval;
  if (decided && decided.state !== 'waiting') {
    throw new Error(`${subject.name} was ${decided.state}${decided.by ? ` by ${decided.by}` : ''} already`);
  }
  if (rule.approvers.length > 0 && !rule.approvers.includes(decision.by)) {
    throw new Error(`${decision.by} may not approve ${subject.name}; approvers: ${rule.approvers.join(', ')}`);
  }
  if (!rule.requesterMayDecide && decision.by === rule.requester) {
    throw new Error(`${decision.by} ${subject.requesterDid} and may not approve ${subject.requesterName}`);
  }
}

/** The record a decision leaves, stamped now. */
export function decisionRecord(decision: ApprovalDecision): ApprovalRecord {
  const state = decision.approve ? 'approved' : 'rejected';
  return { state, by: decision.by, at: new Date().toISOString(), comment: decision.comment };
}

/**
 * Opens the gate on `holder` and waits for a decision (set by the Update handler) or the timeout;
 * returns undefined when approved, or why not. Waiting is a condition with a timer: no worker is held.
 */
export async function awaitApproval(holder: GateHolder, timeoutSeconds: number): Promise<string | undefined> {
  holder.approval = { state: 'waiting' };
  const decided = await condition(() => holder.approval?.state !== 'waiting', `${timeoutSeconds}s`);
  if (!decided) holder.approval = { state: 'timed-out', at: new Date().toISOString() };
  const record = holder.approval;
  if (record.state === 'approved') return undefined;
  return record.state === 'rejected' ? `rejected by ${record.by}` : `no approval within ${timeoutSeconds}s`;
}
