/**
 * The payload codec every Capstan client and worker uses: payloads of COMPRESS_FROM_BYTES or more are
 * gzipped (a 50,000-task DAG spec is 4.3 MB as JSON, over gRPC's 4 MB message limit, and 0.6 MB
 * gzipped); smaller ones stay plain JSON, so the Temporal Web UI still shows them as they are.
 * A compressed payload shows there as `binary/gzip` with base64 data.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** The encoding a compressed payload carries; its data is the original payload (metadata and data), gzipped. */
export const GZIP_ENCODING = 'binary/gzip';

/** Payloads this large or larger are compressed: run specs and carried DAG states, not task inputs or results. */
export const COMPRESS_FROM_BYTES = 256 * 1024;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const ProtoPayload = temporal.api.common.v1.Payload;

function encodingOf(payload: Payload): string | undefined {
  const encoding = payload.metadata?.encoding;
  return encoding ? Buffer.from(encoding).toString('utf8') : undefined;
}

/** Gzips large payloads and leaves small ones alone; decodes only what it encoded, so older histories read as before. */
export class GzipPayloadCodec implements PayloadCodec {
  constructor(private readonly fromBytes = COMPRESS_FROM_BYTES) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if ((payload.data?.length ?? 0) < this.fromBytes || encodingOf(payload) === GZIP_ENCODING) return payload;
        const data = await gzipAsync(ProtoPayload.encode(payload).finish(), { level: 6 });
        return { metadata: { encoding: Buffer.from(GZIP_ENCODING) }, data };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if (encodingOf(payload) !== GZIP_ENCODING || !payload.data) return payload;
        const inner = ProtoPayload.decode(await gunzipAsync(payload.data));
        return { metadata: inner.metadata ?? {}, data: inner.data ?? new Uint8Array() };
      }),
    );
  }
}

/** The data converter of every Capstan Temporal client and worker (see GzipPayloadCodec). */
export const capstanDataConverter: DataConverter = { payloadCodecs: [new GzipPayloadCodec()] };
