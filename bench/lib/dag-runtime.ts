/** The DAG bench's SDK runtime: WARN and above on stderr (the SDK core's own lines too), with a tally of what was warned. */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

/** Warnings every split worker pair raises by design (a workflow-only or activity-only worker); not news. */
const EXPECTED = [/^No activities registered/, /^No workflows registered/];

/** How often each warning message was logged since start-up, keyed by its text without variable details. */
export const warningTally = new Map<string, number>();

function onLog(entry: LogEntry): void {
  if (EXPECTED.some((re) => re.test(entry.message))) return;
  const key = `${entry.level} ${entry.message
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27,}(:\d+)*/gi, '<run>')
    .replace(/\b\d+\b/g, 'N')
    .slice(0, 120)}`;
  warningTally.set(key, (warningTally.get(key) ?? 0) + 1);
  const meta = entry.meta === undefined ? '' : ` ${JSON.stringify(entry.meta)}`;
  process.stderr.write(`[temporal ${entry.level}] ${entry.message}${meta}\n`);
}

/**
 * Installs the runtime once: SDK-core lines are forwarded to the logger (by default core prints them
 * to stdout, into the middle of the report), and nothing below WARN is kept.
 */
export function installDagRuntime(): void {
  Runtime.install({
    logger: new DefaultLogger('WARN', onLog),
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}
