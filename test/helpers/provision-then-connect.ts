/** A DAG that provisions a `postgres-database` stack on class a, then connects with its secret output on class b. */

/** The DAG spec; its `use` task writes `who=<role>@<database>` as seen by the new database. */
export function provisionThenConnectDag(name: string, project: string, stack: string): Record<string, unknown> {
  return {
    name,
    tasks: [
      { id: 'db', nodeClass: 'a', stack: { project, stack } },
      {
        id: 'use',
        nodeClass: 'b',
        dependsOn: ['db'],
        env: { DATABASE_URL: '${{ tasks.db.outputs.connectionString }}' },
        script:
          'psql=$(ls /usr/lib/postgresql/*/bin/psql | head -1)\necho "who=$("$psql" "$DATABASE_URL" -tAc "select current_user || \'@\' || current_database()")" >> "$CAPSTAN_OUTPUT"',
      },
    ],
  };
}
