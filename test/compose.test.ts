/**
 * docker-compose.yml, Dockerfile and .dockerignore checked against the code, without a Docker engine:
 * node classes, entry points, environment variables, service references, the image's layout.
 * `docker compose config` runs too when the compose plugin is installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadNodeClasses } from '../config/node-classes';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { CLUSTER_DYNAMIC_CONFIG, dynamicConfigYaml } from '../cli/temporal-cluster-config';

/** The compiled file runs from dist/test. */
const ROOT = join(__dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

type PortEntry = string | number | { target?: number | string; published?: number | string };
type VolumeEntry = string | { type?: string; source?: string };

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: PortEntry[];
  volumes?: VolumeEntry[];
  container_name?: string;
  healthcheck?: unknown;
  restart?: string;
}

interface ComposeFile {
  services?: Record<string, Service>;
  volumes?: Record<string, unknown> | null;
}

function composeText(): string {
  return readFileSync(COMPOSE_FILE, 'utf8');
}

/** Parses the compose file; `merge` resolves the `<<: *anchor` keys as Compose does. */
function loadCompose(): ComposeFile {
  return parse(composeText(), { merge: true }) as ComposeFile;
}

function services(): [string, Service][] {
  const services = loadCompose().services;
  assert.ok(services && typeof services === 'object', 'docker-compose.yml has no services');
  return Object.entries(services);
}

function builtServices(): [string, Service][] {
  const built = services().filter(([, s]) => s.build !== undefined);
  assert.ok(built.length > 0, 'no service builds the Capstan image');
  return built;
}

/** A service's environment as a map, whichever of the two Compose forms it uses. */
function environmentOf(service: Service): Record<string, string | undefined> {
  const env = service.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? undefined : String(v)]),
  );
}

function buildOf(service: Service): { context: string; dockerfile: string } {
  const build = service.build;
  if (typeof build === 'string') return { context: resolve(ROOT, build), dockerfile: 'Dockerfile' };
  return { context: resolve(ROOT, build?.context ?? '.'), dockerfile: build?.dockerfile ?? 'Dockerfile' };
}

function argv(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : value.split(/\s+/).filter(Boolean);
}

/** Scripts run as `node [flags] <script>.js` in a command line. */
function nodeScripts(args: string[]): string[] {
  return [...args.join(' ').matchAll(/(?:^|[\s/])node\s+(?:-\S+\s+)*(\S+\.js)\b/g)].map((m) => m[1] as string);
}

/** dist/x/y.js -> x/y.ts (tsc compiles the repo root into dist/). */
function sourceOf(script: string): string {
  const normalized = posix.normalize(script).replace(/^\.\//, '');
  assert.match(normalized, /^dist\/.+\.js$/, `${script} is not under dist/`);
  return normalized.slice('dist/'.length).replace(/\.js$/, '.ts');
}

// ---- Dockerfile parsing ----

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name?: string;
  instructions: Instruction[];
}

function dockerfileStages(dockerfilePath = join(ROOT, 'Dockerfile')): Stage[] {
  const text = readFileSync(dockerfilePath, 'utf8').replace(/\\\r?\n/g, ' ');
  const stages: Stage[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const keyword = (match[1] as string).toUpperCase();
    const args = match[2] as string;
    if (keyword === 'FROM') {
      stages.push({ name: /\s+AS\s+(\S+)/i.exec(args)?.[1], instructions: [] });
    } else {
      assert.ok(stages.length > 0, `Dockerfile: ${keyword} before the first FROM`);
      stages[stages.length - 1]?.instructions.push({ keyword, args });
    }
  }
  assert.ok(stages.length > 0, 'Dockerfile has no FROM');
  return stages;
}

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const rest = words.filter((w) => !w.startsWith('--'));
      const paths = rest[0]?.startsWith('[') ? (JSON.parse(rest.join(' ')) as string[]) : rest;
      assert.ok(paths.length >= 2, `Dockerfile: "${i.keyword} ${i.args}" needs a source and a destination`);
      return {
        from: flags.find((f) => f.startsWith('--from='))?.slice('--from='.length),
        sources: paths.slice(0, -1),
        dest: paths[paths.length - 1] as string,
      };
    });
}

