/**
 * PostgreSQL roles and databases as Pulumi dynamic resources, managed over an admin connection.
 *
 * Everything the provider objects use is a module-level function or a node_modules / built-in
 * import: Pulumi serializes the provider with its closure, and captured imports of packages become
 * `require("pg")` in the serialized text, while helpers are serialized by value.
 */
import * as pulumi from '@pulumi/pulumi';
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Client } from 'pg';

/** The Pulumi type tokens of these resources (the dynamic Resource constructor adds the `dynamic/` module prefix). */
export const POSTGRES_TYPES = {
  database: 'pulumi-nodejs:dynamic/postgres:Database',
  role: 'pulumi-nodejs:dynamic/postgres:Role',
} as const;

interface RoleState {
  adminUrl: string;
  name: string;
  /** `project/stack` that made it, written as the object's comment (see `adoptable`). */
  managedBy?: string;
  /** Null after a refresh found the server's password differs from this one (so the next up sets it again). */
  password: string | null;
}

interface DatabaseState {
  adminUrl: string;
  name: string;
  managedBy?: string;
  owner: string;
}

async function withAdmin<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionString: adminUrl,
    application_name: 'capstan-pulumi',
    connectionTimeoutMillis: 15_000,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function scramKeys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  // PostgreSQL SASLprep-normalizes passwords; for the printable ASCII the programs allow, NFKC is the same.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** A SCRAM-SHA-256 secret, so the plaintext password never reaches the server (or its statement log). */
function scramSecret(password: string): string {
  const salt = randomBytes(16);
  const iterations = 4096;
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Whether `stored` (pg_authid.rolpassword) is a SCRAM secret of `password`; undefined when it cannot tell. */
function scramMatches(password: string, stored: string | null): boolean | undefined {
  const match = stored === null ? null : /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):/.exec(stored);
  if (!match) return stored === null ? false : undefined;
  const { storedKey } = scramKeys(password, Buffer.from(match[2]!, 'base64'), Number(match[1]));
  const expected = Buffer.from(match[3]!, 'base64');
  return expected.length === storedKey.length && timingSafeEqual(expected, storedKey);
}

async function setPassword(client: Client, name: string, password: string): Promise<void> {
  await client.query(
    `ALTER ROLE ${client.escapeIdentifier(name)} WITH LOGIN PASSWORD ${client.escapeLiteral(scramSecret(password))}`,
  );
}

function managedMark(managedBy: string | undefined): string {
  return `managed by capstan stack ${managedBy ?? '(unknown)'}`;
}

/**
 * Whether a role or database named `name` already exists carrying this stack's mark: a create of
 * this stack that was cut off (worker killed) after making it and before Pulumi recorded it.
 * Adopting only that case keeps the rule that Capstan never takes over what it did not make.
 */
async function adoptable(
  client: Client,
  catalog: 'pg_authid' | 'pg_database',
  name: string,
  managedBy: string | undefined,
): Promise<boolean> {
  const table = catalog === 'pg_authid' ? 'pg_roles' : 'pg_database';
  const column = catalog === 'pg_authid' ? 'rolname' : 'datname';
  const found = await client.query<{ note: string | null }>(
    `SELECT shobj_description(oid, '${catalog}') AS note FROM ${table} WHERE ${column} = $1`,
    [name],
  );
  return managedBy !== undefined && found.rows[0]?.note === managedMark(managedBy);
}

function changedKeys<T extends object>(olds: T, news: T, keys: ReadonlyArray<keyof T>): Array<keyof T> {
  return keys.filter((key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null));
}

