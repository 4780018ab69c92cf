/** Where the MCP server listens; the landing page builds its set-up snippets from it too. */
export const MCP_PATH = '/mcp';
