/** Chooses the artifact store the configuration names. */
import type { CapstanConfig } from '../../config/env';
import type { ArtifactStore } from './artifact-store';
import { LocalArtifactStore } from './local-artifact-store';
import { S3ArtifactStore } from './s3-artifact-store';

/** The configured store: the shared directory by default, or the S3 bucket of `CAPSTAN_ARTIFACT_STORE=s3`. */
export function openArtifactStore(pipeline: CapstanConfig['pipeline']): ArtifactStore {
  const settings = pipeline.artifactStore;
  if (settings.kind === 's3') return new S3ArtifactStore(settings);
  return new LocalArtifactStore(pipeline.artifactDir);
}
