/**
 * A real S3-compatible server for the tests: versitygw over a scratch directory, on a free loopback
 * port, with one root key pair, the buckets asked for created through the S3 API itself. The runner
 * passes the cached binary in CAPSTAN_S3_SERVER_BIN (toolchain/s3-server-binary.ts builds it).
 */
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from '../../cli/stop-child';
import { freePort } from './ports';

/** A running server and a client of it. */
export interface S3Server {
  /** `http://<host>:<port>`, for path-style addressing. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  client: S3Client;
  process: ChildProcess;
  /** Every key in `bucket`, sorted. */
  keys(bucket: string): Promise<string[]>;
  /** Stops the server and deletes its files. */
  close(): Promise<void>;
}

/** Starts versitygw with `buckets` created, listening on `host` (loopback by default). */
export async function startS3Server(options: { buckets: string[]; host?: string }): Promise<S3Server> {
  const host = options.host ?? '127.0.0.1';
  const binary = process.env.CAPSTAN_S3_SERVER_BIN;
  if (!binary) throw new Error('CAPSTAN_S3_SERVER_BIN is not set: run the tests with `npm test`');
  const dir = mkdtempSync(join(tmpdir(), 'capstan-s3-'));
  const data = join(dir, 'data');
  const sidecar = join(dir, 'meta');
  mkdirSync(data);
  mkdirSync(sidecar);
  const port = await freePort();
  const accessKeyId = 'CAPSTANTESTACCESSKEY';
  const secretAccessKey = 'capstan-test-secret-key-0123456789';
  // Metadata in a sidecar directory rather than extended attributes, which not every scratch filesystem has.
  const child = spawn(
    binary,
    [
      '--port',
      `${host}:${port}`,
      '--access',
      accessKeyId,
      '--secret',
      secretAccessKey,
      '--quiet',
      'posix',
      '--sidecar',
      sidecar,
      data,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const endpoint = `http://${host}:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  const close = async (): Promise<void> => {
    client.destroy();
    await stopChild(child, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 20_000;
    for (const bucket of options.buckets) {
      for (;;) {
        try {
          await client.send(new CreateBucketCommand({ Bucket: bucket }));
          break;
        } catch (err) {
          if (child.exitCode !== null) throw new Error(`versitygw exited with ${child.exitCode}: ${stderr.trim()}`);
          if (Date.now() > deadline) throw new Error(`versitygw did not answer within 20 s: ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    client,
    process: child,
    keys: async (bucket) => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    close,
  };
}
