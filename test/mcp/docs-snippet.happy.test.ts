import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoriesDocument } from '../../sdk/index.js';
import { MCP_PATH } from '../../src/mcp/path.js';
import { useUser } from '../support/accounts.js';
import { mcpUrl } from '../support/mcp.js';
import { useTestServer } from '../support/server.js';
import { runCommand } from '../support/spawn.js';

/** The set-up in docs/mcp.md works as written: the generic client runs, the configurations parse. */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = new URL('../../docs/mcp.md', import.meta.url);

/** The fenced blocks of `language` in the section under `heading`. */
async function blocks(heading: string, language: string): Promise<string[]> {
  const text = await readFile(DOCS, 'utf8');
  const start = text.indexOf(`\n### ${heading}\n`);
  expect(start, `docs/mcp.md has a "### ${heading}" section`).toBeGreaterThan(0);
  const section = text.slice(start + 1).split(/\n#{2,3} /)[0]!;
  return [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

const ctx = useTestServer();
const user = useUser(ctx);

describe('docs/mcp.md', () => {
  it('the generic TypeScript client, run as written, lists the tools, remembers and recalls', { timeout: 90_000 }, async () => {
    const [snippet] = await blocks('Any other MCP client (TypeScript)', 'ts');
    expect(snippet).toBeDefined();
    // In the repository, so that it imports the SDK this project installs.
    const file = `${ROOT}.docs-snippet-${randomBytes(4).toString('hex')}.mts`;
    await writeFile(file, snippet!);
    try {
      const { code, stdout, stderr } = await runCommand(process.execPath, ['--import', 'tsx', file], {
        env: { ...process.env, STELLAR_MCP_URL: mcpUrl(ctx.server), STELLAR_API_KEY: user.secret },
      });
      expect(code, stderr).toBe(0);
      const [names, recalled] = stdout.trim().split('\n');
      expect(names!.split(', ').sort()).toEqual(['forget', 'list_agents', 'list_memories', 'recall', 'remember', 'remember_many', 'usage']);
      const { hits } = JSON.parse(recalled!) as { hits: { memory: { content: string } }[] };
      expect(hits.map((h) => h.memory.content)).toEqual(['Dana prefers email over phone calls']);
    } finally {
      await rm(file, { force: true });
    }
    // The memory is the user's, as GraphQL sees it.
    const { memories } = await user.client.request(MemoriesDocument, {});
    expect(memories.edges.map((e) => e.node.tags)).toEqual([['contact']]);
  });

  it('the client configurations are valid JSON pointing at /mcp with the Authorization header', async () => {
    const configs = [
      ...(await blocks('Cursor', 'json')),
      ...(await blocks('VS Code', 'json')),
      ...(await blocks('Claude Desktop', 'json')),
    ].map((text) => JSON.parse(text) as Record<string, Record<string, Record<string, unknown>>>);
    expect(configs).toHaveLength(3);
    const [cursor, vscode, desktop] = configs.map((config) => Object.values(config)[0]!['stellar-memory']!);
    for (const server of [cursor!, vscode!]) {
      expect(new URL(server.url as string).pathname).toBe(MCP_PATH);
      expect((server.headers as Record<string, string>).Authorization).toMatch(/^Bearer sk-stellar-/);
    }
    expect(vscode!.type).toBe('http');
    expect(desktop!.args).toEqual(['-y', 'mcp-remote', 'https://memory.example.com/mcp', '--header', 'Authorization:${STELLAR_AUTH}']);
    expect((desktop!.env as Record<string, string>).STELLAR_AUTH).toMatch(/^Bearer sk-stellar-/);
    const [claudeCode] = await blocks('Claude Code', 'sh');
    expect(claudeCode).toMatch(/^claude mcp add --transport http stellar-memory https:\/\/memory\.example\.com\/mcp \\\n {2}--header "Authorization: Bearer \$STELLAR_API_KEY"\n$/);
  });
});
