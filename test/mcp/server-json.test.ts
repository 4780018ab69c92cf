import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { MCP_PATH } from '../../src/mcp/path.js';

/** server.json, the MCP Registry manifest, agrees with itself, the deployment and the server. */

const read = (file: string) => readFile(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('server.json', () => {
  it('describes the deployed server: its /mcp remote, the key header, the version the server reports', async () => {
    const manifest = JSON.parse(await read('server.json')) as Record<string, any>;
    expect(manifest.$schema).toBe('https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json');
    // The registry's rules: one slash, reverse-DNS namespace; a description of at most 100 characters; an exact version.
    expect(manifest.name).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    expect(manifest.description.length).toBeLessThanOrEqual(100);
    expect(manifest.version).toBe(packageJson.version);

    const [remote] = manifest.remotes as Record<string, any>[];
    expect(remote!.type).toBe('streamable-http');
    const url = new URL(remote!.url);
    expect(url.protocol).toBe('https:');
    expect(url.pathname).toBe(MCP_PATH);
    const fly = parse(await read('fly.toml')) as { app: string };
    expect(url.hostname).toBe(`${fly.app}.fly.dev`);
    // The name's namespace is that host in reverse, which the registry's HTTP verification can prove.
    expect(manifest.name.split('/')[0]).toBe(url.hostname.split('.').reverse().join('.'));
    expect(new URL(manifest.websiteUrl).hostname).toBe(url.hostname);

    const [header] = remote!.headers as Record<string, any>[];
    expect(header).toMatchObject({ name: 'Authorization', value: 'Bearer {api_key}', isRequired: true, isSecret: true });
    expect(header!.variables.api_key).toMatchObject({ isRequired: true, isSecret: true });
  });
});