/** A Dockerfile COPY source relative to the build context, without `./` or a trailing slash. */
function contextPath(source: string): string {
  const normalized = posix.normalize(source).replace(/\/+$/, '');
  return normalized === '' ? '.' : normalized;
}

/** The rules of .dockerignore, matched the way Docker does: a rule also covers everything under a match. */
function dockerignoreRules(context: string): { pattern: RegExp; negate: boolean; text: string }[] {
  const file = join(context, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const glob = posix.normalize(line.replace(/^!/, '').replace(/^\/+/, '')).replace(/\/+$/, '');
      const body = glob
        .split(/(\*\*|\*|\?)/)
        .map((part) => {
          if (part === '**') return '.*';
          if (part === '*') return '[^/]*';
          if (part === '?') return '[^/]';
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { pattern: new RegExp(`^${body}$`), negate, text: line };
    });
}

function ignoredBy(rules: ReturnType<typeof dockerignoreRules>, path: string): string | undefined {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excludedBy: string | undefined;
  for (const rule of rules) {
    if (prefixes.some((p) => rule.pattern.test(p))) excludedBy = rule.negate ? undefined : rule.text;
  }
  return excludedBy;
}

/** Paths in the context that a COPY source names; a `*` or `?` in its last segment is expanded. */
function matchingPaths(context: string, source: string): string[] {
  const path = contextPath(source);
  const name = basename(path);
  if (!/[*?]/.test(name)) return existsSync(join(context, path)) ? [path] : [];
  const dir = dirname(path);
  if (!existsSync(join(context, dir))) return [];
  const pattern = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return readdirSync(join(context, dir))
    .filter((entry) => pattern.test(entry))
    .map((entry) => posix.join(dir, entry));
}

/** Relative imports (import, require, require.resolve) reachable from `entries`, as repo-relative paths. */
function importClosure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = entries.map((e) => join(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    const rel = relative(ROOT, file).split(sep).join('/');
    if (seen.has(rel)) continue;
    seen.add(rel);
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:\bfrom\s+|\bimport\s*\(?\s*|\brequire(?:\.resolve)?\(\s*)['"](\.\.?\/[^'"]*)['"]/g,
    )) {
      const base = resolve(dirname(file), (m[1] as string).replace(/\.js$/, ''));
      const target = [`${base}.ts`, join(base, 'index.ts'), base].find(
        (candidate) => existsSync(candidate) && !candidate.endsWith(sep),
      );
      if (target && !target.endsWith('.d.ts')) queue.push(target);
    }
  }
  return seen;
}

/** Every `node dist/...js` the image is started with: compose commands and entrypoints, then the Dockerfile CMD. */
function startedScripts(): { where: string; script: string }[] {
  const fromCompose = services().flatMap(([name, s]) =>
    nodeScripts([...argv(s.entrypoint), ...argv(s.command)]).map((script) => ({ where: `service ${name}`, script })),
  );
  const finalStage = dockerfileStages().at(-1) as Stage;
  const fromDockerfile = finalStage.instructions
    .filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT')
    .flatMap((i) => {
      const args = i.args.trim().startsWith('[') ? (JSON.parse(i.args) as string[]) : argv(i.args);
      return nodeScripts(args).map((script) => ({ where: `Dockerfile ${i.keyword}`, script }));
    });
  return [...fromCompose, ...fromDockerfile];
}

// ---- the compose file ----

test('docker-compose.yml parses, with the shared x-capstan settings merged into every built service', () => {
  const compose = loadCompose();
  assert.ok(compose.services && Object.keys(compose.services).length > 0, 'no services');
  for (const [name, service] of builtServices()) {
    assert.ok(service.image, `${name}: built services name the image, so all of them share one`);
    assert.ok(environmentOf(service).CAPSTAN_TEMPORAL_ADDRESS, `${name}: the x-capstan environment did not merge in`);
  }
});

test('every service that builds points at a context holding its Dockerfile, and all build one image', () => {
  const built = builtServices();
  for (const [name, service] of built) {
    const { context, dockerfile } = buildOf(service);
    assert.ok(existsSync(context), `${name}: build context ${context} does not exist`);
    assert.ok(existsSync(join(context, dockerfile)), `${name}: ${dockerfile} is not in the build context ${context}`);
  }
  const builds = new Set(
    built.map(([, s]) => {
      const b = buildOf(s);
      return `${b.context}|${b.dockerfile}|${s.image ?? ''}`;
    }),
  );
  assert.equal(builds.size, 1, `Capstan services build different images: ${[...builds].join(', ')}`);
});

