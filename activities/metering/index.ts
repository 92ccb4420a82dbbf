/** Metering of task attempts in Capstan's database. */
export { AttemptLedger, type AttemptOutcome } from './attempt-ledger';
export { meteringInterceptors, type MeteringOptions } from './metering-interceptor';
export { startLostAttemptSweeper } from './lost-attempt-sweeper';
