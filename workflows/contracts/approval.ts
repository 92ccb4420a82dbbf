/** The approval gate's shapes, shared by the pipeline and stack workflows, their states and the API. */

/** Where a gate stands; recorded in run states and workflow results, so its shape stays as it is. */
export interface ApprovalRecord {
  state: 'waiting' | 'approved' | 'rejected' | 'timed-out';
  by?: string;
  at?: string;
  comment?: string;
}

/** An approver's decision, as the API sends it in an approval Update. */
export interface ApprovalDecision {
  approve: boolean;
  /** The principal deciding (from the API token). */
  by: string;
  comment?: string;
}

/** Who may decide at a gate. */
export interface ApprovalRule {
  /** Principals allowed to decide; empty means any operator. */
  approvers: string[];
  /** The principal who caused what waits (a run's triggerer, an operation's requester). */
  requester: string;
  /** Whether `requester` may decide too. */
  requesterMayDecide: boolean;
}
