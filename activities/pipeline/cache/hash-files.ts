/**
 * `hashFiles(pattern, ...)` as GitHub Actions computes it: the files of the workspace matching the globs (a
 * pattern starting with `!` excludes), each hashed with SHA-256, and the hashes hashed in path order; '' when
 * no file matches. Globs: `*` and `?` within a path segment, `**` across segments, `[abc]` a class.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Most files one hashFiles() call reads, so a pattern like `**` over a huge tree fails clearly instead of running on. */
const MAX_FILES = 100_000;

/** A pattern that cannot match anything inside the workspace. */
export class HashFilesError extends Error {}

/** The hashFiles() value of `patterns` over `workspace`. */
export async function hashFiles(workspace: string, patterns: readonly string[]): Promise<string> {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = normalise(negated ? raw.slice(1) : raw);
    (negated ? exclude : include).push(globRegExp(pattern));
  }
  if (include.length === 0) return '';
  const candidates = new Set<string>();
  for (const raw of patterns) {
    if (raw.startsWith('!')) continue;
    for (const path of await candidatesOf(workspace, normalise(raw))) candidates.add(path);
  }
  const files = [...candidates]
    .filter((path) => include.some((re) => re.test(path)) && !exclude.some((re) => re.test(path)))
    .sort();
  if (files.length === 0) return '';
  const total = createHash('sha256');
  for (const file of files) {
    const one = createHash('sha256');
    await pipeline(createReadStream(join(workspace, file)), one);
    total.update(one.digest());
  }
  return total.digest('hex');
}

/** The files a pattern may match: the file it names when it has no glob, else every file under its literal directory. */
async function candidatesOf(workspace: string, pattern: string): Promise<string[]> {
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex((s) => /[*?[]/.test(s));
  if (firstGlob < 0) {
    const info = await stat(join(workspace, pattern)).catch(() => undefined);
    if (info?.isFile()) return [pattern];
    // A directory named literally stands for the files under it, as GitHub's globber reads it.
    return info?.isDirectory() ? walk(workspace, pattern) : [];
  }
  return walk(workspace, segments.slice(0, firstGlob).join('/'));
}

/** A pattern relative to the workspace in `/` form; one that leaves it is refused. */
function normalise(pattern: string): string {
  const trimmed = pattern.trim().replace(/^\.\//, '');
  if (trimmed === '' || trimmed.startsWith('/') || trimmed.split('/').includes('..'))
    throw new HashFilesError(`hashFiles('${pattern}'): patterns are relative to the workspace, without ".."`);
  return posix.normalize(trimmed);
}

/** The RegExp of a glob over `/`-separated relative paths; a glob matching a directory matches every path below it. */
export function globRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      source += slashAfter ? '(?:[^/]*/)*' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) source += '\\[';
      else {
        const body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else source += /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${source}(?:/.*)?$`, 's');
}

/** Every regular file under `dir`, as paths relative to the root; symbolic links are not followed. */
async function walk(root: string, dir: string, found: string[] = []): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) await walk(root, path, found);
    else if (entry.isFile()) found.push(path);
    if (found.length > MAX_FILES)
      throw new HashFilesError(`hashFiles(): more than ${MAX_FILES} files in the workspace; narrow the pattern`);
  }
  return found;
}
