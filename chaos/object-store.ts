/** versitygw over a directory of the chaos run, on a fixed port, so a killed server comes back with its objects. */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild } from '../cli/stop-child';

/** The object store under the chaos run. */
export interface ChaosObjectStore {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  process(): ChildProcess | undefined;
  /** Starts the server (again) and resolves once it answers. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts versitygw with `buckets` created. */
export async function startChaosObjectStore(
  binary: string,
  dir: string,
  port: number,
  buckets: string[],
  logFile: string,
): Promise<ChaosObjectStore> {
  const data = join(dir, 'data');
  const sidecar = join(dir, 'meta');
  mkdirSync(data, { recursive: true });
  mkdirSync(sidecar, { recursive: true });
  const accessKeyId = 'CAPSTANCHAOSACCESSKEY';
  const secretAccessKey = 'capstan-chaos-secret-key-0123456789';
  const endpoint = `http://127.0.0.1:${port}`;
  const log = createWriteStream(logFile, { flags: 'a' });
  let child: ChildProcess | undefined;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  const store: ChaosObjectStore = {
    endpoint,
    accessKeyId,
    secretAccessKey,
    process: () => child,
    start: async () => {
      child = spawn(
        binary,
        [
          '--port',
          `127.0.0.1:${port}`,
          '--access',
          accessKeyId,
          '--secret',
          secretAccessKey,
          '--quiet',
          'posix',
        ].concat(['--sidecar', sidecar, data]),
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      const deadline = Date.now() + 30_000;
      for (const bucket of buckets) {
        for (;;) {
          try {
            await client.send(new CreateBucketCommand({ Bucket: bucket }));
            break;
          } catch (err) {
            const name = (err as Error).name;
            if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') break;
            if (child.exitCode !== null) throw new Error(`versitygw exited with ${child.exitCode} (see ${logFile})`);
            if (Date.now() > deadline)
              throw new Error(`versitygw did not answer within 30 s: ${(err as Error).message}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      }
    },
    stop: async () => {
      client.destroy();
      if (child) await stopChild(child, 5000);
      log.end();
    },
  };
  await store.start();
  return store;
}
