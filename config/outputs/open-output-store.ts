/** Chooses the output store the configuration names. */
import { LocalOutputStore } from './local-output-store';
import type { OutputStore, OutputStoreSettings } from './output-store';
import { S3OutputStore } from './s3-output-store';

/** The bucket when one is configured (`CAPSTAN_OUTPUT_STORE=s3`), else the directory. */
export function openOutputStore(settings: OutputStoreSettings): OutputStore {
  return settings.s3 ? new S3OutputStore(settings.s3) : new LocalOutputStore(settings.dir);
}
