/** Chooses the artifact store the configuration names. */
import type { CapstanConfig } from '../env';
import type { ArtifactStore } from './artifact-store';
import { LocalArtifactStore } from './local-artifact-store';
import { S3ArtifactStore } from './s3-artifact-store';

/** Where artifacts are kept: the settings the workers and the API both read. */
export type ArtifactSettings = Pick<CapstanConfig['pipeline'], 'artifactDir' | 'artifactStore'>;

/** The configured store: the shared directory by default, or the S3 bucket of `CAPSTAN_ARTIFACT_STORE=s3`. */
export function openArtifactStore(pipeline: ArtifactSettings): ArtifactStore {
  const settings = pipeline.artifactStore;
  if (settings.kind === 's3') return new S3ArtifactStore(settings);
  return new LocalArtifactStore(pipeline.artifactDir);
}
