// The UI's only way to the server: same-origin requests with the bearer token the user entered
// (kept in localStorage). Every response is checked; errors carry the server's message.

const TOKEN_KEY = 'malgram.token';

export function getToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

function headers(contentType?: string): Record<string, string> {
  const h: Record<string, string> = {};
  const token = getToken();
  if (token) h.Authorization = `Bearer ${token}`;
  if (contentType) h['Content-Type'] = contentType;
  return h;
}

async function handle<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  if (!res.ok) {
    // the server answers errors as {"error": "message"}
    const msg =
      body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : text;
    throw new ApiError(res.status, `${res.status}: ${msg || res.statusText}`, body);
  }
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return handle<T>(await fetch(path, { headers: headers() }));
}

export async function send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return handle<T>(
    await fetch(path, {
      method,
      headers: headers(body === undefined ? undefined : 'application/json'),
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

/** PUT of a text document (a rule as YAML). */
export async function putText<T>(path: string, text: string, contentType: string): Promise<T> {
  return handle<T>(await fetch(path, { method: 'PUT', headers: headers(contentType), body: text }));
}

/**
 * Server-Sent Events through fetch (EventSource cannot send an Authorization header).
 * Calls `onEvent` with each event's parsed data; returns a function that stops listening.
 */
export function subscribe(
  path: string,
  onEvent: (data: unknown) => void,
  onError: (e: Error) => void,
  onOpen?: () => void,
): () => void {
  const ctrl = new AbortController();
  (async () => {
    const res = await fetch(path, {
      headers: { ...headers(), Accept: 'text/event-stream' },
      signal: ctrl.signal,
    });
    if (!res.ok) await handle(res); // throws with the server's message
    if (!res.body) throw new ApiError(res.status, `${res.status}: no event stream`, null);
    onOpen?.();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data) {
          try {
            onEvent(JSON.parse(data));
          } catch {
            // a non-JSON keep-alive: ignore
          }
        }
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch((e: Error) => {
    if (e.name !== 'AbortError') onError(e);
  });
  return () => ctrl.abort();
}
