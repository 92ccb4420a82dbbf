/** Follows `GET /v1/runs/:id/events` while a run is open, turning its progress into live node states. */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

interface ProgressEvent {
  status: string;
  changes: Array<{ key: string; status: string }>;
}

/** Live node statuses by key; while the stream runs, each change also refreshes the run's details. */
export function useRunEvents(runId: string, open: boolean): ReadonlyMap<string, string> {
  const client = useQueryClient();
  const [live, setLive] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    setLive(new Map());
  }, [runId]);
  useEffect(() => {
    if (!open) return;
    const source = new EventSource(`/v1/runs/${encodeURIComponent(runId)}/events`);
    const refresh = () => void client.invalidateQueries({ queryKey: ['run', runId] });
    source.addEventListener('progress', (event) => {
      const progress = JSON.parse((event as MessageEvent<string>).data) as ProgressEvent;
      if (progress.changes.length === 0) return;
      setLive((before) => {
        const next = new Map(before);
        for (const change of progress.changes) next.set(change.key, change.status);
        return next;
      });
      refresh();
    });
    source.addEventListener('end', () => {
      // Closed here, or EventSource would reconnect to a finished run's stream.
      source.close();
      refresh();
    });
    return () => source.close();
  }, [runId, open, client]);
  return live;
}
