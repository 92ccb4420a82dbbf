/** A cache entry's archive: the cached paths of the workspace as one tar, compressed with zstd where the worker has it. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How an archive is compressed; part of an entry's version, so a worker never reads one it cannot unpack. */
export type Compression = 'zstd' | 'gzip';

let compression: Promise<Compression> | undefined;

/** zstd when the worker has it (GitHub's choice: fast both ways), gzip otherwise. */
export function archiveCompression(): Promise<Compression> {
  compression ??= run('zstd', ['--version']).then(
    () => 'zstd' as const,
    () => 'gzip' as const,
  );
  return compression;
}

/** The version of an entry: its paths and compression, as GitHub versions caches. */
export function cacheVersion(paths: readonly string[], how: Compression): string {
  return createHash('sha256')
    .update(JSON.stringify([...paths, how]))
    .digest('hex');
}

function compressFlag(how: Compression): string[] {
  return how === 'zstd' ? ['--use-compress-program', 'zstd -T0'] : ['-z'];
}

/** The paths of `paths` that exist in the workspace. */
export async function existingPaths(workspace: string, paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) if (await stat(join(workspace, path)).catch(() => undefined)) found.push(path);
  return found;
}

/** Packs `paths` of `workspace` into `file`; returns its size. */
export async function packArchive(workspace: string, paths: string[], file: string, how: Compression): Promise<number> {
  // -C keeps paths relative to the workspace, so a restore puts them back where they were.
  await run('tar', [...compressFlag(how), '-cf', file, '-C', workspace, '--', ...paths], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return (await stat(file)).size;
}

/** Unpacks `file` into `workspace`. */
export async function unpackArchive(file: string, workspace: string, how: Compression): Promise<void> {
  await run('tar', [...compressFlag(how), '-xf', file, '-C', workspace], { maxBuffer: 16 * 1024 * 1024 });
}
