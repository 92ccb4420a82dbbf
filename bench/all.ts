/**
 * `npm run bench`: every figure of Capstan's speed beside its baseline, one part after another on a quiet machine:
 * a task's overhead over raw Temporal, the API under an open-loop load, the cost queries against raw SQL, and the
 * most tasks a second one machine sustains. `npm run bench:dag` has the DAG figures. Each part runs as its own
 * process (its report on stdout, its progress on stderr); BENCH_PARTS picks some, e.g. `BENCH_PARTS=api,costs`.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';

/** A part of the suite: its name, its script under dist/bench, and what it measures. */
interface Part {
  name: string;
  script: string;
  what: string;
}

const PARTS: Part[] = [
  { name: 'overhead', script: 'task-overhead.js', what: 'one task against raw Temporal; the API at 16 clients; logs' },
  { name: 'api', script: 'api-load.js', what: 'POST /v1/tasks and GET /v1/runs/:id at fixed rates, two databases' },
  { name: 'costs', script: 'cost-api.js', what: 'every GET /v1/costs grouping against its raw SQL' },
  { name: 'ceiling', script: 'ceiling.js', what: 'the most light tasks a second held, and by which process' },
];

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** Runs one part with stderr passed through; resolves with its report and exit code. */
function runPart(part: Part): Promise<{ code: number | null; report: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, part.script)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, report: Buffer.concat(chunks).toString('utf8'), seconds: (performance.now() - t0) / 1000 }),
    );
  });
}

async function main(): Promise<void> {
  const asked = (process.env.BENCH_PARTS ?? PARTS.map((p) => p.name).join(',')).split(',').filter((p) => p !== '');
  const unknown = asked.filter((name) => !PARTS.some((p) => p.name === name));
  if (unknown.length > 0)
    throw new Error(`BENCH_PARTS: ${unknown.join(', ')} unknown; the parts are ${PARTS.map((p) => p.name).join(', ')}`);
  const parts = PARTS.filter((p) => asked.includes(p.name));
  const outcomes: string[] = [];
  process.stdout.write(`# npm run bench: ${parts.map((p) => p.name).join(', ')}; load average at start ${load()}\n\n`);
  for (const part of parts) {
    process.stdout.write(`# part "${part.name}": ${part.what} (load ${load()})\n`);
    const { code, report, seconds } = await runPart(part);
    process.stdout.write(`${report}\n`);
    outcomes.push(`${part.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${seconds.toFixed(0)} s`);
  }
  process.stdout.write(`# parts: ${outcomes.join('; ')}; load average at end ${load()}\n`);
  if (outcomes.some((o) => o.includes('FAILED'))) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
