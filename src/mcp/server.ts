import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ErrorCode as JsonRpcError,
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  JSONRPCMessageSchema,
  ListToolsRequestSchema,
  McpError,
  SUPPORTED_PROTOCOL_VERSIONS,
  type CallToolResult,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import packageJson from '../../package.json' with { type: 'json' };
import { clientError, ErrorCode, isUnexpected, responseHeadersOf } from '../errors.js';
import { presentedKey, rateLimitHeaders } from '../http/headers.js';
import { countRefusal } from '../metrics.js';
import { chargeRequest, createRequestScope, windowForHeaders, type RequestScope } from '../request-scope.js';
import type { Runtime } from '../runtime.js';
import { compileTools, type CompiledTool } from './catalog.js';
import { MCP_PATH } from './path.js';
import { coerceArguments } from './graphql-types.js';

/**
 * The MCP server at /mcp: the official SDK's `Server` over Streamable HTTP, stateless (a fresh
 * server per request, answers as JSON, no sessions; docs/mcp.md says why). The HTTP side is ours:
 * the checks the SDK's web-standard transport makes, and a one-exchange transport under the SDK's
 * server (the SDK's transport cost ~430 µs a call in Request, Response and stream objects). Every
 * request is authenticated before its body is read; tool calls spend the same budget and reach the
 * same services as GraphQL, and refusals are tool results carrying the GraphQL error.
 */

const SERVER_INFO = { name: 'stellar-memory', title: 'Stellar Memory', version: packageJson.version };

const INSTRUCTIONS =
  'Long-term memory for this user, kept between conversations. Before answering anything that may depend on what the user said before ' +
  '(names, preferences, plans, decisions), call recall with the question. When the user tells you something worth knowing later, call ' +
  'remember with one self-contained fact. Use forget when asked to forget, or when a memory proved wrong. A refused call says why in ' +
  'error.extensions.code: RATE_LIMITED (wait retryAfterSeconds), QUOTA_EXCEEDED (the plan is full), BAD_USER_INPUT (fix error.extensions.field).';

/** JSON-RPC's own code for a message that is JSON but not a valid request. */
const INVALID_REQUEST = JsonRpcError.InvalidRequest;
/** JSON-RPC's implementation-defined server error, which the SDK's transport also answers HTTP-level refusals with. */
const SERVER_ERROR = -32000;

/** A request's scope on /mcp, with the headers a refused tool call adds to the HTTP response (Retry-After). */
type McpScope = RequestScope & { refusalHeaders: Map<string, string> };

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller's scope on /mcp (set before the body is read). */
    mcpScope: McpScope | null;
  }
}

/** An HTTP-level refusal in the shape MCP clients read: a JSON-RPC error without an id. */
function sendJsonRpcError(reply: FastifyReply, status: number, code: number, message: string, data?: Record<string, unknown>): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ jsonrpc: '2.0', error: { code, message, ...(data ? { data } : {}) }, id: null });
}

