// Runs before `npm start` and `npm test`: installs dependencies when the lock file changed, compiles, builds the console.
// Plain JavaScript with no dependencies, because it runs before any are installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const webOut = join(dist, 'web');
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const say = (line) => process.stderr.write(`[capstan] ${line}\n`);

/** Runs npm quietly; its whole output goes to a file, so a failure is one line here, not npm's pages. */
function npmQuietly(args, logFile) {
  const run = spawnSync(npm, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  appendFileSync(logFile, `$ npm ${args.join(' ')}\n${run.stdout ?? ''}${run.stderr ?? ''}`);
  if (run.status === 0) return undefined;
  // npm's own first word on why, without its log-file footer.
  const reason = `${run.stderr ?? ''}`
    .split('\n')
    .filter((line) => /^npm (error|ERR!)/.test(line))
    .map((line) => line.replace(/^npm (error|ERR!)\s*/, '').trim())
    .find((line) => line !== '' && !/^code \S+$|log of this run/.test(line));
  return reason ?? (run.error?.message || `exit code ${run.status}`);
}

const dependenciesInstalled = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (dependenciesInstalled) {
  const started = Date.now();
  const logFile = join(process.env.CAPSTAN_DATA_DIR || join(root, '.capstan'), 'logs', 'npm-install.log');
  say('installing dependencies (npm ci) ...');
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, '');
  const ciFailure = npmQuietly(['ci', '--no-audit', '--no-fund'], logFile);
  if (ciFailure !== undefined) {
    // A registry mirror that lacks some platform's optional packages can make `npm ci` refuse the lock file;
    // `npm install --no-save` installs the same versions from it without rewriting it.
    say(`npm ci failed (${ciFailure}); installing from the lock file with npm install --no-save instead`);
    const installFailure = npmQuietly(['install', '--no-save', '--no-audit', '--no-fund'], logFile);
    if (installFailure !== undefined) {
      say(`installing dependencies failed: ${installFailure} (npm's full output: ${logFile})`);
      process.exit(1);
    }
  }
  say(`dependencies installed in ${Math.round((Date.now() - started) / 1000)}s`);
}

/** Source file a compiled file came from: dist/a/b.js and dist/a/b.js.map come from a/b.ts. */
function sourceOf(compiled) {
  const rel = relative(dist, compiled);
  const match = /^(.*)\.js(\.map)?$/.exec(rel);
  return match ? join(root, `${match[1]}.ts`) : undefined;
}

/** Deletes compiled files whose source is gone (a deleted or renamed test must not run from dist/); returns a count. */
function removeOrphans(dir) {
  let removed = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // dist/web is the console's build, made by Vite from web/, not compiled file by file.
    if (path === webOut) continue;
    if (entry.isDirectory()) {
      removed += removeOrphans(path);
      if (readdirSync(path).length === 0) rmdirSync(path);
      continue;
    }
    const source = sourceOf(path);
    if (source !== undefined && !existsSync(source)) {
      rmSync(path, { force: true });
      removed += 1;
    }
  }
  return removed;
}

/** Whether some source has no compiled file: tsc's build-info does not notice outputs deleted by hand. */
function someOutputMissing() {
  const include = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).include ?? [];
  const missing = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name !== 'node_modules' && missing(path);
      return /(?<!\.d)\.ts$/.test(entry.name) && !existsSync(join(dist, relative(root, path)).replace(/\.ts$/, '.js'));
    });
  return include.some((folder) => existsSync(join(root, folder)) && missing(join(root, folder)));
}

const compileStarted = Date.now();
if (existsSync(dist)) removeOrphans(dist);
// New dependencies may change types, and tsc's check of what is up to date looks only at our sources.
if (dependenciesInstalled || someOutputMissing()) rmSync(join(dist, '.tsbuildinfo'), { force: true });
// Build mode with tsconfig's build-info file (dist/.tsbuildinfo): when no source is newer than it, tsc stops at once
// instead of parsing the whole program; deleting dist/ also forgets what was built.
const tscBin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const tsc = spawnSync(process.execPath, [tscBin, '-b', join(root, 'tsconfig.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  say('compiling TypeScript failed (errors above)');
  process.exit(1);
}
say(`TypeScript compiled in ${((Date.now() - compileStarted) / 1000).toFixed(1)}s`);

// The console (web/): its API types are generated from the OpenAPI document the code just compiled describes,
// then it is type-checked and built into dist/web. A stamp of everything the build reads lets a warm start skip it.
const webStarted = Date.now();
const web = join(root, 'web');
const stampFile = join(dist, 'web.stamp');
const generated = join(web, 'src', 'http', 'schema.gen.d.ts');
/** Files of web/ the build reads (the generated types are derived from the document, hashed instead). */
function webSources(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : webSources(path);
      return path === generated ? [] : [path];
    });
}
/** A hash of the console's inputs: web/'s files, the lock file, and `more` (what the API's types come from). */
function inputsHash(more) {
  const hash = createHash('sha256');
  hash.update(more);
  hash.update(readFileSync(lock));
  for (const file of webSources(web)) hash.update(`\0${relative(root, file)}\0`).update(readFileSync(file));
  return hash.digest('hex');
}
/** The last build's stamp: `quick` over tsc's build-info, `full` over the OpenAPI document itself. */
function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return {};
  }
}
// Loading the API to build its document takes about a second; tsc's build-info changes whenever any compiled
// source did, so an unchanged one (with web/ and the lock file unchanged) proves the build is current without it.
const previous = readStamp();
const built = existsSync(join(webOut, 'index.html')) && existsSync(generated);
const quick = inputsHash(existsSync(join(dist, '.tsbuildinfo')) ? readFileSync(join(dist, '.tsbuildinfo')) : '');
let openApi;
let full;
if (!built || previous.quick !== quick) {
  const { buildOpenApiDocument } = createRequire(import.meta.url)(join(dist, 'api', 'openapi', 'index.js'));
  openApi = JSON.stringify(buildOpenApiDocument());
  full = inputsHash(openApi);
}
if (built && (previous.quick === quick || previous.full === full)) {
  if (previous.quick !== quick) writeFileSync(stampFile, JSON.stringify({ quick, full }));
  say(`console up to date (dist/web), checked in ${((Date.now() - webStarted) / 1000).toFixed(1)}s`);
} else {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  writeFileSync(
    generated,
    `// Generated from Capstan's OpenAPI document by scripts/prepare.mjs; do not edit.\n${astToString(await openapiTS(JSON.parse(openApi)))}`,
  );
  rmSync(stampFile, { force: true });
  for (const [what, args] of [
    ['type-checking the console', [tscBin, '-p', join(web, 'tsconfig.json')]],
    [
      'building the console',
      [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', web],
    ],
  ]) {
    const step = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    if (step.status !== 0) {
      say(`${what} failed (errors above)`);
      process.exit(1);
    }
  }
  writeFileSync(stampFile, JSON.stringify({ quick, full }));
  say(`console built into dist/web in ${((Date.now() - webStarted) / 1000).toFixed(1)}s`);
}
