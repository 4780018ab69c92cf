import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { ErrorCode } from '../errors.js';
import { presentedKey, rateLimitHeaders } from '../http/headers.js';
import { createRequestScope, windowForHeaders } from '../request-scope.js';
import type { Runtime } from '../runtime.js';
import { compileTools } from './catalog.js';
import { INVALID_REQUEST, JsonRpcError, SERVER_ERROR, sendJsonRpcError, type McpScope } from './json-rpc.js';
import { MCP_PATH } from './path.js';

/**
 * The MCP server at /mcp: the official SDK's `Server` over Streamable HTTP, stateless (a fresh
 * server per request, answers as JSON, no sessions; docs/mcp.md says why). The HTTP side is ours:
 * the checks the SDK's web-standard transport makes, and a one-exchange transport under the SDK's
 * server (the SDK's transport cost ~430 µs a call in Request, Response and stream objects). Every
 * request is authenticated before its body is read; tool calls spend the same budget and reach the
 * same services as GraphQL, and refusals are tool results carrying the GraphQL error.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller's scope on /mcp (set before the body is read). */
    mcpScope: McpScope | null;
  }
}

export async function mcpRoutes(app: FastifyInstance, { rt, schema }: { rt: Runtime; schema: GraphQLSchema }): Promise<void> {
  const tools = compileTools(schema);
  // The MCP SDK (~0.2 s of CPU) loads in the background after the start, or with the first POST if sooner.
  let handler: Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>> | null = null;
  const loadHandler = () => (handler ??= import('./handler.js').then(({ createPostHandler }) => createPostHandler(rt, tools)));
  void rt.backgroundAfter.then(loadHandler).catch((err: unknown) => rt.logger.error({ err }, 'the MCP handler failed to load'));
  const allowedOrigins = new Set(rt.config.corsOrigins);

  app.decorateRequest('mcpScope', null);
  // JSON only: a text/plain body is refused (415) instead of being read as a string.
  app.removeContentTypeParser('text/plain');

  // Who is calling, before anything of the body is read or any MCP message is looked at.
  app.addHook('onRequest', async (request, reply) => {
    // A browser page of another origin must not reach a key-holding local client's server (DNS rebinding).
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      return sendJsonRpcError(reply, 403, SERVER_ERROR, `Origin ${origin} is not allowed (CORS_ORIGINS)`);
    }
    const caller = await rt.authenticator.identify(presentedKey(request.headers));
    if (caller.kind !== 'user') {
      const presented = caller.kind !== 'anonymous';
      reply.header('www-authenticate', `Bearer realm="stellar-memory"${presented ? ', error="invalid_token"' : ''}`);
      const message = caller.kind === 'admin' ? 'The admin key is not a user key: use an API key of an account' : 'A valid API key is required (Authorization: Bearer <key> or X-API-Key)';
      return sendJsonRpcError(reply, 401, SERVER_ERROR, message, { code: ErrorCode.UNAUTHENTICATED });
    }
    request.mcpScope = createRequestScope(rt, caller, String(request.id), { refusalHeaders: new Map<string, string>() });
  });

  // Every response to a user key carries its budget, as on /graphql.
  app.addHook('onSend', async (request, reply, payload) => {
    const scope = request.mcpScope ?? undefined;
    const window = await windowForHeaders(scope);
    for (const [name, value] of [...(window ? rateLimitHeaders(window) : []), ...(scope?.refusalHeaders ?? [])]) reply.header(name, value);
    return payload;
  });

  // Bodies Fastify refuses (too large, not JSON, wrong media type) get the JSON-RPC shape with Fastify's status.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'MCP request failed');
      return sendJsonRpcError(reply, 500, JsonRpcError.InternalError, 'Internal server error');
    }
    const code = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? JsonRpcError.ParseError : INVALID_REQUEST;
    return sendJsonRpcError(reply, status, code, error.message);
  });

  const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
    // Stateless: no stream to offer on GET, no session to end on DELETE.
    sendJsonRpcError(reply.header('allow', 'POST'), 405, SERVER_ERROR, 'Method not allowed: this server is stateless, send each message with POST');

  app.get(MCP_PATH, notAllowed);
  app.delete(MCP_PATH, notAllowed);
  app.post(MCP_PATH, async (request, reply) => (await loadHandler())(request, reply));
}
