import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';

const read = (file: string) => readFile(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('fly.toml', () => {
  it('deploys to nrt on 8080 with a /healthz check, migrations on release, 512 MB and one machine always on', async () => {
    const fly = parse(await read('fly.toml')) as Record<string, any>;
    expect(fly.primary_region).toBe('nrt');
    expect(fly.app).toEqual(expect.any(String));
    expect(fly.http_service.internal_port).toBe(8080);
    expect(fly.http_service.min_machines_running).toBeGreaterThanOrEqual(1);
    expect(fly.http_service.auto_stop_machines).toBe('off');
    const checks = Object.values(fly.checks as Record<string, { path: string; port: number }>);
    expect(checks.some((c) => c.path === '/healthz' && c.port === 8080)).toBe(true);
    expect(fly.deploy.release_command).toMatch(/migrate/);
    expect(fly.vm[0].memory).toBe('512mb');
    expect(fly.kill_signal).toBe('SIGTERM');
    expect(fly.env.NODE_ENV).toBe('production');
  });

  it('gives machines the memory the README says the server needs on their CPU count', async () => {
    const fly = parse(await read('fly.toml')) as Record<string, any>;
    const readme = await read('README.md');
    const megabytes = Number(/^(\d+)mb$/.exec(fly.vm[0].memory)![1]);
    // The built-in model runs one thread whatever the CPU count (EMBEDDINGS_THREADS defaults to one).
    expect(fly.vm[0].cpus).toBe(1);
    expect(readme).toContain(`with 1 shared CPU and ${megabytes} MB`);
    const needed = Number(/The built-in model runs in one thread by default \(on any CPU count\),\s+and the server peaks at about (\d+) MB at most/.exec(readme)![1]);
    expect(needed).toBeLessThan(megabytes * 0.8);
  });

  it('runs a release command that exists in the built image', async () => {
    const fly = parse(await read('fly.toml')) as Record<string, any>;
    const script = String(fly.deploy.release_command).split(' ')[1]!;
    expect(script).toBe('dist/src/db/migrate-cli.js');
    await expect(read('src/db/migrate-cli.ts')).resolves.toMatch(/migrate: true/);
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs production dependencies as a non-root user with a health check', async () => {
    const dockerfile = await read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/main.js"\]$/m);
    const ignored = (await read('.dockerignore')).split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.data', '.git']));
  });
});
