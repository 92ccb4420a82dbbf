// Runs before `npm start` and `npm test`: installs dependencies when the lock file changed, then compiles.
// Plain JavaScript with no dependencies, because it runs before any are installed.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  process.stderr.write('[capstan] installing dependencies (npm ci) ...\n');
  try {
    execFileSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  } catch {
    // A registry mirror that lacks other platforms' optional packages (e.g. @swc/core-darwin-*) leaves
    // a lock file `npm ci` calls out of sync; `npm install --no-save` installs the same versions
    // from it without rewriting it.
    process.stderr.write('[capstan] npm ci refused the lock file; installing from it with npm install --no-save\n');
    execFileSync(npm, ['install', '--no-save', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  }
}
process.stderr.write('[capstan] compiling TypeScript ...\n');
// A fresh dist/: compiled files of deleted or renamed sources (old tests among them) must not linger.
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