const roleProvider: pulumi.dynamic.ResourceProvider<RoleState, RoleState> = {
  async create(inputs) {
    await withAdmin(inputs.adminUrl, async (client) => {
      // CREATE fails if the role exists: Capstan never adopts (and later drops) a role it did not make.
      if (!(await adoptable(client, 'pg_authid', inputs.name, inputs.managedBy)))
        await client.query(`CREATE ROLE ${client.escapeIdentifier(inputs.name)} LOGIN`);
      await client.query(
        `COMMENT ON ROLE ${client.escapeIdentifier(inputs.name)} IS ${client.escapeLiteral(managedMark(inputs.managedBy))}`,
      );
      await setPassword(client, inputs.name, inputs.password ?? '');
    });
    return {
      id: inputs.name,
      outs: { adminUrl: inputs.adminUrl, name: inputs.name, password: inputs.password, managedBy: inputs.managedBy },
    };
  },
  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ['adminUrl', 'name', 'password']);
    return { changes: changed.length > 0, replaces: changed.includes('name') ? ['name'] : [] };
  },
  async update(_id, olds, news) {
    if (olds.password !== news.password)
      await withAdmin(news.adminUrl, (client) => setPassword(client, news.name, news.password ?? ''));
    return { outs: { adminUrl: news.adminUrl, name: news.name, password: news.password } };
  },
  async read(id, props) {
    const adminUrl = props!.adminUrl;
    return withAdmin(adminUrl, async (client) => {
      const role = await client.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [
        id,
      ]);
      if (role.rowCount === 0) return {};
      let password = props!.password;
      // Only a superuser may read pg_authid; anyone else keeps the recorded password unverified.
      const secret = await client
        .query<{ rolpassword: string | null }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [id])
        .catch(() => undefined);
      if (password !== null && secret?.rows[0] && scramMatches(password, secret.rows[0].rolpassword) === false)
        password = null;
      if (!role.rows[0]!.rolcanlogin) password = null;
      return { id, props: { adminUrl, name: id, password } };
    });
  },
  async delete(id, props) {
    await withAdmin(props.adminUrl, async (client) => {
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [id]);
      await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(id)}`);
    });
  },
};

async function dropDatabase(client: Client, name: string): Promise<void> {
  const version = Number(
    (await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v,
  );
  const ident = client.escapeIdentifier(name);
  if (version >= 130000) {
    // FORCE ends the database's sessions first; a destroy must not fail because a client is connected.
    await client.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    return;
  }
  await client.query('UPDATE pg_database SET datallowconn = false WHERE datname = $1', [name]);
  await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  await client.query(`DROP DATABASE IF EXISTS ${ident}`);
}

/**
 * Hands the database and what the old owner made in it (tables a task created) to the new owner,
 * so the old role, when replaced, can be dropped without taking data with it. REASSIGN OWNED also
 * moves the old role's shared objects, such as other databases it owns, which a per-stack role has none of.
 */
async function changeOwner(state: DatabaseState, oldOwner: string): Promise<void> {
  await withAdmin(state.adminUrl, (client) =>
    client.query(
      `ALTER DATABASE ${client.escapeIdentifier(state.name)} OWNER TO ${client.escapeIdentifier(state.owner)}`,
    ),
  );
  const inDatabase = new URL(state.adminUrl);
  inDatabase.pathname = `/${encodeURIComponent(state.name)}`;
  await withAdmin(inDatabase.toString(), async (client) => {
    const old = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [oldOwner]);
    if (old.rowCount)
      await client.query(
        `REASSIGN OWNED BY ${client.escapeIdentifier(oldOwner)} TO ${client.escapeIdentifier(state.owner)}`,
      );
  });
}

const databaseProvider: pulumi.dynamic.ResourceProvider<DatabaseState, DatabaseState> = {
  async create(inputs) {
    await withAdmin(inputs.adminUrl, async (client) => {
      if (!(await adoptable(client, 'pg_database', inputs.name, inputs.managedBy))) {
        await client.query(
          `CREATE DATABASE ${client.escapeIdentifier(inputs.name)} OWNER ${client.escapeIdentifier(inputs.owner)}`,
        );
      }
      await client.query(
        `COMMENT ON DATABASE ${client.escapeIdentifier(inputs.name)} IS ${client.escapeLiteral(managedMark(inputs.managedBy))}`,
      );
    });
    return {
      id: inputs.name,
      outs: { adminUrl: inputs.adminUrl, name: inputs.name, owner: inputs.owner, managedBy: inputs.managedBy },
    };
  },
  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ['adminUrl', 'name', 'owner']);
    return { changes: changed.length > 0, replaces: changed.includes('name') ? ['name'] : [] };
  },
  async update(_id, olds, news) {
    if (olds.owner !== news.owner) await changeOwner(news, olds.owner);
    return { outs: { adminUrl: news.adminUrl, name: news.name, owner: news.owner } };
  },
  async read(id, props) {
    const adminUrl = props!.adminUrl;
    return withAdmin(adminUrl, async (client) => {
      const found = await client.query<{ owner: string }>(
        'SELECT r.rolname AS owner FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1',
        [id],
      );
      // No id in the answer tells Pulumi the resource is gone (refresh drops it from the state).
      if (found.rowCount === 0) return {};
      return { id, props: { adminUrl, name: id, owner: found.rows[0]!.owner } };
    });
  },
  async delete(id, props) {
    await withAdmin(props.adminUrl, (client) => dropDatabase(client, id));
  },
};

/** Inputs of a login role. */
export interface RoleArgs {
  /** Superuser (or CREATEROLE) connection URL; keep it secret. */
  adminUrl: pulumi.Input<string>;
  name: pulumi.Input<string>;
  password: pulumi.Input<string>;
  /** The `project/stack` making it; lets a retried create adopt what an interrupted one made. */
  managedBy?: pulumi.Input<string>;
}

/** A PostgreSQL login role with a password; a new name replaces it, a new password is set in place. */
export class Role extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string | null>;

  constructor(name: string, args: RoleArgs, opts?: pulumi.CustomResourceOptions) {
    // Secret inputs stay secret: the engine marks same-named outputs of a dynamic resource secret too.
    super(
      roleProvider,
      name,
      { ...args, adminUrl: pulumi.secret(args.adminUrl), password: pulumi.secret(args.password) },
      opts,
      'postgres',
      'Role',
    );
  }
}

/** Inputs of a database. */
export interface DatabaseArgs {
  adminUrl: pulumi.Input<string>;
  name: pulumi.Input<string>;
  /** The owning role, e.g. a Role's `name` output. */
  owner: pulumi.Input<string>;
  managedBy?: pulumi.Input<string>;
}

/** A PostgreSQL database; a new name replaces it, a new owner is set in place, delete drops it with its sessions. */
export class Database extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.CustomResourceOptions) {
    super(databaseProvider, name, { ...args, adminUrl: pulumi.secret(args.adminUrl) }, opts, 'postgres', 'Database');
  }
}
