/** Follows `GET /v1/runs/:id/events` while a run is open, turning its progress into live node states. */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

interface ProgressEvent {
  status: string;
  changes: Array<{ key: string; status: string }>;
}

/** Changes are gathered and drawn at most this often, so a busy run of thousands of nodes stays cheap. */
const FLUSH_MS = 300;
/** The run's details are asked again at most this often while changes arrive. */
const REFRESH_MS = 2000;

/**
 * Live node statuses by key; while the stream runs, changes also refresh the run's details (not its graph,
 * which the live statuses colour, and which is large for a large run).
 */
export function useRunEvents(runId: string, open: boolean): ReadonlyMap<string, string> {
  const client = useQueryClient();
  const [live, setLive] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    setLive(new Map());
  }, [runId]);
  useEffect(() => {
    if (!open) return;
    const source = new EventSource(`/v1/runs/${encodeURIComponent(runId)}/events`);
    const refresh = () =>
      void client.invalidateQueries({
        queryKey: ['run', runId],
        predicate: (query) => query.queryKey[2] !== 'graph',
      });
    let pending = new Map<string, string>();
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let lastRefresh = 0;
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      flushTimer = undefined;
      const changes = pending;
      pending = new Map();
      setLive((before) => {
        const next = new Map(before);
        for (const [key, status] of changes) next.set(key, status);
        return next;
      });
      if (refreshTimer === undefined) {
        const wait = Math.max(0, lastRefresh + REFRESH_MS - Date.now());
        refreshTimer = setTimeout(() => {
          refreshTimer = undefined;
          lastRefresh = Date.now();
          refresh();
        }, wait);
      }
    };
    source.addEventListener('progress', (event) => {
      const progress = JSON.parse((event as MessageEvent<string>).data) as ProgressEvent;
      if (progress.changes.length === 0) return;
      for (const change of progress.changes) pending.set(change.key, change.status);
      flushTimer ??= setTimeout(flush, FLUSH_MS);
    });
    source.addEventListener('end', () => {
      // Closed here, or EventSource would reconnect to a finished run's stream.
      source.close();
      if (flushTimer !== undefined) {
        clearTimeout(flushTimer);
        flush();
      }
      void client.invalidateQueries({ queryKey: ['run', runId] });
    });
    return () => {
      source.close();
      clearTimeout(flushTimer);
      clearTimeout(refreshTimer);
      // The run may close (ending this effect) before the stream's last changes arrive: the live states are
      // dropped, so they cannot hide the final ones, and the run and its graph are asked for once more.
      setLive(new Map());
      void client.invalidateQueries({ queryKey: ['run', runId] });
    };
  }, [runId, open, client]);
  return live;
}