export async function mcpRoutes(app: FastifyInstance, { rt, schema }: { rt: Runtime; schema: GraphQLSchema }): Promise<void> {
  const tools = compileTools(schema);
  const toolList = [...tools.values()].map((compiled) => compiled.tool);
  // One validator for every per-request server: building one costs far more than a request.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
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
  app.post(MCP_PATH, async (request, reply) => {
    const scope = request.mcpScope!;
    const message = request.body;
    // One message per request (MCP 2025-06-18 dropped JSON-RPC batches); and only JSON-RPC 2.0 messages.
    if (Array.isArray(message)) return sendJsonRpcError(reply, 400, INVALID_REQUEST, 'Invalid Request: send one JSON-RPC message per request, not a batch');
    if (!JSONRPCMessageSchema.safeParse(message).success) return sendJsonRpcError(reply, 400, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message');

    // The HTTP side of Streamable HTTP for a stateless server answering in JSON (what the SDK's
    // web-standard transport checks, without its Request/Response/stream objects per call).
    const accept = request.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return sendJsonRpcError(reply, 406, SERVER_ERROR, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    const version = request.headers['mcp-protocol-version'];
    if (!isInitializeRequest(message) && version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(String(version))) {
      return sendJsonRpcError(reply, 400, SERVER_ERROR, `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    }
    const server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS, jsonSchemaValidator });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: toolList }));
    server.setRequestHandler(CallToolRequestSchema, async ({ params }) => {
      const tool = tools.get(params.name);
      if (!tool) throw new McpError(JsonRpcError.InvalidParams, `Unknown tool: ${params.name.slice(0, 64)}`);
      return callTool(rt, scope, tool, params.arguments);
    });
    const exchange = new ExchangeTransport();
    await server.connect(exchange);
    // Not closed afterwards: the exchange holds nothing once answered, and closing builds a
    // "connection closed" error (with its stack) for every request.
    if (!isJSONRPCRequest(message)) {
      exchange.deliver(message as JSONRPCMessage);
      return reply.code(202).send();
    }
    const answer = await exchange.exchange(message);
    return reply.code(200).type('application/json').send(JSON.stringify(answer));
  });
}

/**
 * A transport for one HTTP request: hands the server the request's message and resolves with the
 * server's answer to it (a result or an error with its id). Messages the server sends along the way
 * (none today: no tool reports progress) are dropped, as a stateless JSON answer has no room for them.
 */
class ExchangeTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private pending: { id: string | number; resolve(message: JSONRPCMessage): void } | null = null;

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.pending && (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id === this.pending.id) {
      this.pending.resolve(message);
      this.pending = null;
    }
  }

  async close(): Promise<void> {
    this.onclose?.();
  }

  deliver(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }

  exchange(message: JSONRPCMessage & { id: string | number }): Promise<JSONRPCMessage> {
    const answer = new Promise<JSONRPCMessage>((resolve) => (this.pending = { id: message.id, resolve }));
    this.deliver(message);
    return answer;
  }
}

/**
 * One tool call: the twin's cost first (nothing runs when the budget is spent), then the arguments
 * coerced as GraphQL would, the service, and the answer serialized as GraphQL would. A refusal is a
 * tool result with isError and the error as GraphQL answers it (src/errors.ts, clientError) in its
 * structured content; an unexpected failure is logged with its stack, never with the arguments.
 */
async function callTool(rt: Runtime, scope: McpScope, compiled: CompiledTool, args: Record<string, unknown> | undefined): Promise<CallToolResult> {
  const started = performance.now();
  const { definition } = compiled;
  let outcome = 'ok';
  try {
    await chargeRequest(scope, compiled.cost);
    const value = await definition.run(scope, coerceArguments(compiled.argumentsType, args));
    const result = compiled.serialize(value);
    if (scope.warnings.length > 0) result.warnings = scope.warnings;
    return { content: [{ type: 'text', text: definition.render(result) }], structuredContent: result };
  } catch (err) {
    if (isUnexpected(err)) rt.logger.error({ requestId: scope.requestId, tool: definition.name, err }, 'MCP tool call failed');
    const error = clientError(err, rt.config.isProduction);
    // The same Retry-After GraphQL's 429 carries; the HTTP status stays 200, since the JSON-RPC call itself succeeded.
    for (const [name, value] of responseHeadersOf(err)) scope.refusalHeaders.set(name, value);
    outcome = String(error.extensions.code);
    const tier = (await scope.entitlement().catch(() => null))?.tier ?? 'unknown';
    countRefusal(rt.metrics, tier, error.extensions);
    return { isError: true, content: [{ type: 'text', text: `${outcome}: ${error.message}` }], structuredContent: { error } };
  } finally {
    rt.metrics.mcpToolDuration.observe({ tool: definition.name, outcome }, (performance.now() - started) / 1000);
  }
}

