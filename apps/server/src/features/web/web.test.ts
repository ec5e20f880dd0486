import { PGlite } from '@electric-sql/pglite';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { DASHBOARD_CSP } from './web-routes.js';

/** A built dashboard in miniature: what `vite build` writes (index.html, hashed assets, a favicon). */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'certctl-web-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="root"></div></body></html>',
  );
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), `console.log(${JSON.stringify('x'.repeat(2000))});\n`);
  writeFileSync(join(dir, 'assets', 'index-Def456.css'), 'body{color:red}');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

describe('the web dashboard served at /', () => {
  let pglite: PGlite;
  let server: TestServer;
  let bare: TestServer;
  let dist: string;
  beforeAll(async () => {
    dist = fakeBuild();
    pglite = await PGlite.create('memory://');
    server = await startTestServer({ database: { pglite }, env: { CERTCTL_WEB_DIR: dist } });
    bare = await startTestServer({
      database: { pglite: (await pglite.clone()) as PGlite },
      env: { CERTCTL_WEB_DIR: join(dist, 'missing') },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await bare?.stop();
    await pglite?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html uncached under a CSP without unsafe-inline', async () => {
    const index = await server.api.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).not.toContain('unsafe');
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(index.body).toContain('<div id="root">');
    // The API keeps its own policy.
    const api = await server.api.inject({ method: 'GET', url: '/api/v1/version' });
    expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('serves hashed assets for a year, gzipped when asked, and 404s unknown ones in the envelope', async () => {
    const js = await server.api.inject({
      method: 'GET',
      url: '/assets/index-AbC123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(js.rawPayload).toString()).toContain('console.log');
    const plain = await server.api.inject({ method: 'GET', url: '/assets/index-Def456.css' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe('body{color:red}');
    const missing = await server.api.inject({ method: 'GET', url: '/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: 'not_found' });
    const traversal = await server.api.inject({ method: 'GET', url: '/assets/..%2Findex.html' });
    expect(traversal.statusCode).toBeGreaterThanOrEqual(400);
  });

  it("answers a browser's client-side path with index.html, and keeps 404s for the API and for non-browsers", async () => {
    const page = await server.api.inject({
      method: 'GET',
      url: '/certificates/cert-123?tab=versions',
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root">');
    expect(page.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    const favicon = await server.api.inject({ method: 'GET', url: '/favicon.svg' });
    expect(favicon.headers['content-type']).toBe('image/svg+xml');
    for (const url of ['/api/v1/nope', '/acme/nope', '/.well-known/nope']) {
      const answer = await server.api.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(answer.statusCode, url).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'not_found' });
    }
    const curl = await server.api.inject({ method: 'GET', url: '/certificates', headers: { accept: '*/*' } });
    expect(curl.statusCode).toBe(404);
    const post = await server.api.inject({ method: 'POST', url: '/certificates', headers: { accept: 'text/html' } });
    expect(post.statusCode).toBe(404);
  });

  it('starts without a built dashboard and says how to build it', async () => {
    const index = await bare.api.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('pnpm --filter @certctl/web build');
    expect(index.headers['cache-control']).toBe('no-store');
    expect((await bare.api.inject({ method: 'GET', url: '/assets/index-AbC123.js' })).statusCode).toBe(404);
  });
});