test('node-class workers match config/node-classes.yaml one to one', () => {
  const declared = loadNodeClasses(join(ROOT, 'config', 'node-classes.yaml')).map((c) => c.name);
  const workers = services().filter(([, s]) => environmentOf(s).CAPSTAN_NODE_CLASS !== undefined);
  assert.ok(workers.length > 0, 'no service sets CAPSTAN_NODE_CLASS');
  for (const [name, service] of workers) {
    const nodeClass = environmentOf(service).CAPSTAN_NODE_CLASS as string;
    assert.ok(
      declared.includes(nodeClass),
      `${name}: CAPSTAN_NODE_CLASS=${nodeClass} is not declared (declared: ${declared.join(', ')})`,
    );
    assert.deepEqual(
      nodeScripts(argv(service.command)),
      ['dist/workers/node-class-worker.js'],
      `${name}: sets a node class but does not run the node-class worker`,
    );
    assert.equal(
      name,
      `worker-${nodeClass}`,
      `${name}: node-class worker services are named worker-<class>, as --scale uses them`,
    );
  }
  for (const nodeClass of declared) {
    assert.ok(
      workers.some(([, s]) => environmentOf(s).CAPSTAN_NODE_CLASS === nodeClass),
      `node class ${nodeClass} has no worker service`,
    );
  }
});

test('every `node dist/...js` started has its TypeScript source', () => {
  const scripts = startedScripts();
  for (const [name] of builtServices()) {
    assert.ok(
      scripts.some((s) => s.where === `service ${name}`),
      `${name}: runs no \`node dist/...js\` command`,
    );
  }
  for (const { where, script } of scripts) {
    const source = sourceOf(script);
    assert.ok(existsSync(join(ROOT, source)), `${where}: runs ${script} but ${source} does not exist`);
  }
});

