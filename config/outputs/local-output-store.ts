/** The output store in a directory: one file per distinct content. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatOutputRef, outputRefPath } from '../../workflows/contracts/output-ref';
import {
  contentOf,
  requireOutputRef,
  StoredOutputMissingError,
  type OutputStore,
  type StoredOutputStream,
} from './output-store';

/** Files at `<dir>/sha256/<first 2 hex>/<64 hex>`; on several machines `dir` must be one shared filesystem. */
export class LocalOutputStore implements OutputStore {
  readonly location: string;

  constructor(readonly dir: string) {
    this.location = dir;
  }

  async put(value: string): Promise<string> {
    const data = Buffer.from(value, 'utf8');
    const ref = { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
    const path = join(this.dir, outputRefPath(ref));
    // Same name, same content: a file of the right size is already this value (a damaged one is rewritten).
    const existing = await stat(path).catch(() => undefined);
    if (existing?.size === data.length) return formatOutputRef(ref);
    await mkdir(dirname(path), { recursive: true });
    // A temporary name in the same directory, so rename is atomic and no reader sees a half-written file.
    const temp = join(dirname(path), `.${ref.sha256}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      // The reference goes into history once the activity returns; the bytes must be on disk by then.
      await handle.datasync();
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    await rename(temp, path);
    await syncDirectory(dirname(path));
    return formatOutputRef(ref);
  }

  async get(reference: string): Promise<string> {
    const ref = requireOutputRef(reference);
    let data: Buffer;
    try {
      data = await readFile(join(this.dir, outputRefPath(ref)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new StoredOutputMissingError(`${reference} is not in the output store ${this.dir}`);
    }
    return contentOf(reference, ref, data, this.location);
  }

  async open(reference: string): Promise<StoredOutputStream | undefined> {
    const ref = requireOutputRef(reference);
    const handle = await open(join(this.dir, outputRefPath(ref)), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!handle) return undefined;
    const { size } = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    return { size, body: handle.createReadStream() };
  }
}

/** Makes a rename in `dir` survive a crash of the machine, not only of the process. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
