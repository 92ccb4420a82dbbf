/** A small client of Capstan's HTTP API for the command line: JSON calls and the server-sent-events stream. */

/** An answer of the API that was not a success; the message is the API's own. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where the API is and the token to call it with. */
export interface ApiTarget {
  baseUrl: string;
  token?: string;
}

function authHeader(api: ApiTarget): Record<string, string> {
  return api.token ? { Authorization: `Bearer ${api.token}` } : {};
}

/** The API's refusal of a token, said with what to do about it. */
function authMessage(api: ApiTarget, status: number, apiMessage: string): string {
  if (status === 401) {
    return api.token
      ? `the API refused the token: ${apiMessage}`
      : 'the API needs a token: set CAPSTAN_TOKEN or pass --token';
  }
  return `the token may not do this: ${apiMessage}`;
}

/** Calls the API and returns its JSON, or throws ApiCallError with the API's error message. */
export async function callApi<T>(
  api: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: body === undefined ? authHeader(api) : { 'Content-Type': contentType, ...authHeader(api) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  } catch (err) {
    throw unreachable(api, err);
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw errorOf(api, response.status, json);
  return json as T;
}

function unreachable(api: ApiTarget, err: unknown): ApiCallError {
  const message = `cannot reach the Capstan API at ${api.baseUrl} (set CAPSTAN_API_URL or --api): ${(err as Error).message}`;
  return new ApiCallError(0, 'unreachable', message);
}

/** The ApiCallError for a refused call, with the API's message (and the fields it named) or the HTTP status. */
function errorOf(api: ApiTarget, status: number, json: unknown): ApiCallError {
  const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error ?? {};
  const message = error.message ?? `HTTP ${status}`;
  const code = error.code ?? 'http_error';
  if (status === 401 || status === 403) return new ApiCallError(status, code, authMessage(api, status, message));
  const details = Array.isArray(error.details)
    ? error.details.map((d: { field: string; message: string }) => `\n  ${d.field}: ${d.message}`).join('')
    : '';
  return new ApiCallError(status, code, `${message}${details}`);
}

/** Starts a GET whose body the caller reads as it arrives; a refusal throws ApiCallError with the API's message. */
export async function openStream(
  api: ApiTarget,
  path: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response & { body: ReadableStream<Uint8Array> }> {
  let response: Response;
  try {
    response = await fetch(`${api.baseUrl}${path}`, { headers: { ...headers, ...authHeader(api) }, signal });
  } catch (err) {
    throw unreachable(api, err);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined; // a proxy's HTML page: the status says enough
    }
    throw errorOf(api, response.status, json);
  }
  if (!response.body) throw new ApiCallError(response.status, 'stream_failed', `no body from ${path}`);
  return response as Response & { body: ReadableStream<Uint8Array> };
}

/** How a stream is followed. */
export interface FollowOptions {
  /** Resumes after this event (sent as Last-Event-ID). */
  lastEventId?: string;
  /** A stream silent this long is taken as dropped (log streams send a keep-alive every 15 s); default: never. */
  idleTimeoutMs?: number;
}

/**
 * Reads a server-sent-events stream, calling `onEvent` for each event (and waiting for it, so a slow
 * consumer slows the stream rather than piling events up) until the server ends it.
 */
export async function followEvents(
  api: ApiTarget,
  path: string,
  onEvent: (event: string, data: unknown, id?: string) => void | Promise<void>,
  options: FollowOptions = {},
): Promise<void> {
  const abort = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    if (options.idleTimeoutMs !== undefined) idle = setTimeout(() => abort.abort(), options.idleTimeoutMs);
  };
  arm();
  try {
    const response = await openStream(
      api,
      path,
      { Accept: 'text/event-stream', ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}) },
      abort.signal,
    );
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      clearTimeout(idle); // time spent in onEvent (a slow reader of our output) is not silence of the stream
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        const id = /^id: ?(.*)$/m.exec(block)?.[1];
        if (data !== undefined) await onEvent(event, JSON.parse(data), id);
      }
      arm();
    }
  } finally {
    clearTimeout(idle);
  }
}
