/** Metering of task attempts: the interceptor that writes each attempt to the ledger, and the sweeper of lost ones. */
export { meteringInterceptors, type MeteringOptions } from './metering-interceptor';
export { startLostAttemptSweeper } from './lost-attempt-sweeper';
export { attemptsInFlight } from './in-flight';
