/**
 * A stand-in for an S3-compatible server, for tests that cannot reach a cloud: path-style PutObject
 * (plain or aws-chunked with a trailing CRC32, as the AWS SDK v3 streams it), GetObject, HeadObject,
 * DeleteObject and ListObjectsV2 on in-memory buckets. Signatures are not verified, only recorded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

/** One object held by the stand-in. */
export interface StandinObject {
  body: Buffer;
  lastModified: Date;
  etag: string;
  /** Base64 CRC32 the uploader sent as a trailer, returned to readers who ask for checksums. */
  crc32?: string;
}

/** What the stand-in saw of one request. */
export interface StandinRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  authorization?: string;
  contentSha256?: string;
}

/** Options of the stand-in. */
export interface S3StandinOptions {
  buckets: string[];
  /** Largest page of a listing, to exercise continuation tokens (default 1000, as S3). */
  listPageSize?: number;
}

/** A running stand-in. */
export interface S3Standin {
  /** `http://127.0.0.1:<port>`, for `endpoint` with path-style addressing. */
  endpoint: string;
  requests: StandinRequest[];
  bucket(name: string): Map<string, StandinObject>;
  /** Stores an object directly, as another uploader would have. */
  putObject(bucket: string, key: string, body: Buffer, lastModified?: Date): void;
  /** Answers the next `count` requests with `status` (503 SlowDown by default), whatever they ask. */
  failNext(count: number, status?: number): void;
  /** Sends GetObject bodies without Content-Length (chunked), as some servers and proxies do. */
  omitContentLength: boolean;
  close(): Promise<void>;
}

/** Starts a stand-in on a free loopback port. */
export async function startS3Standin(options: S3StandinOptions): Promise<S3Standin> {
  const buckets = new Map(options.buckets.map((name) => [name, new Map<string, StandinObject>()]));
  const requests: StandinRequest[] = [];
  let failures = { count: 0, status: 503 };
  const state = { omitContentLength: false };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: header(req, 'authorization'),
        contentSha256: header(req, 'x-amz-content-sha256'),
      });
      if (failures.count > 0) {
        failures.count--;
        return sendError(
          res,
          failures.status,
          failures.status === 503 ? 'SlowDown' : 'InternalError',
          'injected failure',
        );
      }
      try {
        handle(req, Buffer.concat(chunks), res);
      } catch (err) {
        sendError(res, 500, 'InternalError', (err as Error).message);
      }
    });
  });

  function handle(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://standin');
    const [bucketName = '', ...keyParts] = url.pathname.slice(1).split('/');
    const bucket = buckets.get(decodeURIComponent(bucketName));
    if (!bucket) return sendError(res, 404, 'NoSuchBucket', `no bucket ${bucketName}`);
    const key = keyParts.map(decodeURIComponent).join('/');
    if (!key) {
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2')
        return listObjects(res, decodeURIComponent(bucketName), bucket, url.searchParams);
      return sendError(res, 501, 'NotImplemented', `${req.method} on a bucket is not part of the stand-in`);
    }
    const object = bucket.get(key);
    switch (req.method) {
      case 'PUT': {
        const { body, crc32: checksum, error } = decodeBody(req, raw);
        if (error) return sendError(res, 400, error.code, error.message);
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        bucket.set(key, { body, lastModified: new Date(), etag, crc32: checksum });
        res.writeHead(200, { etag, ...(checksum ? { 'x-amz-checksum-crc32': checksum } : {}) });
        return void res.end();
      }
      case 'GET':
      case 'HEAD': {
        if (!object)
          return req.method === 'HEAD'
            ? void res.writeHead(404).end()
            : sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        const headers: Record<string, string> = {
          'content-type': 'application/x-tar',
          etag: object.etag,
          'last-modified': object.lastModified.toUTCString(),
        };
        if (!state.omitContentLength) headers['content-length'] = String(object.body.length);
        if (object.crc32 && header(req, 'x-amz-checksum-mode') === 'ENABLED')
          headers['x-amz-checksum-crc32'] = object.crc32;
        res.writeHead(200, headers);
        return void res.end(req.method === 'GET' ? object.body : undefined);
      }
      case 'DELETE':
        bucket.delete(key);
        return void res.writeHead(204).end();
      default:
        return sendError(res, 501, 'NotImplemented', `${req.method} is not part of the stand-in`);
    }
  }

  function listObjects(
    res: ServerResponse,
    name: string,
    bucket: Map<string, StandinObject>,
    query: URLSearchParams,
  ): void {
    const prefix = query.get('prefix') ?? '';
    const pageSize = Math.min(Number(query.get('max-keys') ?? 1000), options.listPageSize ?? 1000);
    const after = query.has('continuation-token')
      ? Buffer.from(query.get('continuation-token')!, 'base64').toString('utf8')
      : '';
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, pageSize);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = bucket.get(k)!;
        return `<Contents><Key>${xml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated
      ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]!, 'utf8').toString('base64')}</NextContinuationToken>`
      : '';
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(name)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${pageSize}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const standin: S3Standin = {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    bucket: (name) => {
      const bucket = buckets.get(name);
      if (!bucket) throw new Error(`no bucket ${name} in the stand-in`);
      return bucket;
    },
    putObject: (bucket, key, body, lastModified = new Date()) => {
      standin
        .bucket(bucket)
        .set(key, { body, lastModified, etag: `"${createHash('md5').update(body).digest('hex')}"` });
    },
    failNext: (count, status = 503) => {
      failures = { count, status };
    },
    get omitContentLength() {
      return state.omitContentLength;
    },
    set omitContentLength(value: boolean) {
      state.omitContentLength = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return standin;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The object bytes of a PUT: the body itself, or the data of an aws-chunked body with its trailer checked. */
function decodeBody(
  req: IncomingMessage,
  raw: Buffer,
): { body: Buffer; crc32?: string; error?: { code: string; message: string } } {
  const streaming =
    (header(req, 'content-encoding') ?? '').includes('aws-chunked') ||
    (header(req, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');
  if (!streaming) return { body: raw };
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0)
      return { body: raw, error: { code: 'IncompleteBody', message: 'aws-chunked body ends inside a chunk header' } };
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    at = lineEnd + 2;
    if (size === 0) break;
    parts.push(raw.subarray(at, at + size));
    at += size + 2;
  }
  const body = Buffer.concat(parts);
  const trailers = Object.fromEntries(
    raw
      .subarray(at)
      .toString('latin1')
      .split('\r\n')
      .filter(Boolean)
      .map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }),
  );
  const declared = Number(header(req, 'x-amz-decoded-content-length'));
  if (declared !== body.length)
    return { body, error: { code: 'IncompleteBody', message: `decoded ${body.length} bytes, declared ${declared}` } };
  const checksum = trailers['x-amz-checksum-crc32'];
  if (checksum !== undefined) {
    const actual = Buffer.alloc(4);
    actual.writeUInt32BE(crc32(body));
    if (actual.toString('base64') !== checksum)
      return {
        body,
        error: { code: 'BadDigest', message: 'the CRC32 you specified did not match the calculated checksum' },
      };
  }
  return { body, crc32: checksum };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xml(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`,
  );
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
