/** A run's or node's status as a coloured word: colour helps, the word carries the meaning. */
export function Status({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{status.replace(/_/g, ' ')}</span>;
}
