/** Where pipeline artifacts are kept: a contract that a local directory and an S3 bucket both fulfil. */
import { safeSegment } from '../run-files';

/** One stored artifact, as a listing shows it. */
export interface StoredArtifact {
  /** `<run>/<job>/<name>.tar`, relative to the store's root or prefix. */
  key: string;
  bytes: number;
  modifiedAt: Date;
}

/** A place that keeps artifact files by key; every implementation writes a key whole or not at all. */
export interface ArtifactStore {
  /** Where the store is, for messages (a directory, or `s3://bucket/prefix`). */
  readonly location: string;
  /** Stores the file at `source` under `key`, replacing what was there; returns its size. */
  put(key: string, source: string): Promise<number>;
  /** Writes the artifact under `key` to `target`; refuses one bigger than `maxBytes` without keeping it; returns its size. */
  get(key: string, target: string, maxBytes: number): Promise<number>;
  /** Every artifact whose key starts with `prefix` (`''` for all). */
  list(prefix: string): Promise<StoredArtifact[]>;
  /** Deletes the artifact under `key`; deleting a missing one is not an error (sweepers on several workers race). */
  delete(key: string): Promise<void>;
}

/** The store has no artifact under the key. */
export class ArtifactMissingError extends Error {
  constructor(
    readonly key: string,
    location: string,
  ) {
    super(`no artifact ${key} in ${location}`);
  }
}

/** A stored artifact is bigger than the reader accepts (`atLeast`: counted while streaming, so possibly bigger still). */
export class ArtifactTooLargeError extends Error {
  constructor(
    readonly key: string,
    readonly bytes: number,
    readonly maxBytes: number,
    readonly atLeast = false,
  ) {
    super(`artifact ${key} is ${atLeast ? 'at least ' : ''}${bytes} bytes, over the ${maxBytes}-byte limit`);
  }
}

/** The key of an artifact: names are unique within a run, and the job says who uploaded it. */
export function artifactKey(runId: string, jobId: string, name: string): string {
  return `${runPrefix(runId)}${keySegment(jobId)}/${keySegment(name)}.tar`;
}

/** The prefix of every artifact one job of a run uploaded. */
export function jobPrefix(runId: string, jobId: string): string {
  return `${runPrefix(runId)}${keySegment(jobId)}/`;
}

/** The prefix of every artifact of one run. */
export function runPrefix(runId: string): string {
  return `${keySegment(runId)}/`;
}

/** A segment that can be neither a path traversal nor empty, whatever the workflow id holds. */
function keySegment(value: string): string {
  const safe = safeSegment(value);
  return /^\.*$/.test(safe) ? safe.replace(/\./g, '_') || '_' : safe;
}

const SEGMENT = '(?!\\.+(?:/|$))[A-Za-z0-9._-]+';
const KEY = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`);
const ARTIFACT_KEY = new RegExp(`^${SEGMENT}/${SEGMENT}/${SEGMENT}\\.tar$`);
const STAGED_KEY = new RegExp(`^${SEGMENT}/${SEGMENT}/${SEGMENT}\\.tar\\.\\d+\\.[0-9a-f]{8}\\.tmp$`);

/** Whether a key is `segment/segment/...` of safe characters, none of them `.` or `..`. */
export function isValidKey(key: string): boolean {
  return KEY.test(key);
}

/** Refuses an invalid key: stores turn keys into paths. */
export function assertArtifactKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`invalid artifact key "${key}"`);
}

/** Whether a key has the shape of an artifact (`<run>/<job>/<name>.tar`). */
export function isArtifactKey(key: string): boolean {
  return ARTIFACT_KEY.test(key);
}

/** A temporary name next to an artifact's, for a copy that is renamed into place once whole. */
export function stagingKey(key: string, pid: number, nonce: string): string {
  return `${key}.${pid}.${nonce}.tmp`;
}

/** What retention may delete: artifacts and copies left half-written by a crash, never other objects sharing a bucket. */
export function isSweepableKey(key: string): boolean {
  return ARTIFACT_KEY.test(key) || STAGED_KEY.test(key);
}
