/**
 * The content-addressed store of task and step outputs too large for Temporal history: each distinct
 * content once, under its SHA-256. A directory on one machine (or a shared filesystem), or a bucket
 * of an S3-compatible object store that machines sharing no filesystem all reach.
 */
import type { Readable } from 'node:stream';
import { parseOutputRef, type OutputRef } from '../../workflows/contracts/output-ref';

/** A reference whose content the store does not hold (or holds damaged); retrying on this machine cannot help. */
export class StoredOutputMissingError extends Error {}

/** A stored content as a stream, with the size the store holds. */
export interface StoredOutputStream {
  size: number;
  body: Readable;
}

/** Where outputs are kept and read. */
export interface OutputStore {
  /** For messages: the directory or `s3://bucket/prefix/`. */
  readonly location: string;
  /** Stores `value` (once: the same content is the same object) and returns its reference, durable when it returns. */
  put(value: string): Promise<string>;
  /** The content of a reference; throws StoredOutputMissingError when the store lacks it or its size is wrong. */
  get(reference: string): Promise<string>;
  /** The content as a stream (for the API's download), undefined when the store lacks it. */
  open(reference: string): Promise<StoredOutputStream | undefined>;
}

/** An S3 bucket: AWS S3 or an S3-compatible server, addressed path-style when `endpoint` is given. */
export interface S3Location {
  bucket: string;
  region: string;
  endpoint?: string;
  prefix?: string;
}

/** Where the output store is: always a directory, and a bucket that replaces it when configured. */
export interface OutputStoreSettings {
  dir: string;
  s3?: S3Location;
}

/** The parsed reference; a string that is not one is a caller's bug, not a missing output. */
export function requireOutputRef(reference: string): OutputRef {
  const ref = parseOutputRef(reference);
  if (!ref) throw new Error(`"${reference}" is not an output reference`);
  return ref;
}

/** `data` as text when it has the size `ref` names; StoredOutputMissingError naming `location` when cut short or overwritten. */
export function contentOf(reference: string, ref: OutputRef, data: Buffer, location: string): string {
  if (data.length !== ref.bytes)
    throw new StoredOutputMissingError(
      `${reference} is damaged in the output store ${location}: ${data.length} bytes, not ${ref.bytes}`,
    );
  return data.toString('utf8');
}
