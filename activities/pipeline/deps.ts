/** What the pipeline activities need from the node-class worker that hosts them. */
import type { TaskLogDeps } from '../logs';
import type { StackOutputReader } from '../shell/expand-references';
import type { ArtifactStore } from '../../config/artifacts/artifact-store';
import type { S3Location } from '../../config/outputs/output-store';
import type { CacheDeps } from './cache/job-cache';

/** Settings of the pipeline activities on one worker. */
export interface PipelineActivityDeps {
  /** Root of job workspaces (one directory per run and job, shared by the job's steps). */
  workspaceRoot: string;
  /** Where each step attempt's log goes (the task-log store in PostgreSQL, which the API reads). */
  logs?: TaskLogDeps;
  /** Where artifacts are kept: a shared directory or an S3 bucket. */
  artifactStore: ArtifactStore;
  /** Largest artifact accepted, in bytes. */
  maxArtifactBytes: number;
  workerIdentity: string;
  /** This worker's own task queue: every step after the first of a job is routed here. */
  workerQueue: string;
  killGraceMs: number;
  /**
   * The output store DAG tasks use. With it, step output values over `inlineBytes` are stored there
   * and travel as references (a `$CAPSTAN_OUTPUT` file may then be up to `maxFileBytes`), and
   * references in a step's fields are expanded before it runs; without it, a step keeps at most
   * 64 KiB of outputs, all inline.
   */
  outputStore?: { dir: string; s3?: S3Location; inlineBytes: number; maxFileBytes: number };
  /** Reads secret stack outputs that steps reference (from a stack step), on this worker. */
  stackOutputs?: StackOutputReader;
  /** Where `cache` steps keep their entries (rows in the database, archives in the artifact store); without it they fail. */
  caches?: CacheDeps;
}
