/**
 * Child-process entry: POSTs three large DAG bodies (15.8 MB of YAML, 3.9 MB of YAML, 15.8 MB of
 * JSON) to `argv[2]` with the token in `argv[3]` at once, and prints the answers as one JSON line.
 * Its own process, so building and sending 35 MB costs the API's event loop nothing it would not
 * cost with a remote client.
 */

// Bytes made by repetition: ids repeat, which is fine, since the size alone refuses them.
const yamlItem = '  - id: t1\n    nodeClass: a\n    command: echo 1 # a comment\n    dependsOn: []\n';
const jsonItem = '{"id":"t1","nodeClass":"a","command":"echo 1","dependsOn":[]}';

/** A YAML DAG of exactly `bytes` bytes. */
export function yamlDag(bytes: number): Buffer {
  return Buffer.from(
    `name: big\ntasks:\n${yamlItem.repeat(Math.floor((bytes - 20) / yamlItem.length))}`.padEnd(bytes, '\n'),
  );
}

/** A JSON DAG of exactly `bytes` bytes. */
export function jsonDag(bytes: number): Buffer {
  const items = `${jsonItem},`.repeat(Math.floor((bytes - 100) / (jsonItem.length + 1)));
  return Buffer.from(`{"name":"big","tasks":[${items}${jsonItem}]}`.padEnd(bytes, ' '));
}

async function main(): Promise<void> {
  const [baseUrl, token] = process.argv.slice(2);
  const post = async (body: Buffer, type: string): Promise<{ status: number; body: unknown; bytes: number }> => {
    const res = await fetch(`${baseUrl}/v1/dags`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
    });
    return { status: res.status, body: await res.json(), bytes: body.length };
  };
  const answers = await Promise.all([
    post(yamlDag(15_800_000), 'application/yaml'),
    post(yamlDag(3_900_000), 'application/yaml'),
    post(jsonDag(15_800_000), 'application/json'),
  ]);
  process.stdout.write(`${JSON.stringify(answers)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
