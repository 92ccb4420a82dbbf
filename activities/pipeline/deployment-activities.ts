/** The activities deploy and rollback steps call to read and record an environment's releases. */
import type { Pool } from 'pg';
import { deploymentsOf, recordDeployment, type Deployment } from '../../db/stores/deployments';

/** The deployment activities, registered on node-class workers (they hold the database connection). */
export function createDeploymentActivities(db: Pool) {
  return {
    /** The environment's current release, so deploy and rollback steps know what they replace. */
    async lastDeployment({ environment }: { environment: string }): Promise<Deployment | null> {
      return (await deploymentsOf(db, environment, 1))[0] ?? null;
    },
    /** Records a successful deploy; a retried call (same run and job) adds nothing. */
    async recordDeployment(deployment: Deployment): Promise<void> {
      await recordDeployment(db, deployment);
    },
  };
}
