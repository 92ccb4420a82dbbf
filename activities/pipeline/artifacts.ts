/** Artifacts of pipeline steps: a workspace path packed as a tar, bounded in size, kept in an artifact store. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  artifactKey,
  ArtifactMissingError,
  ArtifactTooLargeError,
  isArtifactKey,
  runPrefix,
  type ArtifactStore,
} from '../../config/artifacts/artifact-store';
import { safeSegment } from '../../config/run-files';

const run = promisify(execFile);

/** An artifact that is missing, or too large to keep. */
export class ArtifactError extends Error {}

/** Which artifact: names are unique within a run, and the job is the one that uploads it. */
export interface ArtifactRef {
  runId: string;
  jobId: string;
  name: string;
}

/** Packs `path` (file or directory, relative to `workspace`) as artifact `ref` into `store`; returns its size. */
export async function uploadArtifact(
  store: ArtifactStore,
  ref: ArtifactRef,
  workspace: string,
  path: string,
  maxBytes: number,
): Promise<number> {
  const { name } = ref;
  await stat(join(workspace, path)).catch(() => {
    throw new ArtifactError(`upload-artifact "${name}": path "${path}" does not exist in the workspace`);
  });
  const tarFile = stagingFile(workspace, name);
  try {
    // -C keeps paths relative to the workspace, so a download recreates the same layout.
    await run('tar', ['-cf', tarFile, '-C', workspace, path]);
    const { size } = await stat(tarFile);
    if (size > maxBytes) {
      throw new ArtifactError(
        `upload-artifact "${name}": ${size} bytes, over the ${maxBytes}-byte limit (CAPSTAN_MAX_ARTIFACT_BYTES)`,
      );
    }
    return await store.put(artifactKey(ref.runId, ref.jobId, name), tarFile);
  } finally {
    await rm(tarFile, { force: true });
  }
}

/** Which artifact to unpack, and where. */
export interface ArtifactDownload {
  runId: string;
  name: string;
  /** The job's workspace; `dir` is relative to it. */
  workspace: string;
  dir: string;
  maxBytes: number;
}

/** Unpacks artifact `name` of `runId`, whichever job uploaded it, into `dir` inside `workspace`; returns its size. */
export async function downloadArtifact(store: ArtifactStore, download: ArtifactDownload): Promise<number> {
  const { runId, name, workspace, dir, maxBytes } = download;
  const suffix = `/${safeSegment(name)}.tar`;
  // The downloading job does not know the uploader's id; the name alone is unique within the run.
  const found = (await store.list(runPrefix(runId))).filter((a) => isArtifactKey(a.key) && a.key.endsWith(suffix));
  const stored = found.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime())[0];
  if (!stored) throw new ArtifactError(`download-artifact "${name}": no such artifact in run ${runId}`);
  const tooLarge = (bytes: number, atLeast = false): ArtifactError =>
    new ArtifactError(
      `download-artifact "${name}": the stored artifact is ${atLeast ? 'at least ' : ''}${bytes} bytes, over the ${maxBytes}-byte limit (CAPSTAN_MAX_ARTIFACT_BYTES)`,
    );
  if (stored.bytes > maxBytes) throw tooLarge(stored.bytes);
  const tarFile = stagingFile(workspace, name);
  try {
    const size = await store.get(stored.key, tarFile, maxBytes).catch((err: unknown) => {
      if (err instanceof ArtifactTooLargeError) throw tooLarge(err.bytes, err.atLeast);
      if (err instanceof ArtifactMissingError)
        throw new ArtifactError(
          `download-artifact "${name}": artifact ${stored.key} vanished from ${store.location} (retention?)`,
        );
      throw err;
    });
    const target = join(workspace, dir);
    await mkdir(target, { recursive: true });
    await run('tar', ['-xf', tarFile, '-C', target]);
    return size;
  } finally {
    await rm(tarFile, { force: true });
  }
}

/** Beside the workspace, not in it: packing `.` must not pack its own tar file, and workspaces sit on a disk sized for them. */
function stagingFile(workspace: string, name: string): string {
  return join(
    dirname(workspace),
    `.${basename(workspace)}.${safeSegment(name)}.${process.pid}.${randomBytes(4).toString('hex')}.tar`,
  );
}
