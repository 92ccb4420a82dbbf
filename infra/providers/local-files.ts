/**
 * Local directories and files as Pulumi dynamic resources. Reads report what is on disk, so a
 * file edited or removed by hand shows up as drift on refresh.
 */
import * as pulumi from '@pulumi/pulumi';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The Pulumi type tokens of these resources (the dynamic Resource constructor adds the `dynamic/` module prefix). */
export const LOCAL_FILE_TYPES = {
  directory: 'pulumi-nodejs:dynamic/local:Directory',
  file: 'pulumi-nodejs:dynamic/local:File',
} as const;

interface DirectoryState {
  path: string;
  /** Octal permission bits such as `755`. */
  mode: string;
}

interface FileState {
  path: string;
  content: string;
  mode: string;
}

function modeBits(mode: string): number {
  return parseInt(mode, 8);
}

function modeText(bits: number): string {
  return (bits & 0o7777).toString(8).padStart(3, '0');
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function diffKeys<T extends object>(olds: T, news: T, keys: ReadonlyArray<keyof T>, replaceOn: keyof T) {
  const changed = keys.filter((key) => olds[key] !== news[key]);
  return { changes: changed.length > 0, replaces: changed.includes(replaceOn) ? [String(replaceOn)] : [] };
}

/** Writes beside the target and renames, so a reader never sees half a file. */
async function writeAtomically(path: string, content: string, mode: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(temp, content, { mode: modeBits(mode) });
  // The umask may have narrowed the mode at creation; chmod sets exactly what was asked.
  await chmod(temp, modeBits(mode));
  await rename(temp, path);
}

const directoryProvider: pulumi.dynamic.ResourceProvider<DirectoryState, DirectoryState> = {
  async create(inputs) {
    await mkdir(dirname(inputs.path), { recursive: true });
    // Not recursive for the directory itself: an existing directory is someone else's, and delete would remove it.
    await mkdir(inputs.path, { mode: modeBits(inputs.mode) });
    await chmod(inputs.path, modeBits(inputs.mode));
    return { id: inputs.path, outs: { path: inputs.path, mode: inputs.mode } };
  },
  async diff(_id, olds, news) {
    return diffKeys(olds, news, ['path', 'mode'], 'path');
  },
  async update(_id, _olds, news) {
    await chmod(news.path, modeBits(news.mode));
    return { outs: { path: news.path, mode: news.mode } };
  },
  async read(id) {
    const found = await statOrNull(id);
    // No id in the answer tells Pulumi the resource is gone.
    if (!found?.isDirectory()) return {};
    return { id, props: { path: id, mode: modeText(found.mode) } };
  },
  async delete(id) {
    // The directory is Capstan's, files left in it by processes (logs, caches) included.
    await rm(id, { recursive: true, force: true });
  },
};

const fileProvider: pulumi.dynamic.ResourceProvider<FileState, FileState> = {
  async create(inputs) {
    if (await statOrNull(inputs.path))
      throw new Error(`${inputs.path} already exists; Capstan creates only files it will own`);
    await writeAtomically(inputs.path, inputs.content, inputs.mode);
    return { id: inputs.path, outs: { path: inputs.path, content: inputs.content, mode: inputs.mode } };
  },
  async diff(_id, olds, news) {
    return diffKeys(olds, news, ['path', 'content', 'mode'], 'path');
  },
  async update(_id, olds, news) {
    if (olds.content !== news.content) await writeAtomically(news.path, news.content, news.mode);
    else await chmod(news.path, modeBits(news.mode));
    return { outs: { path: news.path, content: news.content, mode: news.mode } };
  },
  async read(id) {
    const found = await statOrNull(id);
    if (!found?.isFile()) return {};
    return { id, props: { path: id, content: await readFile(id, 'utf8'), mode: modeText(found.mode) } };
  },
  async delete(id) {
    await rm(id, { force: true });
  },
};

/** Inputs of a directory. */
export interface DirectoryArgs {
  /** Absolute path; parents are created as needed, the directory itself must not exist yet. */
  path: pulumi.Input<string>;
  /** Octal permission bits, `755` by default. */
  mode?: pulumi.Input<string>;
}

/** A local directory; a new path replaces it, a new mode is set in place, delete removes it with its contents. */
export class Directory extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  declare readonly mode: pulumi.Output<string>;

  constructor(name: string, args: DirectoryArgs, opts?: pulumi.CustomResourceOptions) {
    super(directoryProvider, name, { path: args.path, mode: args.mode ?? '755' }, opts, 'local', 'Directory');
  }
}

/** Inputs of a file. */
export interface FileArgs {
  /** Absolute path of a file that must not exist yet. */
  path: pulumi.Input<string>;
  /** UTF-8 text. */
  content: pulumi.Input<string>;
  /** Octal permission bits, `644` by default. */
  mode?: pulumi.Input<string>;
}

/** A local text file; new content or mode is written in place, a new path replaces it. */
export class File extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  declare readonly content: pulumi.Output<string>;
  declare readonly mode: pulumi.Output<string>;

  constructor(name: string, args: FileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      fileProvider,
      name,
      { path: args.path, content: args.content, mode: args.mode ?? '644' },
      opts,
      'local',
      'File',
    );
  }
}
