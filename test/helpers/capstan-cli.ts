/** The `capstan` command line as a user runs it, against a test stack's API with its admin token. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestStack } from './test-stack';

const CLI = join(__dirname, '..', '..', 'cli', 'capstan.js');

/** What one `capstan` command printed and how it exited. */
export interface CliOutcome {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `capstan <args>` to its end. */
export function runCapstan(stack: TestStack, args: string[]): Promise<CliOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, CAPSTAN_API_URL: stack.baseUrl, CAPSTAN_TOKEN: stack.adminToken },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}
