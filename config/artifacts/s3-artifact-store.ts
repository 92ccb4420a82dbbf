/** The S3 artifact store: AWS S3 or an S3-compatible server (MinIO, Ceph, …), through the AWS SDK v3 client. */
import {
  GetObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  DeleteObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ArtifactMissingError,
  ArtifactTooLargeError,
  assertArtifactKey,
  isValidKey,
  type ArtifactStore,
  type StoredArtifact,
} from './artifact-store';

/** Where the bucket is; credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, an instance role, …). */
export interface S3ArtifactStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server's URL; addressed path-style, since such servers rarely have per-bucket host names. */
  endpoint?: string;
  /** Key prefix inside the bucket, so the store can share a bucket. */
  prefix?: string;
  /** Tries of one upload or download (default 3). */
  attempts?: number;
  /** Pause before the second try, doubled for each further one (default 1000). */
  retryDelayMs?: number;
}

/** Artifacts as objects of one bucket, streamed from and to files so memory stays flat at any size. */
export class S3ArtifactStore implements ArtifactStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3ArtifactStoreOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.endpoint !== undefined,
      logger: sdkLogger,
    });
    this.prefix = options.prefix ? `${options.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    this.location = `s3://${options.bucket}/${this.prefix}`;
  }

  async put(key: string, source: string): Promise<number> {
    const Key = this.objectKey(key);
    // The SDK does not retry a request whose body is a stream it cannot rewind, so each try opens the file afresh.
    return this.retrying(async () => {
      const { size } = await stat(source);
      const Body = createReadStream(source);
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key,
            Body,
            ContentLength: size,
            ContentType: 'application/x-tar',
          }),
        );
      } finally {
        Body.destroy();
      }
      return size;
    });
  }

  async get(key: string, target: string, maxBytes: number): Promise<number> {
    const Key = this.objectKey(key);
    return this.retrying(async () => {
      const response = await this.client
        .send(new GetObjectCommand({ Bucket: this.options.bucket, Key }))
        .catch((err: unknown) => {
          throw statusOf(err) === 404 ? new ArtifactMissingError(key, this.location) : err;
        });
      const body = response.Body as Readable;
      if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
        body.destroy();
        throw new ArtifactTooLargeError(key, response.ContentLength, maxBytes);
      }
      // A server that sends no length (chunked) is still held to the limit, counted as the bytes arrive.
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(bytes > maxBytes ? new ArtifactTooLargeError(key, bytes, maxBytes, true) : null, chunk);
        },
      });
      await pipeline(body, limit, createWriteStream(target));
      return bytes;
    });
  }

  async list(prefix: string): Promise<StoredArtifact[]> {
    const found: StoredArtifact[] = [];
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.options.bucket, Prefix: this.prefix + prefix },
    )) {
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length);
        // Other objects in a shared bucket are not artifacts; an undated one is treated as new, never as expired.
        if (key && isValidKey(key))
          found.push({ key, bytes: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date() });
      }
    }
    return found;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
  }

  private objectKey(key: string): string {
    assertArtifactKey(key);
    return this.prefix + key;
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    const attempts = this.options.attempts ?? 3;
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (n >= attempts || !isTransient(err)) throw err;
        await sleep((this.options.retryDelayMs ?? 1000) * 2 ** (n - 1));
      }
    }
  }
}

/** The SDK's warnings on stderr, but not its note that a stream upload is not retried: this store retries it. */
const sdkLogger = {
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (...content: unknown[]): void => {
    if (!String(content[0]).includes('non-retryable streaming request')) console.warn(...content);
  },
  error: (...content: unknown[]): void => console.error(...content),
};

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Server errors, throttling and dropped connections may pass; a refusal (403, 404, a size over the limit) will not. */
function isTransient(err: unknown): boolean {
  if (err instanceof ArtifactMissingError || err instanceof ArtifactTooLargeError) return false;
  const status = statusOf(err);
  return status === undefined || status >= 500 || status === 408 || status === 429;
}
