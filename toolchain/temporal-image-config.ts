/**
 * What the `temporalio/server` image does with its environment, available without Docker: the server
 * module's own `docker/config_template.yaml`, and `dockerize`, which the image's entrypoint uses to render
 * that template from the environment into `config/docker.yaml`. Both come from the Go module proxy and are
 * kept in the per-user cache beside the server binaries.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { buildIntoCache, findOnPath, isExecutable, runGo } from './binary-chain';
import { TEMPORAL_SERVER_VERSION } from './temporal-server-binary';

/** The dockerize release nearest the image's (v0.9.2, which the proxy does not serve). */
export const DOCKERIZE_VERSION = '0.9.3';

/** The template and the tool that renders it. */
export interface TemporalImageConfig {
  template: string;
  dockerize: string;
}

/** Finds both in the cache, fetching the template and building dockerize the first time (a minute or two). */
export async function resolveTemporalImageConfig(
  cacheDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TemporalImageConfig> {
  const configured = env.CAPSTAN_DOCKERIZE_BIN;
  if (configured !== undefined && !isExecutable(configured))
    throw new Error(`CAPSTAN_DOCKERIZE_BIN=${configured} is not an executable file`);
  const cached = join(cacheDir, 'dockerize', DOCKERIZE_VERSION, 'dockerize');
  const dockerize = configured ?? (isExecutable(cached) ? cached : await buildDockerize(cached, env));
  return { template: await configTemplate(cacheDir, env), dockerize };
}

async function buildDockerize(target: string, env: NodeJS.ProcessEnv): Promise<string> {
  const go = findOnPath('go', env.PATH ?? '');
  if (!go) throw new Error('no Go toolchain on PATH to build dockerize from the Go module proxy');
  return buildIntoCache(target, `building dockerize v${DOCKERIZE_VERSION} with Go`, async (scratch, tick) => {
    // A throwaway module: `go install module@version` also asks the proxy for the module's version list (to
    // look for deprecations), which this proxy refuses for dockerize.
    await writeFile(
      join(scratch, 'go.mod'),
      `module capstan.local/dockerize-build\n\ngo 1.23\n\nrequire github.com/jwilder/dockerize v${DOCKERIZE_VERSION}\n`,
    );
    await runGo(
      go,
      ['build', '-v', '-trimpath', '-o', join(scratch, 'dockerize'), 'github.com/jwilder/dockerize'],
      { cwd: scratch, env: { ...env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOSUMDB: env.GOSUMDB ?? 'off' } },
      tick,
    );
    return join(scratch, 'dockerize');
  });
}

async function configTemplate(cacheDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const module = `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`;
  const cached = join(cacheDir, 'temporal-server', TEMPORAL_SERVER_VERSION, 'config_template.yaml');
  if (existsSync(cached)) return cached;
  const go = findOnPath('go', env.PATH ?? '');
  if (!go) throw new Error(`Go is needed to fetch ${module}'s config template`);
  // `go mod download -json` prints where the module's source lives, downloading it from the proxy if needed.
  const { stdout } = await promisify(execFile)(go, ['mod', 'download', '-json', module], {
    env,
    cwd: tmpdir(),
    maxBuffer: 1024 * 1024,
  });
  const source = join((JSON.parse(stdout) as { Dir: string }).Dir, 'docker', 'config_template.yaml');
  await mkdir(dirname(cached), { recursive: true });
  // Written under another name first, so a reader never sees half a file.
  const partial = `${cached}.${process.pid}.partial`;
  await copyFile(source, partial);
  await rename(partial, cached);
  return cached;
}
