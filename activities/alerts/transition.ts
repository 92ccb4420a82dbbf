/** Pure state changes of one alert: ok → pending → firing → ok, and the notification each change calls for. */
import type { AlertDecision, LockedAlertState } from '../../db/stores/alert-states';
import type { Finding } from './judge';

/**
 * The next state of a subject given what this evaluation found (undefined: no longer observed, which
 * counts as not holding). A condition must hold for `forSeconds` (by the database's clock) before it fires;
 * only ok→firing (directly or after pending) and firing→ok are notified, so a steady state sends nothing.
 */
export function decideAlert(current: LockedAlertState, found: Finding | undefined, forSeconds: number): AlertDecision {
  const value = found?.value ?? null;
  const message = found?.message ?? 'no longer observed';
  const heldFor = (current.now.getTime() - current.since.getTime()) / 1000;
  if (found?.holds) {
    if (current.state === 'firing') return { state: 'firing', changed: false, value, message };
    if (current.state === 'pending' && heldFor < forSeconds)
      return { state: 'pending', changed: false, value, message };
    if (current.state === 'ok' && forSeconds > 0) return { state: 'pending', changed: true, value, message };
    return { state: 'firing', changed: true, event: 'fired', value, message };
  }
  if (current.state === 'firing') return { state: 'ok', changed: true, event: 'resolved', value, message };
  return { state: 'ok', changed: current.state !== 'ok', value, message };
}
