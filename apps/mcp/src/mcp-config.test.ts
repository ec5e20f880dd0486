import { describe, expect, it } from 'vitest';
import { loadMcpConfig, McpConfigError } from './mcp-config.js';

const base = { CERTCTL_SERVER_URL: 'https://certctl.example.com:8443' };

describe('certctl-mcp configuration', () => {
  it('names the variable or flag that is missing or malformed', () => {
    expect(() => loadMcpConfig([], {})).toThrow(/^CERTCTL_SERVER_URL is required/);
    expect(() => loadMcpConfig([], { CERTCTL_SERVER_URL: 'certctl' })).toThrow(/^CERTCTL_SERVER_URL is not a URL/);
    expect(() => loadMcpConfig([], { CERTCTL_SERVER_URL: 'ftp://certctl' })).toThrow(/must be an http\(s\) URL/);
    expect(() => loadMcpConfig(['--transport', 'sse'], base)).toThrow(/--transport \/ CERTCTL_MCP_TRANSPORT/);
    expect(() => loadMcpConfig(['--port', '99999'], base)).toThrow(/^--port must be a port number/);
    expect(() => loadMcpConfig([], { ...base, CERTCTL_MCP_READ_ONLY: 'maybe' })).toThrow(/^CERTCTL_MCP_READ_ONLY/);
    expect(() => loadMcpConfig([], { ...base, CERTCTL_MCP_HTTP_TOKEN: 'short' })).toThrow(/at least 16/);
    expect(() => loadMcpConfig([], { ...base, CERTCTL_CA_BUNDLE: '/nonexistent/ca.pem' })).toThrow(
      /^CERTCTL_CA_BUNDLE \/nonexistent\/ca.pem cannot be read/,
    );
    expect(() => loadMcpConfig(['--bogus'], base)).toThrow(McpConfigError);
  });

  it('reads read-only from the flag or the environment, and defaults to stdio on loopback', () => {
    expect(loadMcpConfig([], base)).toMatchObject({
      readOnly: false,
      transport: 'stdio',
      http: { host: '127.0.0.1', port: 8766, path: '/mcp', allowedHosts: [] },
    });
    expect(loadMcpConfig(['--read-only'], base).readOnly).toBe(true);
    expect(loadMcpConfig([], { ...base, CERTCTL_MCP_READ_ONLY: 'true' }).readOnly).toBe(true);
    expect(
      loadMcpConfig(['--transport', 'http', '--port', '0'], {
        ...base,
        CERTCTL_MCP_ALLOWED_HOSTS: 'mcp.internal:8766, 10.0.0.5:8766',
      }).http,
    ).toMatchObject({ port: 0, allowedHosts: ['mcp.internal:8766', '10.0.0.5:8766'] });
  });
});
