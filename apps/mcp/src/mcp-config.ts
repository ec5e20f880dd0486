import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface McpConfig {
  /** The certctl server's base URL, e.g. `https://certctl.internal:8443`. */
  serverUrl: URL;
  apiKey?: string;
  /** PEM of the CA that signed the server's certificate; default the system store. */
  caPem?: string;
  /** Only safe operations (GET) become tools. */
  readOnly: boolean;
  transport: 'stdio' | 'http';
  http: {
    host: string;
    port: number;
    path: string;
    /** Host headers accepted besides the listening address and localhost (DNS rebinding protection). */
    allowedHosts: string[];
    /** When set, every HTTP request must carry `Authorization: Bearer <token>`. */
    bearerToken?: string;
  };
  requestTimeoutMs: number;
}

/** A configuration value that stops the process at start, naming the variable or flag. */
export class McpConfigError extends Error {
  override name = 'McpConfigError';
}

export const USAGE = `usage: certctl-mcp [--read-only] [--transport stdio|http] [--host H] [--port N] [--help] [--version]

  --read-only          expose only read operations (GET); also CERTCTL_MCP_READ_ONLY=true
  --transport T        stdio (default) or http (streamable HTTP at http://HOST:PORT/mcp);
                       also CERTCTL_MCP_TRANSPORT
  --host H             address the http transport listens on (default 127.0.0.1; CERTCTL_MCP_HOST)
  --port N             port of the http transport (default 8766; 0 picks one; CERTCTL_MCP_PORT)

Environment: CERTCTL_MCP_HTTP_TOKEN (bearer token the http transport requires),
CERTCTL_MCP_ALLOWED_HOSTS (extra host:port values accepted in the Host header).

Environment: CERTCTL_SERVER_URL (required), CERTCTL_API_KEY, CERTCTL_CA_BUNDLE (PEM file that
signed the server's certificate). See docs/mcp.md.`;

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '') return false;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new McpConfigError(`${name} must be true or false, got "${value}"`);
}

function port(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new McpConfigError(`${name} must be a port number (0-65535), got "${value}"`);
  return n;
}

/** Parses the command line and the environment once, at start. */
export function loadMcpConfig(argv: readonly string[], env: Record<string, string | undefined>): McpConfig {
  let parsed: ReturnType<typeof parseMcpArguments>;
  try {
    parsed = parseMcpArguments(argv);
  } catch (error) {
    throw new McpConfigError((error as Error).message);
  }
  const rawUrl = env.CERTCTL_SERVER_URL;
  if (!rawUrl) throw new McpConfigError('CERTCTL_SERVER_URL is required (e.g. https://certctl.internal:8443)');
  let serverUrl: URL;
  try {
    serverUrl = new URL(rawUrl);
  } catch {
    throw new McpConfigError(`CERTCTL_SERVER_URL is not a URL: "${rawUrl}"`);
  }
  if (serverUrl.protocol !== 'https:' && serverUrl.protocol !== 'http:')
    throw new McpConfigError(`CERTCTL_SERVER_URL must be an http(s) URL, got "${serverUrl.protocol}"`);
  let caPem: string | undefined;
  if (env.CERTCTL_CA_BUNDLE) {
    try {
      caPem = readFileSync(env.CERTCTL_CA_BUNDLE, 'utf8');
    } catch (error) {
      throw new McpConfigError(
        `CERTCTL_CA_BUNDLE ${env.CERTCTL_CA_BUNDLE} cannot be read: ${(error as Error).message}`,
      );
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
      throw new McpConfigError(`CERTCTL_CA_BUNDLE ${env.CERTCTL_CA_BUNDLE} holds no PEM certificate`);
  }
  const transport = parsed.transport ?? env.CERTCTL_MCP_TRANSPORT ?? 'stdio';
  if (env.CERTCTL_MCP_HTTP_TOKEN !== undefined && env.CERTCTL_MCP_HTTP_TOKEN.length < 16)
    throw new McpConfigError('CERTCTL_MCP_HTTP_TOKEN must be at least 16 characters');
  if (transport !== 'stdio' && transport !== 'http')
    throw new McpConfigError(`--transport / CERTCTL_MCP_TRANSPORT must be stdio or http, got "${transport}"`);
  return {
    serverUrl,
    ...(env.CERTCTL_API_KEY && { apiKey: env.CERTCTL_API_KEY }),
    ...(caPem && { caPem }),
    readOnly: parsed.readOnly || flag(env.CERTCTL_MCP_READ_ONLY, 'CERTCTL_MCP_READ_ONLY'),
    transport,
    http: {
      host: parsed.host ?? env.CERTCTL_MCP_HOST ?? '127.0.0.1',
      port: port(parsed.port ?? env.CERTCTL_MCP_PORT ?? '8766', parsed.port ? '--port' : 'CERTCTL_MCP_PORT'),
      path: '/mcp',
      allowedHosts: (env.CERTCTL_MCP_ALLOWED_HOSTS ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      ...(env.CERTCTL_MCP_HTTP_TOKEN && { bearerToken: env.CERTCTL_MCP_HTTP_TOKEN }),
    },
    requestTimeoutMs: 60_000,
  };
}

function parseMcpArguments(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'read-only': { type: 'boolean' },
      transport: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    readOnly: values['read-only'] === true,
    transport: values.transport,
    host: values.host,
    port: values.port,
  };
}
