/** The default artifact store: a directory, shared by every worker when they are on several machines. */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  ArtifactMissingError,
  ArtifactTooLargeError,
  assertArtifactKey,
  isValidKey,
  stagingKey,
  type ArtifactStore,
  type StoredArtifact,
} from './artifact-store';

/** Artifacts as files under one directory, each written to a temporary name and renamed into place. */
export class LocalArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async put(key: string, source: string): Promise<number> {
    const target = this.path(key);
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(target), { recursive: true });
      // Same directory as the target, so the rename is atomic: a reader sees the old file or the new one.
      const temp = join(this.root, stagingKey(key, process.pid, randomBytes(4).toString('hex')));
      try {
        await copyFile(source, temp);
        const { size } = await stat(temp);
        await rename(temp, target);
        return size;
      } catch (err) {
        await rm(temp, { force: true });
        // A retention sweep may remove an emptied directory between mkdir and rename; once more finds it made again.
        if (attempt === 1 && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
    }
  }

  async get(key: string, target: string, maxBytes: number): Promise<number> {
    // One open file for the size check and the copy, so a replacement in between cannot slip past the limit.
    const file = await open(this.path(key), 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new ArtifactMissingError(key, this.root) : err;
    });
    try {
      const { size } = await file.stat();
      if (size > maxBytes) throw new ArtifactTooLargeError(key, size, maxBytes);
      await pipeline(file.createReadStream({ autoClose: false }), createWriteStream(target));
      return size;
    } finally {
      await file.close();
    }
  }

  async list(prefix: string): Promise<StoredArtifact[]> {
    // Only the directory the prefix names is walked: a run's listing stays cheap however many runs are kept.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (base) assertArtifactKey(base);
    const found: StoredArtifact[] = [];
    for (const path of await walk(join(this.root, base))) {
      const key = relative(this.root, path).split(sep).join('/');
      if (!key.startsWith(prefix) || !isValidKey(key)) continue;
      const info = await stat(path).catch(() => undefined); // deleted meanwhile by another sweeper
      if (info) found.push({ key, bytes: info.size, modifiedAt: info.mtime });
    }
    return found;
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    await rm(path, { force: true });
    // Emptied job and run directories go too; one still in use refuses (ENOTEMPTY) and stays.
    for (let dir = dirname(path); dir !== this.root && dir.startsWith(this.root); dir = dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        break;
    }
  }

  private path(key: string): string {
    assertArtifactKey(key);
    return join(this.root, key);
  }
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve(e.isFile() ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
}
