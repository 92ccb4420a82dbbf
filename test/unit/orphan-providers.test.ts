/** The orphaned-provider sweep stops providers whose engine is gone (parent PID 1), and only those. */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { stopOrphanProviders } from '../../activities/pulumi/orphan-providers';
import { createLogger } from '../../config/logger';

function parentOf(pattern: string): { pid: number; ppid: number } | undefined {
  const line = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.includes(pattern));
  if (!line) return undefined;
  const [pid, ppid] = line.trim().split(/\s+/).map(Number);
  return { pid: pid!, ppid: ppid! };
}

test(
  'an orphaned provider is stopped; a provider whose parent lives is left alone',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  async (t) => {
    const tag = `${process.pid}-${Date.now()}`;
    // Started by a shell that exits at once, so its parent becomes init, as when a worker is killed.
    spawnSync('sh', [
      '-c',
      `bash -c 'exec -a pulumi-resource-pulumi-nodejs-orphan-${tag} sleep 300' >/dev/null 2>&1 &`,
    ]);
    const live = spawn('bash', ['-c', `exec -a pulumi-resource-pulumi-nodejs-live-${tag} sleep 300`], {
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const orphan = parentOf(`orphan-${tag}`);
      assert.ok(orphan, 'the orphan started');
      if (orphan.ppid !== 1) {
        t.skip(`a subreaper (pid ${orphan.ppid}) adopts orphans here, not init`);
        process.kill(orphan.pid, 'SIGKILL');
        return;
      }
      const stopped = await stopOrphanProviders(createLogger('test', 'silent'));
      assert.ok(stopped.includes(orphan.pid), `stopped ${JSON.stringify(stopped)}`);
      assert.ok(!stopped.includes(live.pid!), 'the provider with a live parent is not touched');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(parentOf(`orphan-${tag}`), undefined, 'the orphan is gone');
      assert.ok(parentOf(`live-${tag}`), 'the other one still runs');
    } finally {
      live.kill('SIGKILL');
    }
  },
);
