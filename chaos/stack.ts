/** What the chaos run needs from a stack, whichever profile started it. */

/** The kinds of process the killer aims at. */
export type Target = 'temporal' | 'postgres' | 'object-store' | 'api' | 'orchestrator' | 'worker';

/** Every target, in the order the report lists them. */
export const TARGETS: Target[] = ['temporal', 'postgres', 'object-store', 'api', 'orchestrator', 'worker'];

/** One process the killer may kill -9, and how it comes back. */
export interface Killable {
  /** Names it in progress lines (`worker a`, `api 2`). */
  name: string;
  target: Target;
  /** Its process id now; undefined while it is down. */
  pid(): number | undefined;
  /** After a kill: brings it back (or waits for its supervisor to) and resolves once it serves again. */
  recover(): Promise<void>;
}

/** A running stack under chaos. */
export interface ChaosStack {
  profile: 'cluster' | 'start';
  /** API base URLs; the load alternates between them. */
  apiUrls: string[];
  adminToken: string;
  temporalAddress: string;
  /** Capstan's database (for the metering rows). */
  databaseUrl: string;
  /** The environment variable every Capstan process of this stack (and every task it runs) inherits. */
  marker: { name: string; value: string };
  /** Where outputs, logs and artifacts go, in words for the report. */
  storage: string;
  killables: Killable[];
  /** Stops every process of the stack, workers first; resolves once they have exited. */
  stop(): Promise<void>;
  /** Where the processes' logs are. */
  logDir: string;
}
