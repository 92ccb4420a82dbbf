/** Reads the pipeline file of a repository at one commit with the real `git`, from a local path or a remote URL. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiError } from '../errors';

const run = promisify(execFile);

/** Where a repository keeps its pipeline unless it says otherwise. */
export const DEFAULT_PIPELINE_PATH = '.capstan/pipeline.yaml';

/** The text of `path` at commit `sha` of `cloneUrl`; 422 naming what is missing when the commit or file cannot be read. */
export async function readPipelineFile(cloneUrl: string, sha: string, path: string): Promise<string> {
  // A throwaway bare repository: fetching one commit works for any commit of a local path or a remote.
  const dir = await mkdtemp(join(tmpdir(), 'capstan-pipeline-'));
  const git = (...args: string[]) =>
    run('git', ['-C', dir, ...args], { maxBuffer: 8 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  try {
    await git('init', '--quiet', '--bare');
    try {
      await git('fetch', '--quiet', '--depth=1', cloneUrl, sha);
    } catch (err) {
      throw new ApiError(422, 'commit_unreachable', `cannot fetch commit ${sha} from ${cloneUrl}: ${firstLine(err)}`, [
        { field: 'sha', message: 'not fetchable from the repository' },
      ]);
    }
    try {
      return (await git('show', `FETCH_HEAD:${path}`)).stdout;
    } catch {
      throw new ApiError(422, 'pipeline_not_found', `commit ${sha} has no pipeline file at ${path}`, [
        { field: 'pipelinePath', message: `no file ${path} at that commit` },
      ]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function firstLine(err: unknown): string {
  const text = (err as { stderr?: string }).stderr || (err as Error).message;
  return text.trim().split('\n').pop() ?? '';
}
