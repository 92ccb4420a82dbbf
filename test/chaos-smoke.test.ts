/**
 * A short run of `npm run chaos` on `npm start`'s stack, so its code does not rot: under a mixed
 * load the killer kills -9 parts of the stack a few times, and the run must end with nothing lost,
 * every attempt metered once and no process orphaned. The real runs last 10 minutes (docs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChaos } from '../chaos/run';

test(
  'a short chaos run on the npm start stack loses no run, meters every attempt once, orphans nothing',
  {
    timeout: 420_000,
  },
  async () => {
    const lines: string[] = [];
    const result = await runChaos(
      {
        profile: 'start',
        minutes: 0.75,
        startEverySeconds: 2,
        killEverySeconds: 8,
        settleMinutes: 3,
        // A seed whose draws kill at least two parts within the 45 s.
        seed: 17,
        keep: false,
      },
      (line) => lines.push(line),
    );
    const summary = lines.join('\n');
    assert.ok(result.kills >= 2, `the killer killed ${result.kills} processes:\n${summary}`);
    assert.match(summary, /runs started: [1-9]/, summary);
    assert.equal(result.passed, true, summary);
  },
);
