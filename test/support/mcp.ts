import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MCP_PATH } from '../../src/mcp/path.js';

/** An MCP client as agents use it: the official SDK's Client over Streamable HTTP, with the key in a header. */
export interface McpTestClient {
  client: Client;
  /** Calls a tool; refusals come back as results with isError, as an agent sees them. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** The HTTP response headers of the last request (the transport's fetch). */
  lastHeaders(): Headers | null;
  close(): Promise<void>;
}

export const mcpUrl = (server: { url: string }) => `${server.url}${MCP_PATH}`;

/** Connects (initialize + tools/list, so outputs are checked against the tools' schemas) with `headers`, e.g. the key. */
export async function connectMcp(server: { url: string }, headers: Record<string, string>): Promise<McpTestClient> {
  let last: Headers | null = null;
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl(server)), {
    requestInit: { headers },
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      last = response.headers;
      return response;
    },
  });
  const client = new Client({ name: 'stellar-tests', version: '1.0.0' });
  await client.connect(transport);
  await client.listTools();
  return {
    client,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    lastHeaders: () => last,
    close: () => client.close(),
  };
}

/** With a user key as agents send it. */
export const mcpClientFor = (server: { url: string }, secret: string) => connectMcp(server, { authorization: `Bearer ${secret}` });

/** The structured content of a successful call (fails the test on a refusal, with its error). */
export function structured<T = Record<string, unknown>>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool call refused: ${JSON.stringify(result.structuredContent ?? result.content)}`);
  return result.structuredContent as T;
}

/** The GraphQL-shaped error of a refused call. */
export function refusal(result: CallToolResult): { message: string; extensions: Record<string, unknown> & { code: string } } {
  if (!result.isError) throw new Error(`tool call was not refused: ${JSON.stringify(result.structuredContent)}`);
  return (result.structuredContent as { error: { message: string; extensions: Record<string, unknown> & { code: string } } }).error;
}
