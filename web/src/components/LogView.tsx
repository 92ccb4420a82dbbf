/** A log as plain text (never markup), with the attempt it belongs to and how it ended. */
import { useEffect, useRef } from 'react';
import { useLogStream } from '../lib/log-stream';

/** A log followed live from `url`, shown as text with where it came from and how it ended. */
export function LogView(props: {
  url: string;
  title: string;
  /** Told which attempt (and worker) the log belongs to, once the stream says. */
  onAttempt?: (attempt: { attempt?: number; worker?: string }) => void;
}) {
  const { url, title, onAttempt } = props;
  const log = useLogStream(url);
  useEffect(() => {
    if (log.attempt) onAttempt?.(log.attempt);
  }, [log.attempt, onAttempt]);
  const box = useRef<HTMLPreElement>(null);
  const following = useRef(true);
  useEffect(() => {
    // Stays at the bottom while new lines arrive, unless the reader scrolled up to read.
    const el = box.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [log.text]);
  const status = log.error
    ? log.error
    : log.end
      ? log.end.state === 'no_log'
        ? (log.end.message ?? 'No log was kept.')
        : log.end.state === 'lost'
          ? 'The worker was lost; the log ends where it stopped writing.'
          : `Complete${log.end.cutLines ? ` (${log.end.cutLines} lines cut from the middle)` : ''}.`
      : log.attempt
        ? 'Following live…'
        : 'Waiting for the log…';
  return (
    <section className="log" aria-label={title}>
      <div className="log-head">
        <h3>{title}</h3>
        <span className="hint">
          {log.attempt?.attempt !== undefined && `attempt ${log.attempt.attempt}`}
          {log.attempt?.worker && ` · ${log.attempt.worker}`}
        </span>
      </div>
      <pre
        ref={box}
        className="log-text"
        tabIndex={0}
        data-testid="log-text"
        onScroll={(e) => {
          const el = e.currentTarget;
          following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {log.text}
      </pre>
      <p className="hint" aria-live="polite">
        {status}
      </p>
    </section>
  );
}
