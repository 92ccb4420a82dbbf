/** Artifact retention: artifacts older than the configured number of days are deleted from the store. */
import type { Logger } from '../../config/logger';
import { startRetentionSweeper } from '../retention-sweeper';
import { isSweepableKey, type ArtifactStore } from '../../config/artifacts/artifact-store';

/** Deletes every artifact stored before `cutoff` (and half-written copies as old); returns how many went. */
export async function deleteArtifactsOlderThan(store: ArtifactStore, cutoff: Date): Promise<number> {
  let deleted = 0;
  const failures: string[] = [];
  for (const artifact of await store.list('')) {
    if (artifact.modifiedAt >= cutoff || !isSweepableKey(artifact.key)) continue;
    // One artifact that cannot be deleted must not shield every one listed after it.
    await store.delete(artifact.key).then(
      () => {
        deleted++;
      },
      (err: Error) => {
        failures.push(`${artifact.key}: ${err.message}`);
      },
    );
  }
  if (failures.length > 0)
    throw new Error(
      `deleted ${deleted} expired artifacts; ${failures.length} could not be deleted, first ${failures[0]}`,
    );
  return deleted;
}

/** Sweeps once now and then every `intervalMs` (none when `retentionDays` is 0); returns the function that stops it. */
export function startArtifactRetentionSweeper(
  store: ArtifactStore,
  options: { retentionDays: number; intervalMs: number; logger: Logger },
): () => void {
  return startRetentionSweeper({
    what: 'artifacts',
    ...options,
    removeOlderThan: (cutoff) => deleteArtifactsOlderThan(store, cutoff),
    context: { store: store.location },
  });
}
