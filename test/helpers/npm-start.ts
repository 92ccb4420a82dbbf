/** `npm start` (dist/cli/start.js) as tests run it: a child whose terminal output is collected, stopped with Ctrl-C. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const START = join(__dirname, '..', '..', 'cli', 'start.js');

/** A running start command and what it printed so far. */
export interface Started {
  child: ChildProcess;
  apiUrl: string;
  uiUrl: string;
  output: () => string;
}

/** Every start command a test file ran, so a failed test cannot leave one running (and the file never ending). */
const started: ChildProcess[] = [];

/** Runs the start command with `env` and resolves once it says "Capstan is up". */
export async function startCapstan(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [START, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 120_000;
  while (!stderr.includes('Capstan is up')) {
    if (child.exitCode !== null) throw new Error(`start exited early:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      throw new Error(`start did not come up:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const apiUrl = /API:\s+(http:\/\/\S+)/.exec(stderr)?.[1];
  const uiUrl = /Temporal Web UI:\s+(http:\/\/\S+)/.exec(stderr)?.[1];
  assert.ok(apiUrl && uiUrl, `banner names the API and the Web UI:\n${stderr}`);
  return { child, apiUrl, uiUrl, output: () => stderr };
}

/** Sends SIGINT, as Ctrl-C does, and asserts a clean stop. */
export async function stopWithCtrlC(started: Started): Promise<void> {
  if (started.child.exitCode === null) {
    started.child.kill('SIGINT');
    await new Promise((resolve) => started.child.once('exit', resolve));
  }
  assert.equal(started.child.exitCode, 0, started.output());
  assert.match(started.output(), /stopped/);
}

/** Stops every start command still running (Ctrl-C, then SIGKILL after 30 s); for an `after` hook. */
export async function stopAllStarted(): Promise<void> {
  await Promise.all(
    started
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map(async (child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }),
  );
}
