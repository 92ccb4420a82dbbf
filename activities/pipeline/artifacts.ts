/** The local artifact store: a tar file per run and name, written atomically and bounded in size. */
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { artifactPath } from './deps';

const run = promisify(execFile);

/** An artifact that is missing, or too large to keep. */
export class ArtifactError extends Error {}

/** Packs `path` (file or directory, relative to `workspace`) as artifact `name` of `runId`; returns its size. */
export async function uploadArtifact(artifactDir: string, runId: string, name: string, workspace: string, path: string, maxBytes: number): Promise<number> {
  const source = join(workspace, path);
  await stat(source).catch(() => { throw new ArtifactError(`upload-artifact "${name}": path "${path}" does not exist in the workspace`); });
  const target = artifactPath(artifactDir, runId, name);
  await mkdir(dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  // -C keeps paths relative to the workspace, so a download recreates the same layout.
  await run('tar', ['-cf', temp, '-C', workspace, path]);
  const { size } = await stat(temp);
  if (size > maxBytes) {
    await rm(temp, { force: true });
    throw new ArtifactError(`upload-artifact "${name}": ${size} bytes, over the ${maxBytes}-byte limit (CAPSTAN_MAX_ARTIFACT_BYTES)`);
  }
  await rename(temp, target);
  return size;
}

/** Unpacks artifact `name` of `runId` into `dir` inside `workspace`; returns its size. */
export async function downloadArtifact(artifactDir: string, runId: string, name: string, workspace: string, dir: string): Promise<number> {
  const source = artifactPath(artifactDir, runId, name);
  const { size } = await stat(source).catch(() => { throw new ArtifactError(`download-artifact "${name}": no such artifact in run ${runId}`); });
  const target = join(workspace, dir);
  await mkdir(target, { recursive: true });
  await run('tar', ['-xf', source, '-C', target]);
  return size;
}