test('every depends_on names a defined service, and waits only on states it can reach', () => {
  const all = new Map(services());
  const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
  for (const [name, service] of all) {
    const deps = Array.isArray(service.depends_on)
      ? service.depends_on.map((d) => [d, 'service_started'] as const)
      : Object.entries(service.depends_on ?? {}).map(([d, spec]) => [d, spec?.condition ?? 'service_started'] as const);
    for (const [dep, condition] of deps) {
      const target = all.get(dep);
      assert.ok(target, `${name}: depends_on ${dep}, which is not a service`);
      assert.ok(conditions.includes(condition), `${name}: unknown depends_on condition ${condition}`);
      if (condition === 'service_healthy')
        assert.ok(target.healthcheck, `${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      if (condition === 'service_completed_successfully') {
        assert.ok(
          !target.restart || target.restart === 'no',
          `${name}: waits for ${dep} to complete, but ${dep} restarts (${target.restart})`,
        );
      }
    }
  }
});

test('every named volume a service mounts is declared', () => {
  const declared = Object.keys(loadCompose().volumes ?? {});
  for (const [name, service] of services()) {
    for (const volume of service.volumes ?? []) {
      let source: string | undefined;
      if (typeof volume === 'string') {
        const parts = volume.split(':');
        source = parts.length > 1 ? parts[0] : undefined;
      } else if ((volume.type ?? 'volume') === 'volume') {
        source = volume.source;
      }
      if (source === undefined || /^[./~$]/.test(source)) continue;
      assert.ok(declared.includes(source), `${name}: mounts volume ${source}, which is not declared under volumes:`);
    }
  }
});

test('node-class workers have no container_name and no fixed host port, so --scale works', () => {
  const workers = services().filter(([, s]) => environmentOf(s).CAPSTAN_NODE_CLASS !== undefined);
  assert.ok(workers.length > 0, 'no node-class worker services');
  for (const [name, service] of workers) {
    assert.equal(service.container_name, undefined, `${name}: container_name allows one container only`);
    for (const port of service.ports ?? []) {
      const published =
        typeof port === 'object'
          ? port.published
          : String(port)
              .replace(/\/\w+$/, '')
              .split(':')
              .slice(0, -1)
              .at(-1);
      assert.ok(
        published === undefined || published === '',
        `${name}: publishes host port ${published}; a second replica could not bind it`,
      );
    }
  }
});

test('every CAPSTAN_ variable in the compose file is one config/env.ts reads', () => {
  const envSource = readFileSync(join(ROOT, 'config', 'env.ts'), 'utf8');
  const names = new Set<string>();
  for (const [, service] of services()) {
    for (const key of Object.keys(environmentOf(service))) if (key.startsWith('CAPSTAN_')) names.add(key);
  }
  for (const m of composeText().matchAll(/\$\{?(CAPSTAN_[A-Z0-9_]+)/g)) names.add(m[1] as string);
  assert.ok(names.size > 0, 'no CAPSTAN_ variables found');
  for (const name of names) {
    assert.match(
      envSource,
      new RegExp(`(^|[^A-Z0-9_])${name}\\s*:`),
      `${name} is set in docker-compose.yml but config/env.ts does not read it`,
    );
  }
});

test('Capstan services reach Temporal by service name, and the API listens where its port is published', () => {
  const all = new Map(services());
  for (const [name, service] of builtServices()) {
    const address = environmentOf(service).CAPSTAN_TEMPORAL_ADDRESS ?? '';
    const host = address.split(':')[0] as string;
    assert.ok(
      all.has(host),
      `${name}: CAPSTAN_TEMPORAL_ADDRESS=${address} is not a compose service (127.0.0.1 is the container itself)`,
    );
  }
  const apis = builtServices().filter(([, s]) => nodeScripts(argv(s.command)).includes('dist/api/server.js'));
  assert.equal(apis.length, 1, 'expected one API service');
  const [apiName, api] = apis[0] as [string, Service];
  const env = environmentOf(api);
  const dockerfileEnv =
    dockerfileStages()
      .at(-1)
      ?.instructions.filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ') ?? '';
  const host = env.CAPSTAN_API_HOST ?? /CAPSTAN_API_HOST=(\S+)/.exec(dockerfileEnv)?.[1];
  assert.equal(
    host,
    '0.0.0.0',
    `${apiName}: the API must listen on 0.0.0.0 to be reachable from outside its container`,
  );
  const port = env.CAPSTAN_API_PORT ?? '8080';
  const targets = (api.ports ?? []).map((p) =>
    String(
      typeof p === 'object'
        ? p.target
        : String(p)
            .replace(/\/\w+$/, '')
            .split(':')
            .at(-1),
    ),
  );
  assert.ok(targets.includes(port), `${apiName}: listens on ${port} but publishes ${targets.join(', ') || 'no port'}`);
});

test('a service registers every search attribute in REQUIRED_SEARCH_ATTRIBUTES with its type', () => {
  const registered = new Map<string, string>();
  for (const [, service] of services()) {
    // A one-shot's script is one string: its words are the arguments.
    const args = [...argv(service.entrypoint), ...argv(service.command)]
      .flatMap((a) => a.split(/\s+/).filter(Boolean))
      .flatMap((a) =>
        a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a],
      );
    if (!args.join(' ').includes('search-attribute create')) continue;
    const valuesOf = (flag: string): string[] =>
      args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1] as string] : []));
    const names = valuesOf('--name');
    const types = valuesOf('--type');
    assert.equal(names.length, types.length, 'each --name needs its --type');
    names.forEach((n, i) => registered.set(n, types[i] as string));
  }
  for (const [name, type] of Object.entries(REQUIRED_SEARCH_ATTRIBUTES)) {
    assert.equal(
      registered.get(name)?.toLowerCase(),
      type.toLowerCase(),
      `search attribute ${name} (${type}) is not registered by any service`,
    );
  }
});

test('images not built here are pinned to a version tag', () => {
  for (const [name, service] of services().filter(([, s]) => s.build === undefined)) {
    assert.ok(service.image, `${name}: neither build nor image`);
    const tag = /:([^/:@]+)$/.exec(service.image)?.[1];
    assert.ok(
      tag && tag !== 'latest' && /\d+\.\d+/.test(tag),
      `${name}: image ${service.image} is not pinned to a major.minor version tag`,
    );
  }
});

// ---- the Dockerfile ----

test('the Dockerfile copies only paths that exist and that .dockerignore lets through', () => {
  const rules = dockerignoreRules(ROOT);
  const copies = dockerfileStages()
    .flatMap(copiesOf)
    .filter((c) => c.from === undefined);
  assert.ok(copies.length > 0, 'Dockerfile copies nothing from the build context');
  for (const { sources } of copies) {
    for (const source of sources) {
      const paths = matchingPaths(ROOT, source);
      assert.ok(paths.length > 0, `COPY source ${source} does not exist in the repo`);
      for (const path of paths) {
        if (path === '.') continue;
        const rule = ignoredBy(rules, path);
        assert.equal(
          rule,
          undefined,
          `COPY source ${path} is excluded from the build context by .dockerignore rule "${rule}"`,
        );
      }
    }
  }
});

test('the build stage copies every source directory the entry points import', () => {
  const stages = dockerfileStages();
  const build = stages.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\btsc\b/.test(i.args)));
  assert.ok(build, 'no Dockerfile stage runs tsc');
  const copied = copiesOf(build)
    .filter((c) => c.from === undefined)
    .flatMap((c) => c.sources.map(contextPath));
  const entries = [...new Set(startedScripts().map(({ script }) => sourceOf(script)))];
  for (const file of importClosure(entries)) {
    const top = file.split('/')[0] as string;
    assert.ok(
      copied.includes('.') || copied.includes(top),
      `${file} is imported by an entry point, but the build stage does not copy ${top}`,
    );
  }
});

test('the runtime image has dist/ next to config/node-classes.yaml and runs as a non-root user', () => {
  const final = dockerfileStages().at(-1) as Stage;
  let workdir = '/';
  const destinations: string[] = [];
  let user: string | undefined;
  for (const instruction of final.instructions) {
    if (instruction.keyword === 'WORKDIR') workdir = posix.resolve(workdir, instruction.args.trim());
    if (instruction.keyword === 'USER') user = instruction.args.trim().split(':')[0];
    if (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') {
      for (const copy of copiesOf({ instructions: [instruction] })) {
        const dest = posix.resolve(workdir, copy.dest);
        const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
        destinations.push(
          ...copy.sources.map((s) => (intoDir ? posix.join(dest, posix.basename(contextPath(s))) : dest)),
        );
      }
    }
  }
  // config/paths.ts takes the clone root to be dist/..; the default node-class file is <root>/config/node-classes.yaml.
  assert.ok(
    destinations.includes(posix.join(workdir, 'dist')),
    `runtime stage does not put dist/ in ${workdir} (copies to: ${destinations.join(', ')})`,
  );
  assert.ok(
    destinations.includes(posix.join(workdir, 'config', 'node-classes.yaml')),
    `runtime stage does not put config/node-classes.yaml in ${workdir}`,
  );
  assert.ok(
    destinations.includes(posix.join(workdir, 'package.json')),
    `runtime stage does not put package.json in ${workdir}`,
  );
  assert.ok(user && user !== 'root' && user !== '0', `runtime stage runs as ${user ?? 'root (no USER)'}`);
});

// ---- with the Compose plugin, if installed ----

test('docker compose config accepts the file', (t) => {
  const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 30_000 });
  if (version.error || version.status !== 0) {
    t.skip('the docker compose plugin is not installed here');
    return;
  }
  const result = spawnSync('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 0, `docker compose config failed: ${result.stderr || result.error?.message}`);
});

test("compose's Temporal server runs with the dynamic config the cluster profile of the tests runs with", () => {
  const temporal = loadCompose().services?.temporal;
  assert.ok(temporal, 'a temporal service');
  const path = environmentOf(temporal).DYNAMIC_CONFIG_FILE_PATH;
  assert.equal(typeof path, 'string', 'DYNAMIC_CONFIG_FILE_PATH is set');
  const mount = (temporal.volumes ?? []).find(
    (v): v is string => typeof v === 'string' && v.split(':')[1] === posix.join('/etc/temporal', String(path)),
  );
  assert.ok(mount, `a file is mounted at /etc/temporal/${String(path)}`);
  const file = parse(readFileSync(join(ROOT, mount.split(':')[0] ?? ''), 'utf8')) as unknown;
  assert.deepEqual(
    file,
    parse(dynamicConfigYaml(CLUSTER_DYNAMIC_CONFIG)),
    'the mounted file says what the profile sets',
  );
});
