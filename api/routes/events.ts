/** `GET /v1/runs/:id/events`: a server-sent-events stream of a run's progress, for clients that follow it live. */
import { Router } from 'express';
import { RunIdSchema } from '../schemas';
import type { ApiDeps } from '../services/deps';
import type { LogTail } from '../../workflows/contracts/log-tail';
import { getRun, type RunDetail } from '../services/get-run';
import { parseOr400 } from '../validate';

/** How often the stream looks at the run; Temporal is the source of truth, so this is a poll. */
const POLL_MS = 1000;

/** One progress event: the run's status and counts, and the nodes that changed since the last event. */
export interface ProgressEvent {
  runId: string;
  status: RunDetail['status'];
  counts?: Record<string, number>;
  changes: Array<{
    key: string;
    status: string;
    attempts?: number;
    worker?: string;
    exitCode?: number;
    message?: string;
    /** A failed node's last lines of output. */
    logTail?: LogTail;
    /** Succeeded in the run a retry started from, so it has no log in this one. */
    reused?: boolean;
  }>;
  failure?: RunDetail['failure'];
  webUiUrl?: string;
}

/** Routes that stream run progress. */
export function eventRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/runs/:id/events', async (req, res) => {
    const runId = parseOr400(RunIdSchema, req.params.id, 'run id', 'id');
    res.locals.runId = runId;
    let detail = await getRun(deps, runId); // an unknown run is a 404 before the stream opens
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    let closed = false;
    req.on('close', () => {
      closed = true;
    });
    const seen = new Map<string, string>();
    for (;;) {
      const event = progressOf(detail, seen);
      if (event.changes.length > 0 || seen.size === 0 || detail.status !== 'running') {
        res.write(`event: progress\ndata: ${JSON.stringify(event)}\n\n`);
      }
      if (detail.status !== 'running') {
        res.write(`event: end\ndata: ${JSON.stringify({ runId, status: detail.status })}\n\n`);
        return res.end();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (closed) return;
      detail = await getRun(deps, runId);
    }
  });
  return router;
}

/** Builds the event and remembers what was sent, so only changes travel. */
function progressOf(detail: RunDetail, seen: Map<string, string>): ProgressEvent {
  const nodes = detail.dag?.nodes ?? [
    {
      key: detail.runId,
      status: detail.status === 'running' ? (detail.live?.phase ?? 'running') : detail.status,
      ...(detail.result
        ? { attempts: detail.result.attempts, worker: detail.result.worker, exitCode: detail.result.exitCode }
        : {}),
    },
  ];
  const changes = nodes
    .filter((n) => {
      const fingerprint = `${n.status}/${'attempts' in n ? n.attempts : ''}`;
      if (seen.get(n.key) === fingerprint) return false;
      seen.set(n.key, fingerprint);
      return true;
    })
    .map((n) => ({
      key: n.key,
      status: n.status,
      ...('attempts' in n && n.attempts !== undefined ? { attempts: n.attempts } : {}),
      ...('worker' in n && n.worker ? { worker: n.worker } : {}),
      ...('exitCode' in n && n.exitCode !== undefined ? { exitCode: n.exitCode } : {}),
      ...('message' in n && n.message ? { message: n.message } : {}),
      ...('logTail' in n && n.logTail ? { logTail: n.logTail } : {}),
      ...('reused' in n && n.reused ? { reused: true } : {}),
    }));
  return {
    runId: detail.runId,
    status: detail.status,
    changes,
    ...(detail.dag ? { counts: detail.dag.counts } : {}),
    ...(detail.failure ? { failure: detail.failure } : {}),
    ...(detail.webUiUrl ? { webUiUrl: detail.webUiUrl } : {}),
  };
}
