/** Closes metering rows of attempts whose worker died and that no later attempt closed (the task's last try, or a run that ended). */
import type { Logger } from '../../config/logger';
import type { AttemptLedger } from '../../db/stores/attempt-ledger';

/** Every `intervalMs`, closes as lost the attempts nobody refreshed for `lostAfterMs`; returns the function that stops it. */
export function startLostAttemptSweeper(
  ledger: AttemptLedger,
  options: { intervalMs: number; lostAfterMs: number; logger: Logger },
): () => void {
  const sweep = (): void => {
    ledger.closeLost(new Date(Date.now() - options.lostAfterMs)).then(
      (closed) => {
        if (closed > 0) options.logger.warn({ closed }, 'metering: closed attempts of dead workers as lost');
      },
      (err: Error) => options.logger.warn({ err: err.message }, 'metering sweep failed; will try again'),
    );
  };
  const timer = setInterval(sweep, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
