/** A pipeline run's artifacts as the configured store holds them: listed, and read into a temporary file to stream. */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArtifactMissingError,
  artifactKey,
  isArtifactKey,
  runPrefix,
  type ArtifactStore,
} from '../../config/artifacts/artifact-store';
import { ApiError } from '../errors';
import type { ApiDeps } from './deps';
import { runSummary } from './run-views';

/** One artifact of a run, as `GET /v1/runs/:id/artifacts` lists it. */
export interface ArtifactView {
  job: string;
  name: string;
  bytes: number;
  modifiedAt: string;
  /** Where the tar downloads. */
  href: string;
}

/** A pipeline run's artifacts, oldest first; 404 for an unknown run, 400 for a run of another kind. */
export async function listArtifacts(deps: ApiDeps, store: ArtifactStore, runId: string): Promise<ArtifactView[]> {
  await requirePipelineRun(deps, runId);
  const prefix = runPrefix(runId);
  const stored = (await store.list(prefix)).filter((a) => isArtifactKey(a.key));
  return stored
    .sort((a, b) => a.modifiedAt.getTime() - b.modifiedAt.getTime())
    .map((a) => {
      // The key is <run>/<job>/<name>.tar; job ids and artifact names are already file-name safe, so they read back as given.
      const [job, file] = a.key.slice(prefix.length).split('/') as [string, string];
      const name = file.slice(0, -'.tar'.length);
      return {
        job,
        name,
        bytes: a.bytes,
        modifiedAt: a.modifiedAt.toISOString(),
        href: `/v1/runs/${encodeURIComponent(runId)}/artifacts/${job}/${name}`,
      };
    });
}

/** A downloaded copy of one artifact in a temporary file; `dispose` removes it once it has been sent. */
export interface ArtifactCopy {
  path: string;
  bytes: number;
  dispose: () => Promise<void>;
}

/** Copies one artifact out of the store (a bucket cannot be streamed twice, a file may be replaced meanwhile). */
export async function copyArtifact(
  deps: ApiDeps,
  store: ArtifactStore,
  at: { runId: string; job: string; name: string },
): Promise<ArtifactCopy> {
  await requirePipelineRun(deps, at.runId);
  const path = join(tmpdir(), `capstan-artifact-${process.pid}-${randomBytes(6).toString('hex')}.tar`);
  const dispose = () => rm(path, { force: true });
  try {
    const bytes = await store.get(artifactKey(at.runId, at.job, at.name), path, Number.MAX_SAFE_INTEGER);
    return { path, bytes, dispose };
  } catch (err) {
    await dispose();
    if (err instanceof ArtifactMissingError)
      throw new ApiError(
        404,
        'artifact_not_found',
        `run "${at.runId}" has no artifact "${at.name}" of job "${at.job}"`,
        [{ field: 'name', message: 'no such artifact in this run and job' }],
      );
    throw err;
  }
}

async function requirePipelineRun(deps: ApiDeps, runId: string): Promise<void> {
  // An unknown run throws WorkflowNotFoundError, which the error mapping turns into 404 run_not_found.
  const run = runSummary(await deps.client.workflow.getHandle(runId).describe());
  if (run.kind !== 'pipeline')
    throw new ApiError(
      400,
      'not_a_pipeline_run',
      `run "${runId}" is a ${run.kind} run; only pipeline runs have artifacts`,
      [{ field: 'id', message: 'must be a pipeline run' }],
    );
}
