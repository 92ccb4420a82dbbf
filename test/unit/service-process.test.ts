/**
 * A service outlives the activity that started it, so its process group must not outlive its worker: a
 * worker process SIGKILLed (no cleanup runs) leaves a watchdog that kills the service's whole group; a
 * normal stop kills the group too, a service that ignores SIGTERM included.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ServiceProcess } from '../../activities/pipeline/services/service-process';
import { stepLogOn } from '../../activities/pipeline/step-log';

const dir = mkdtempSync(join(tmpdir(), 'capstan-service-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Whether the process group is gone within `ms`. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    try {
      process.kill(-pgid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test('a stop kills the whole group, after the grace period for a service that ignores SIGTERM', async () => {
  const script = join(dir, 'stubborn.sh');
  // A child in the background that ignores SIGTERM: only the group's SIGKILL ends it.
  writeFileSync(script, `(trap '' TERM; sleep 300) &\necho started\nwait\n`);
  const service = new ServiceProcess({
    name: 's',
    script,
    cwd: dir,
    env: process.env,
    log: stepLogOn(undefined),
    killGraceMs: 500,
  });
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(service.running);
  assert.match(service.lastLines(), /started/);
  await service.stop();
  assert.equal(await groupGone(service.pid!, 3000), true);
});

test('the service group dies with its worker, even when the worker is SIGKILLed', async () => {
  const script = join(dir, 'forever.sh');
  writeFileSync(script, 'sleep 300\n');
  const module = join(__dirname, '..', '..', 'activities', 'pipeline', 'services', 'service-process.js');
  const stepLog = join(__dirname, '..', '..', 'activities', 'pipeline', 'step-log.js');
  // A stand-in worker: starts the service, prints its group, then waits to be killed.
  const worker = spawn(
    process.execPath,
    [
      '-e',
      `const { ServiceProcess } = require(${JSON.stringify(module)});
       const { stepLogOn } = require(${JSON.stringify(stepLog)});
       const s = new ServiceProcess({ name: 'w', script: ${JSON.stringify(script)}, cwd: ${JSON.stringify(dir)},
         env: process.env, log: stepLogOn(undefined), killGraceMs: 1000 });
       console.log(s.pid); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pgid = await new Promise<number>((resolve) =>
    worker.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
  );
  assert.ok(pgid > 0);
  await new Promise((r) => setTimeout(r, 500));
  assert.doesNotThrow(() => process.kill(-pgid, 0), 'the service runs while its worker lives');
  worker.kill('SIGKILL');
  assert.equal(await groupGone(pgid, 10_000), true, 'the watchdog killed the group once the worker was gone');
});
