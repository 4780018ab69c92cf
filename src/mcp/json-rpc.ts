import type { FastifyReply } from 'fastify';
import type { RequestScope } from '../request-scope.js';

/** The JSON-RPC side of /mcp shared by the routes (./server.ts) and the lazily loaded handler (./handler.ts). */

/** JSON-RPC 2.0's codes (the values of the MCP SDK's ErrorCode, which ./handler.ts uses). */
export const JsonRpcError = { ParseError: -32700, InvalidRequest: -32600, InternalError: -32603 } as const;
/** JSON-RPC's own code for a message that is JSON but not a valid request. */
export const INVALID_REQUEST = JsonRpcError.InvalidRequest;
/** JSON-RPC's implementation-defined server error, which the SDK's transport also answers HTTP-level refusals with. */
export const SERVER_ERROR = -32000;

/** A request's scope on /mcp, with the headers a refused tool call adds to the HTTP response (Retry-After). */
export type McpScope = RequestScope & { refusalHeaders: Map<string, string> };

/** An HTTP-level refusal in the shape MCP clients read: a JSON-RPC error without an id. */
export function sendJsonRpcError(reply: FastifyReply, status: number, code: number, message: string, data?: Record<string, unknown>): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ jsonrpc: '2.0', error: { code, message, ...(data ? { data } : {}) }, id: null });
}
