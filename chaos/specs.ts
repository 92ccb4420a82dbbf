/**
 * The mixed load's run specs: tasks, DAGs across both classes (some passing a large output through
 * the output store) and pipelines whose artifact crosses classes. A run meant to fail exits with
 * PURPOSE_EXIT_CODE, so its failure can be told apart from one the chaos caused.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The exit code of every failure made on purpose. */
export const PURPOSE_EXIT_CODE = 37;

/** The kinds of run in the load. */
export type RunKind = 'task' | 'dag' | 'pipeline';

/** One start request of the load. */
export interface PlannedRun {
  kind: RunKind;
  /** Made to fail (exit 37): counted as failed on purpose when it fails so. */
  onPurpose: boolean;
  path: string;
  body: unknown;
}

/** A git repository with the load's two pipelines, committed; returns how to start them. */
export function makePipelineRepo(dir: string): { cloneUrl: string; sha: string } {
  mkdirSync(join(dir, '.capstan'), { recursive: true });
  const pipeline = (shipStep: string) => `name: chaos
on: { manual: true }
jobs:
  build:
    runs-on: a
    steps:
      - run: mkdir -p dist && echo "built on a" > dist/app.txt && sleep 2
      - upload-artifact: { name: app, path: dist }
  ship:
    runs-on: b
    needs: [build]
    steps:
      - download-artifact: { name: app, path: got }
      - run: cat got/dist/app.txt
      - run: ${shipStep}
`;
  writeFileSync(join(dir, '.capstan', 'ok.yaml'), pipeline('sleep 3 && echo shipped'));
  writeFileSync(join(dir, '.capstan', 'fail.yaml'), pipeline(`sleep 1 && exit ${PURPOSE_EXIT_CODE}`));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'chaos',
        GIT_AUTHOR_EMAIL: 'c@x',
        GIT_COMMITTER_NAME: 'chaos',
        GIT_COMMITTER_EMAIL: 'c@x',
      },
    })
      .toString()
      .trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'chaos pipelines');
  return { cloneUrl: dir, sha: git('rev-parse', 'HEAD') };
}

/** Draws the next run of the load: tasks half the time, DAGs 30 %, pipelines 20 %; a fifth of each made to fail. */
export function nextRun(random: () => number, repo: { cloneUrl: string; sha: string }): PlannedRun {
  const onPurpose = random() < 0.2;
  const seconds = 1 + Math.floor(random() * 12);
  const cls = random() < 0.5 ? 'a' : 'b';
  const pick = random();
  if (pick < 0.5) {
    return {
      kind: 'task',
      onPurpose,
      path: '/v1/tasks',
      body: {
        name: onPurpose ? 'chaos-fails' : 'chaos-task',
        nodeClass: cls,
        command: onPurpose ? `sleep ${seconds}; exit ${PURPOSE_EXIT_CODE}` : `sleep ${seconds}; echo ok`,
        // A failing task is tried twice: two metered attempts of one run.
        ...(onPurpose ? { retry: { maxAttempts: 2, initialIntervalSeconds: 1 } } : {}),
      },
    };
  }
  if (pick < 0.8) {
    const big = random() < 0.33;
    const make = big
      ? `sleep ${seconds}\nv=$(head -c 300000 /dev/urandom | base64 -w0)\necho "v=$v" >> "$CAPSTAN_OUTPUT"`
      : `sleep ${seconds}\necho "v=hello" >> "$CAPSTAN_OUTPUT"`;
    return {
      kind: 'dag',
      onPurpose,
      path: '/v1/dags',
      body: {
        name: onPurpose ? 'chaos-dag-fails' : big ? 'chaos-dag-big' : 'chaos-dag',
        tasks: [
          { id: 'make', nodeClass: 'a', script: make },
          {
            id: 'use',
            nodeClass: 'b',
            dependsOn: ['make'],
            script: 'v=$(cat <<\'EOF\'\n${{ tasks.make.outputs.v }}\nEOF\n)\necho "read ${#v} bytes"',
          },
          {
            id: 'side',
            nodeClass: cls,
            dependsOn: ['make'],
            script: onPurpose ? `sleep 1\nexit ${PURPOSE_EXIT_CODE}` : 'sleep 2\necho side',
          },
        ],
      },
    };
  }
  return {
    kind: 'pipeline',
    onPurpose,
    path: '/v1/pipelines/runs',
    body: {
      repository: 'chaos/load',
      cloneUrl: repo.cloneUrl,
      sha: repo.sha,
      branch: 'main',
      pipelinePath: onPurpose ? '.capstan/fail.yaml' : '.capstan/ok.yaml',
    },
  };
}
