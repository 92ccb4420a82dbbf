/** Follows a log with EventSource (`follow=true`): the cookie goes along, and the browser resumes by Last-Event-ID. */
import { useEffect, useState } from 'react';

/** What the log view shows: the text so far, the attempt it belongs to, and how the stream ended. */
export interface LogState {
  text: string;
  attempt?: { attempt?: number; worker?: string };
  end?: { state: 'ended' | 'lost' | 'no_log'; message?: string; cutLines?: number; cutBytes?: number };
  error?: string;
}

/** The log at `url` (an API path without query), followed live until the server sends `end`. */
export function useLogStream(url: string | undefined): LogState {
  const [state, setState] = useState<LogState>({ text: '' });
  useEffect(() => {
    setState({ text: '' });
    if (url === undefined) return;
    const source = new EventSource(`${url}${url.includes('?') ? '&' : '?'}follow=true`);
    source.addEventListener('attempt', (event) => {
      setState((s) => ({ ...s, attempt: JSON.parse((event as MessageEvent<string>).data) as LogState['attempt'] }));
    });
    source.addEventListener('log', (event) => {
      const chunk = JSON.parse((event as MessageEvent<string>).data) as string;
      setState((s) => ({ ...s, text: s.text + chunk }));
    });
    source.addEventListener('end', (event) => {
      // Closed here, or EventSource would reconnect to a finished stream and read it all again.
      source.close();
      setState((s) => ({ ...s, end: JSON.parse((event as MessageEvent<string>).data) as LogState['end'] }));
    });
    source.onerror = () => {
      // A refusal before the stream opened (404: no log, 401: signed out) closes it; a dropped stream reconnects.
      if (source.readyState === EventSource.CLOSED)
        setState((s) => (s.end ? s : { ...s, error: 'No log is available for this attempt yet.' }));
    };
    return () => source.close();
  }, [url]);
  return state;
}
