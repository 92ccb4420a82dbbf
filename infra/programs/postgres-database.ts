/** A PostgreSQL database owned by a new login role, with a connection string for downstream tasks. */
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { Database, Role } from '../providers/postgres';
import { defineProgram } from './program';

/** A PostgreSQL identifier Capstan accepts unquoted-style: lowercase, digits and `_`, at most 63 bytes. */
const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be 1-63 lowercase letters, digits or _, not starting with a digit');

const configSchema = z.strictObject({
  adminUrl: z.string().refine((value) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be a postgres:// or postgresql:// URL of a role that may create databases and roles'),
  database: identifier,
  role: identifier.refine((name) => !name.startsWith('pg_'), 'must not start with pg_ (reserved by PostgreSQL)'),
  // Printable ASCII only: then PostgreSQL's SASLprep leaves it unchanged and the SCRAM secret matches what clients send.
  password: z.string().regex(/^[\x20-\x7e]{8,128}$/, 'must be 8-128 printable ASCII characters'),
});

/** The URL a downstream task connects with: the admin URL's server and options, the new role and database. */
function connectionString(adminUrl: string, role: string, password: string, database: string): string {
  const url = new URL(adminUrl);
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** `postgres-database`: a database owned by a new login role on an existing PostgreSQL server. */
export const postgresDatabaseProgram = defineProgram({
  name: 'postgres-database',
  description: 'A PostgreSQL database owned by a new login role, with a secret connection string for downstream tasks.',
  configSchema,
  secretFields: ['adminUrl', 'password'],
  async run(config, context) {
    const adminUrl = pulumi.secret(config.adminUrl);
    const managedBy = `${context.project}/${context.stack}`;
    const role = new Role('role', { adminUrl, name: config.role, password: pulumi.secret(config.password), managedBy });
    const database = new Database('database', { adminUrl, name: config.database, owner: role.name, managedBy });
    return {
      // Built from the resources' outputs so it resolves only once both exist.
      connectionString: pulumi.secret(
        pulumi
          .all([role.name, database.name])
          .apply(([roleName, databaseName]) =>
            connectionString(config.adminUrl, roleName, config.password, databaseName),
          ),
      ),
      database: database.name,
      role: role.name,
    };
  },
});
