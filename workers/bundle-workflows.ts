/**
 * Bundles Capstan's workflows and writes the code to stdout. The orchestrator runs this as a child
 * process, so webpack's memory (over 100 MB that V8 keeps once used) is returned when it exits
 * instead of staying in the long-lived worker. The inline source map keeps its mappings (stack
 * traces still name the TypeScript file and line) but not the sources' text, which the worker would
 * otherwise hold twice (~34 MB of RSS); only `showStackTraceSources`, which Capstan does not set, reads it.
 */
import { execFile } from 'node:child_process';
import { bundleWorkflowCode } from '@temporalio/worker';

const MAP_COMMENT = '//# sourceMappingURL=data:';

/** `code` with its inline source map's `sourcesContent` dropped (the SDK requires the map, not the sources). */
export function withoutSourcesContent(code: string): string {
  const at = code.lastIndexOf(MAP_COMMENT);
  const data = code.indexOf('base64,', at);
  if (at < 0 || data < 0) return code;
  const head = code.slice(0, data + 'base64,'.length);
  const map = JSON.parse(Buffer.from(code.slice(head.length).trimEnd(), 'base64').toString('utf8')) as {
    sourcesContent?: unknown;
  };
  delete map.sourcesContent;
  return `${head}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

/** Bundles the workflows in a short-lived child process and returns the bundle's code. */
export function bundleWorkflowsInChild(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [__filename],
      { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`bundling the workflows failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

if (require.main === module) {
  // Webpack's progress and warnings go to stderr; stdout carries the code alone.
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined };
  bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: {
      ...quiet,
      warn: (m: string) => process.stderr.write(`${m}\n`),
      error: (m: string) => process.stderr.write(`${m}\n`),
    },
  }).then(
    ({ code }) => process.stdout.write(withoutSourcesContent(code)),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
