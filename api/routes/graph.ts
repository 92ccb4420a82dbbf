/** `GET /v1/runs/:id/graph`: a DAG run's graph with live node states, as SVG (default), Mermaid or JSON. */
import { Router } from 'express';
import { z } from 'zod';
import type { NodeStatus } from '../../workflows/contracts/dag-run';
import { dagSpecOf } from '../../workflows/dag/defaults';
import { buildPlan } from '../../workflows/dag/plan';
import { ApiError } from '../errors';
import { dagInputOf } from '../services/dag-run-data';
import { longestPathLayers, type DagGraph } from '../graph/layout';
import { renderMermaid } from '../graph/mermaid';
import { renderSvg } from '../graph/svg';
import { RunIdSchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import { getRun } from '../services/get-run';
import { runSummary } from '../services/run-views';
import { parseOr400 } from '../validate';

/** Query string of `GET /v1/runs/:id/graph`. */
export const GraphQuerySchema = z.strictObject({
  format: z.enum(['svg', 'mermaid', 'json']).default('svg'),
  states: z
    .enum(['all', 'none'])
    .default('all')
    .describe(
      "'none': the plan's shape only, every node shown pending, without asking the run for its states; " +
        'fast for a run of thousands of nodes, whose states come next with the default.',
    ),
});

/** Largest page of node states the DAG state query answers. */
const PAGE = 1000;

/** Routes that draw a DAG run's graph. */
export function graphRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/runs/:id/graph', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    res.locals.runId = runId;
    const { format, states } = parseOr400(GraphQuerySchema, req.query, 'query', 'query');
    const { graph, note } = states === 'none' ? await loadShape(deps, runId) : await loadGraph(deps, runId);
    // The states are live: a cached picture would show a run as it no longer is.
    res.setHeader('Cache-Control', 'no-store');
    if (format === 'json') {
      const layer = longestPathLayers(graph.nodes.map((n) => n.deps));
      res.json({
        nodes: graph.nodes.map((n, i) => ({ key: n.key, status: n.status, layer: layer[i] })),
        edges: graph.nodes.flatMap((n) => n.deps.map((d) => [graph.nodes[d]!.key, n.key])),
      });
    } else if (format === 'mermaid') {
      res.type('text/plain').send(renderMermaid(graph, note));
    } else {
      // Every text is escaped already; the policy is a second fence for an SVG opened straight in a browser.
      res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
      res.type('image/svg+xml').send(renderSvg(graph, { note }));
    }
  });
  return router;
}

/** The run's plan with every node pending: one describe and one history event, no state query of the run. */
async function loadShape(deps: ApiDeps, runId: string): Promise<{ graph: DagGraph; note: string }> {
  // An unknown run throws WorkflowNotFoundError, which the error mapping turns into 404 run_not_found.
  const { kind } = runSummary(await deps.client.workflow.getHandle(runId).describe());
  if (kind !== 'dag')
    throw new ApiError(409, 'not_a_dag', `run "${runId}" is a ${kind} run; only DAG runs have a graph`);
  const spec = dagSpecOf(await dagInputOf(deps, runId));
  const nodes = buildPlan(spec).nodes.map((n) => ({
    key: n.key,
    task: n.task,
    deps: n.deps,
    status: 'pending' as NodeStatus,
  }));
  return {
    graph: { name: spec.name, tasks: spec.tasks.map((t) => t.id), nodes },
    note: 'shape only: states not asked',
  };
}

/** The run's plan with each node's live status, and a note on the run for the picture's subtitle. */
async function loadGraph(deps: ApiDeps, runId: string): Promise<{ graph: DagGraph; note: string }> {
  const first = await getRun(deps, runId, { offset: 0, limit: PAGE });
  if (first.kind !== 'dag')
    throw new ApiError(409, 'not_a_dag', `run "${runId}" is a ${first.kind} run; only DAG runs have a graph`);
  const offsets: number[] = [];
  for (let offset = PAGE; offset < (first.dag?.total ?? 0); offset += PAGE) offsets.push(offset);
  const [input, pages] = await Promise.all([
    dagInputOf(deps, runId),
    Promise.all(offsets.map((offset) => getRun(deps, runId, { offset, limit: PAGE }))),
  ]);
  const status = new Map<string, NodeStatus>();
  for (const page of [first, ...pages]) for (const node of page.dag?.nodes ?? []) status.set(node.key, node.status);
  const spec = dagSpecOf(input);
  const plan = buildPlan(spec);
  const nodes = plan.nodes.map((n) => ({
    key: n.key,
    task: n.task,
    deps: n.deps,
    status: status.get(n.key) ?? 'pending',
  }));
  const unknown = plan.nodes.length - plan.nodes.filter((n) => status.has(n.key)).length;
  const notes = [`run ${first.status}`];
  // No orchestrator answered the state query: the shape is still worth drawing, but say the colours are guesses.
  if (unknown > 0)
    notes.push(
      `state of ${unknown} node${unknown === 1 ? '' : 's'} unknown (no orchestrator answered), shown as pending`,
    );
  return { graph: { name: spec.name, tasks: spec.tasks.map((t) => t.id), nodes }, note: notes.join(' · ') };
}
