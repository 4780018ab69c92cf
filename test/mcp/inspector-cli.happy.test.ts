import { describe, expect, it } from 'vitest';
import { StoreMemoryDocument } from '../../sdk/index.js';
import { useUser } from '../support/accounts.js';
import { mcpUrl } from '../support/mcp.js';
import { useTestServer } from '../support/server.js';
import { runCommand } from '../support/spawn.js';

/**
 * A client this project did not write: the MCP Inspector's CLI (a pinned devDependency, run
 * through npx with installs and the registry forbidden, so nothing is downloaded) lists the tools
 * and calls recall against a running server.
 */

const ctx = useTestServer();
const user = useUser(ctx);

async function inspector(...args: string[]): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await runCommand(
    'npx',
    ['--no', '--', '@modelcontextprotocol/inspector', '--cli', mcpUrl(ctx.server), '--transport', 'http', '--header', `Authorization: Bearer ${user.secret}`, ...args],
    { env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' } },
  );
  if (code !== 0) throw new Error(`inspector exited with ${code}:\n${stderr}\n${stdout}`);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('the MCP Inspector CLI', () => {
  it('lists the tools', { timeout: 90_000 }, async () => {
    const { tools } = (await inspector('--method', 'tools/list')) as { tools: { name: string; inputSchema: unknown }[] };
    expect(tools.map((t) => t.name).sort()).toEqual(['forget', 'list_agents', 'list_memories', 'recall', 'remember', 'remember_many', 'usage']);
  });

  it('calls recall and gets the stored memory back', { timeout: 90_000 }, async () => {
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'The inspector found the lighthouse keeper' } });
    const result = (await inspector('--method', 'tools/call', '--tool-name', 'recall', '--tool-arg', 'query=lighthouse keeper', '--tool-arg', 'limit=3')) as {
      isError?: boolean;
      structuredContent: { hits: { memory: { id: string; content: string } }[] };
      content: { type: string; text: string }[];
    };
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent.hits.map((h) => h.memory.id)).toEqual([storeMemory.memory.id]);
    expect(result.content[0]!.text).toContain('The inspector found the lighthouse keeper');
  });
});
