// Shared base for the loopback fakes: a node:http server on 127.0.0.1 with a route table, a
// request recorder and failure injection. Each provider fake supplies its own error bodies so
// failures look exactly like the provider's.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  rawBody: string;
  /** The body as the provider would parse it (JSON or form), or undefined when empty/unparsable. */
  body: unknown;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FailMode = 'stall' | 'error500' | 'throttle' | 'ok';

export interface FailOptions {
  /** How many matching requests fail before the fake recovers; unlimited when omitted. */
  times?: number;
  /** Path prefixes the failure applies to; every path when omitted. */
  paths?: string[];
}

export interface FakeServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:12345 */
  readonly url: string;
  readonly port: number;
  /** Every request received, failed ones included, oldest first. */
  readonly requests: RecordedRequest[];
  lastRequest(method: string, pathPrefix: string): RecordedRequest | undefined;
  fail(mode: FailMode, options?: FailOptions): void;
  /** Clears recordings, failure modes and the fake's one-shot controls; stored resources stay. */
  reset(): void;
  /** Stops listening and destroys every socket, stalled ones included. */
  close(): Promise<void>;
}

export type RouteHandler = (
  req: RecordedRequest,
  params: Record<string, string>,
) => FakeReply | Promise<FakeReply>;

export interface Route {
  method: string;
  /** Path with `:name` segments, e.g. /v1/subscriptions/:id */
  pattern: string;
  handler: RouteHandler;
}

export interface FakeServerOptions {
  routes: Route[];
  /** Provider-style 500 reply used by fail('error500'). */
  serverError: () => FakeReply;
  /** Provider-style 429 reply used by fail('throttle'). */
  throttled?: () => FakeReply;
  /** Reply for a path no route matches. */
  notFound: (req: RecordedRequest) => FakeReply;
  /** Returns an error reply when the request is not authenticated, undefined otherwise. */
  authenticate?: (req: RecordedRequest) => FakeReply | undefined;
  parseBody?: (rawBody: string, contentType: string) => unknown;
  parseQuery?: (search: string) => Record<string, unknown>;
  /** Default Content-Type of replies. */
  contentType?: string;
  onReset?: () => void;
}

interface FailureState {
  mode: Exclude<FailMode, 'ok'>;
  remaining: number | undefined;
  paths: string[] | undefined;
}

export function parseJsonBody(rawBody: string): unknown {
  if (rawBody === '') return undefined;
  try {
    return JSON.parse(rawBody) as unknown;
  } catch {
    return undefined;
  }
}

function parseFlatQuery(search: string): Record<string, unknown> {
  return Object.fromEntries(new URLSearchParams(search));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string;
    const actual = got[i] as string;
    if (segment.startsWith(':')) {
      if (actual === '') return undefined;
      params[segment.slice(1)] = decodeURIComponent(actual);
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return params;
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  let failure: FailureState | undefined;
  const parseBody = options.parseBody ?? ((raw: string) => parseJsonBody(raw));
  const parseQuery = options.parseQuery ?? parseFlatQuery;
  const contentType = options.contentType ?? 'application/json';

  // Decides whether this request is hit by the injected failure, consuming one of `times`.
  function takeFailure(path: string): FailureState['mode'] | undefined {
    if (!failure) return undefined;
    if (failure.paths && !failure.paths.some((prefix) => path.startsWith(prefix))) return undefined;
    const { mode } = failure;
    if (failure.remaining !== undefined && --failure.remaining <= 0) failure = undefined;
    return mode;
  }

  async function route(recorded: RecordedRequest): Promise<FakeReply> {
    for (const candidate of options.routes) {
      if (candidate.method !== recorded.method) continue;
      const params = matchPattern(candidate.pattern, recorded.path);
      if (!params) continue;
      const denied = options.authenticate?.(recorded);
      return denied ?? (await candidate.handler(recorded, params));
    }
    return options.authenticate?.(recorded) ?? options.notFound(recorded);
  }

  function send(res: ServerResponse, reply: FakeReply): void {
    const headers = { 'content-type': contentType, ...reply.headers };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...headers, 'content-length': Buffer.byteLength(text) }).end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const headers = flattenHeaders(req);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: parseQuery(url.search.slice(1)),
      headers,
      rawBody,
      body: parseBody(rawBody, headers['content-type'] ?? ''),
    };
    requests.push(recorded);
    const injected = takeFailure(recorded.path);
    // A stalled request is left unanswered on purpose; close() destroys its socket.
    if (injected === 'stall') return;
    if (injected === 'throttle') return send(res, options.throttled?.() ?? { status: 429, body: { error: 'too many requests' } });
    send(res, injected === 'error500' ? options.serverError() : await route(recorded));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, { status: 500, body: { fakeServerError: String(error) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    lastRequest(method, pathPrefix) {
      const upper = method.toUpperCase();
      return requests.findLast((r) => r.method === upper && r.path.startsWith(pathPrefix));
    },
    fail(mode, failOptions = {}) {
      failure =
        mode === 'ok' ? undefined : { mode, remaining: failOptions.times, paths: failOptions.paths };
    },
    reset() {
      requests.length = 0;
      failure = undefined;
      options.onReset?.();
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
