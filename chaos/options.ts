/** The command line of `npm run chaos`. */

/** What one chaos run does. */
export interface ChaosOptions {
  profile: 'cluster' | 'start';
  /** Minutes of load and kills. */
  minutes: number;
  /** Mean seconds between starts of the load. */
  startEverySeconds: number;
  /** Mean seconds between one recovery and the next kill. */
  killEverySeconds: number;
  /** How long started runs may take to end once the load and the kills stopped. */
  settleMinutes: number;
  seed: number;
  /** Keep the stack's directory (logs, data) even when the run passes. */
  keep: boolean;
}

const USAGE =
  'usage: npm run chaos -- [--profile cluster|start] [--minutes 10] [--start-every 2.5] [--kill-every 20] [--settle-minutes 5] [--seed N] [--keep]';

const VALUED = ['--profile', '--minutes', '--start-every', '--kill-every', '--settle-minutes', '--seed'];

/** Parses `argv` (after the script name); throws a message naming the bad option. */
export function parseChaosOptions(argv: string[]): ChaosOptions {
  const options: ChaosOptions = {
    profile: 'cluster',
    minutes: 10,
    startEverySeconds: 2.5,
    killEverySeconds: 20,
    settleMinutes: 5,
    seed: Date.now() % 1_000_000,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--keep') {
      options.keep = true;
      continue;
    }
    if (!VALUED.includes(arg)) throw new Error(`unknown option ${arg}\n${USAGE}`);
    const value = argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    const number = (min: number): number => {
      const n = Number(value);
      if (!Number.isFinite(n) || n < min)
        throw new Error(`${arg}: expected a number ≥ ${min}, got "${value}"\n${USAGE}`);
      return n;
    };
    if (arg === '--profile') {
      if (value !== 'cluster' && value !== 'start')
        throw new Error(`--profile: expected cluster or start, got "${value}"\n${USAGE}`);
      options.profile = value;
    } else if (arg === '--minutes') options.minutes = number(0.1);
    else if (arg === '--start-every') options.startEverySeconds = number(0.05);
    else if (arg === '--kill-every') options.killEverySeconds = number(1);
    else if (arg === '--settle-minutes') options.settleMinutes = number(0.5);
    else if (arg === '--seed') options.seed = number(0);
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return options;
}

/** A small seeded generator (mulberry32), so a run's choices can be replayed with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
