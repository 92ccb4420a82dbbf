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
  const baseUrl = api.baseUrl;
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? authHeader(api) : { 'Content-Type': contentType, ...authHeader(api) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiCallError(
      0,
      'unreachable',
      `cannot reach the Capstan API at ${baseUrl} (set CAPSTAN_API_URL or --api): ${(err as Error).message}`,
    );
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = json?.error ?? {};
    const message: string = error.message ?? `HTTP ${response.status}`;
    if (response.status === 401 || response.status === 403)
      throw new ApiCallError(response.status, error.code ?? 'http_error', authMessage(api, response.status, message));
    const details = Array.isArray(error.details)
      ? error.details.map((d: { field: string; message: string }) => `\n  ${d.field}: ${d.message}`).join('')
      : '';
    throw new ApiCallError(response.status, error.code ?? 'http_error', `${message}${details}`);
  }
  return json as T;
}

/** Reads a server-sent-events stream, calling `onEvent` for each event until the server ends it. */
export async function followEvents(
  api: ApiTarget,
  path: string,
  onEvent: (event: string, data: unknown) => void,
): Promise<void> {
  const response = await fetch(`${api.baseUrl}${path}`, {
    headers: { Accept: 'text/event-stream', ...authHeader(api) },
  });
  if (response.status === 401 || response.status === 403) {
    const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    throw new ApiCallError(
      response.status,
      'stream_failed',
      authMessage(api, response.status, body?.error?.message ?? `HTTP ${response.status}`),
    );
  }
  if (!response.ok || !response.body)
    throw new ApiCallError(response.status, 'stream_failed', `cannot follow ${path}: HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) onEvent(event, JSON.parse(data));
    }
  }
}
