/**
 * The killer: at random moments it picks a kind of target (Temporal, PostgreSQL, the object store,
 * an API, the orchestrator, a worker) and one process of that kind, at random but evenly, kills it with SIGKILL,
 * and brings it back (or waits for its supervisor to). One target at a time, so every kill is
 * followed by its recovery before the next; the pause between kills is random.
 */
import { kill9 } from './processes';
import type { Killable, Target } from './stack';

/** Settings of the killer. */
export interface KillerOptions {
  killables: Killable[];
  /** Mean seconds between one recovery and the next kill. */
  meanGapSeconds: number;
  random: () => number;
  say: (line: string) => void;
}

/** What the killer did. */
export interface KillCounts {
  kills: Record<string, number>;
  /** Recoveries that failed (the process did not come back serving), with why. */
  failedRecoveries: string[];
}

/** Kills and restarts until stopped. */
export class Killer {
  readonly counts: KillCounts = { kills: {}, failedRecoveries: [] };
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly options: KillerOptions) {}

  /** Starts killing. */
  begin(): void {
    this.loop = this.run();
  }

  /** Stops after the current recovery; resolves once every killed process is back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** Kills per target kind so far. */
  byTarget(): Record<Target, number> {
    const out = {} as Record<Target, number>;
    for (const k of this.options.killables) out[k.target] = (out[k.target] ?? 0) + (this.counts.kills[k.name] ?? 0);
    return out;
  }

  private readonly bags = new Map<string, unknown[]>();

  /**
   * Draws from `items` at random without putting back until each was drawn once (then refills):
   * still random, but every kind of target, and every process of a kind, is hit about as often.
   */
  private draw<T>(bag: string, items: T[]): T {
    let left = this.bags.get(bag) as T[] | undefined;
    if (!left || left.length === 0) {
      left = [...items];
      this.bags.set(bag, left);
    }
    const [item] = left.splice(Math.floor(this.options.random() * left.length), 1);
    return item!;
  }

  private async run(): Promise<void> {
    const { killables, random, say } = this.options;
    const kinds = [...new Set(killables.map((k) => k.target))];
    while (!this.stopped) {
      const gap = this.options.meanGapSeconds * 1000 * (0.4 + 1.2 * random());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, gap);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.stopped) return;
      const kind = this.draw('kinds', kinds);
      const victim = this.draw(
        kind,
        killables.filter((k) => k.target === kind),
      );
      const pid = victim.pid();
      if (pid === undefined) {
        say(`killer: ${victim.name} has no process now; skipped`);
        continue;
      }
      kill9(pid);
      this.counts.kills[victim.name] = (this.counts.kills[victim.name] ?? 0) + 1;
      const started = Date.now();
      // Down for a moment, as a crashed host is, before its process manager brings it back.
      await new Promise((r) => setTimeout(r, 1000 + random() * 4000));
      try {
        await victim.recover();
        say(`killer: kill -9 ${victim.name} (pid ${pid}); back in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        const why = `${victim.name}: ${(err as Error).message.slice(0, 300)}`;
        this.counts.failedRecoveries.push(why);
        say(`killer: kill -9 ${victim.name} (pid ${pid}); did not come back: ${why}`);
      }
    }
  }
}
