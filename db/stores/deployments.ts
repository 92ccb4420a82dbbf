/** Deploy history per environment in Capstan's database: what runs there now, and what ran before. */
import type { Pool } from 'pg';

/** A successful deploy. */
export interface Deployment {
  environment: string;
  repository: string;
  pipeline: string;
  runId: string;
  jobId: string;
  sha: string;
  triggeredBy: string;
  deployedAt?: string;
}

/** The last successful deploy of every environment, and each environment's history. */
export async function latestDeployments(db: Pool): Promise<Deployment[]> {
  const { rows } = await db.query<DeploymentRow>(
    `SELECT DISTINCT ON (environment) environment, repository, pipeline, run_id, job_id, sha, triggered_by, deployed_at
     FROM deployments ORDER BY environment, deployed_at DESC, id DESC`,
  );
  return rows.map(toDeployment);
}

/** Deploys of one environment, newest first. */
export async function deploymentsOf(db: Pool, environment: string, limit: number): Promise<Deployment[]> {
  const { rows } = await db.query<DeploymentRow>(
    `SELECT environment, repository, pipeline, run_id, job_id, sha, triggered_by, deployed_at
     FROM deployments WHERE environment = $1 ORDER BY deployed_at DESC, id DESC LIMIT $2`,
    [environment, limit],
  );
  return rows.map(toDeployment);
}

/** Records a successful deploy; a second record of the same run and job adds nothing. */
export async function recordDeployment(db: Pool, deployment: Deployment): Promise<void> {
  await db.query(
    `INSERT INTO deployments (environment, repository, pipeline, run_id, job_id, sha, triggered_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, job_id) DO NOTHING`,
    [
      deployment.environment,
      deployment.repository,
      deployment.pipeline,
      deployment.runId,
      deployment.jobId,
      deployment.sha,
      deployment.triggeredBy,
    ],
  );
}

/** A `deployments` row as `pg` returns it. */
interface DeploymentRow {
  environment: string;
  repository: string;
  pipeline: string;
  run_id: string;
  job_id: string;
  sha: string;
  triggered_by: string;
  deployed_at: Date;
}

function toDeployment(r: DeploymentRow): Deployment {
  return {
    environment: r.environment,
    repository: r.repository,
    pipeline: r.pipeline,
    runId: r.run_id,
    jobId: r.job_id,
    sha: r.sha,
    triggeredBy: r.triggered_by,
    deployedAt: r.deployed_at.toISOString(),
  };
}
