/** The output store in an S3 bucket: one object per distinct content, written once and never changed. */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { formatOutputRef, outputRefPath, type OutputRef } from '../../workflows/contracts/output-ref';
import {
  contentOf,
  requireOutputRef,
  StoredOutputMissingError,
  type OutputStore,
  type S3Location,
  type StoredOutputStream,
} from './output-store';

/** Objects at `<prefix>/sha256/<first 2 hex>/<64 hex>`, as the directory store names its files; credentials from the SDK's default chain. */
export class S3OutputStore implements OutputStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly s3: S3Location) {
    // The SDK retries throttling, server errors and dropped connections itself: a Buffer body can be resent.
    this.client = new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: s3.endpoint !== undefined });
    this.prefix = s3.prefix ? `${s3.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    this.location = `s3://${s3.bucket}/${this.prefix}`;
  }

  async put(value: string): Promise<string> {
    const data = Buffer.from(value, 'utf8');
    const ref = { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
    // Same key, same content: an object of the right size is already this value (a damaged one is rewritten).
    if ((await this.sizeOf(ref)) !== data.length) {
      // S3 acknowledges a PUT only once the object is stored durably, so the reference may go into history after it.
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.s3.bucket,
          Key: this.key(ref),
          Body: data,
          ContentLength: data.length,
          ContentType: 'application/octet-stream',
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    }
    return formatOutputRef(ref);
  }

  async get(reference: string): Promise<string> {
    const ref = requireOutputRef(reference);
    const response = await this.client
      .send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: this.key(ref) }))
      .catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
        throw new StoredOutputMissingError(`${reference} is not in the output store ${this.location}`);
      });
    const data = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
    return contentOf(reference, ref, data, this.location);
  }

  async open(reference: string): Promise<StoredOutputStream | undefined> {
    const ref = requireOutputRef(reference);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: this.key(ref) }));
      return { size: response.ContentLength ?? -1, body: response.Body as Readable };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async sizeOf(ref: OutputRef): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.s3.bucket, Key: this.key(ref) }));
      return head.ContentLength;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private key(ref: OutputRef): string {
    return this.prefix + outputRefPath(ref);
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}
