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
import type { FastifyReply, FastifyRequest } from 'fastify';
import packageJson from '../../package.json' with { type: 'json' };
import { clientError, isUnexpected, responseHeadersOf } from '../errors.js';
import { countRefusal } from '../metrics.js';
import { chargeRequest } from '../request-scope.js';
import type { Runtime } from '../runtime.js';
import type { CompiledTool } from './catalog.js';
import { coerceArguments } from './graphql-types.js';
import { INVALID_REQUEST, SERVER_ERROR, sendJsonRpcError, type McpScope } from './json-rpc.js';

/**
 * The part of /mcp that needs the MCP SDK (its Server and message schemas): loaded by
 * src/mcp/server.ts once the server listens, or by the first POST /mcp if that comes first.
 */

const SERVER_INFO = { name: 'stellar-memory', title: 'Stellar Memory', version: packageJson.version };

const INSTRUCTIONS =
  'Long-term memory for this user, kept between conversations. Before answering anything that may depend on what the user said before ' +
  '(names, preferences, plans, decisions), call recall with the question. When the user tells you something worth knowing later, call ' +
  'remember with one self-contained fact. Use forget when asked to forget, or when a memory proved wrong. A refused call says why in ' +
  'error.extensions.code: RATE_LIMITED (wait retryAfterSeconds), QUOTA_EXCEEDED (the plan is full), BAD_USER_INPUT (fix error.extensions.field).';

/** The POST /mcp handler over the compiled tools, with one JSON Schema validator for every per-request server. */
export function createPostHandler(rt: Runtime, tools: Map<string, CompiledTool>): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  const toolList = [...tools.values()].map((compiled) => compiled.tool);
  // One validator for every per-request server: building one costs far more than a request.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  return async (request, reply) => {
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
  };
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

