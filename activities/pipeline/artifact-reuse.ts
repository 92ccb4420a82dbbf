/** Re-runs of pipeline runs: the artifacts of the jobs a re-run reuses are copied into the new run. */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactKey, isArtifactKey, jobPrefix, type ArtifactStore } from '../../config/artifacts/artifact-store';

/** Which run's artifacts to carry over into which, for which of its jobs. */
export interface ArtifactReuse {
  fromRunId: string;
  toRunId: string;
  jobIds: string[];
}

/**
 * Copies every artifact the `jobIds` uploaded in `fromRunId` to the same job and name in `toRunId`;
 * returns how many. A copy, not a reference: the new run's artifacts then outlive the old run's
 * retention and list, download and sweep like any others. Copying again replaces, so a retried
 * activity is harmless.
 */
export async function copyReusedArtifacts(store: ArtifactStore, reuse: ArtifactReuse): Promise<number> {
  let copied = 0;
  for (const jobId of reuse.jobIds) {
    const prefix = jobPrefix(reuse.fromRunId, jobId);
    for (const artifact of (await store.list(prefix)).filter((a) => isArtifactKey(a.key))) {
      const name = artifact.key.slice(prefix.length, -'.tar'.length);
      const staging = join(tmpdir(), `capstan-reuse-${process.pid}-${randomBytes(4).toString('hex')}.tar`);
      try {
        await store.get(artifact.key, staging, Number.MAX_SAFE_INTEGER);
        await store.put(artifactKey(reuse.toRunId, jobId, name), staging);
        copied++;
      } finally {
        await rm(staging, { force: true });
      }
    }
  }
  return copied;
}
