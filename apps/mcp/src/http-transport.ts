import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface McpHttpListener {
  /** e.g. `http://127.0.0.1:8766/mcp` */
  url: string;
  close(): Promise<void>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function sendJsonRpcError(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/**
 * The streamable HTTP transport, stateless: each POST to `path` gets a fresh MCP server session.
 * Host headers are checked against the listening address (DNS rebinding), and with `bearerToken`
 * every request must carry it.
 */
export async function listenStreamableHttp(options: {
  host: string;
  port: number;
  path: string;
  newServer: () => Server;
  bearerToken?: string;
  /** Host headers accepted besides the listening address and localhost. */
  allowedHosts?: readonly string[];
}): Promise<McpHttpListener> {
  let allowedHosts: string[] = [];
  const expectedToken = options.bearerToken ? digest(`Bearer ${options.bearerToken}`) : undefined;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== options.path)
      return sendJsonRpcError(res, 404, `not found: the MCP endpoint is ${options.path}`);
    if (expectedToken && !timingSafeEqual(digest(req.headers.authorization ?? ''), expectedToken))
      return sendJsonRpcError(res, 401, 'missing or wrong bearer token (CERTCTL_MCP_HTTP_TOKEN)');
    if (req.method !== 'POST')
      return sendJsonRpcError(res, 405, 'this server is stateless: send JSON-RPC requests with POST');
    const server = options.newServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      enableDnsRebindingProtection: true,
      allowedHosts,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  }

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, `internal error: ${(error as Error).message}`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  allowedHosts = [
    `${shownHost}:${port}`,
    `localhost:${port}`,
    `127.0.0.1:${port}`,
    `[::1]:${port}`,
    ...(options.allowedHosts ?? []),
  ];
  return {
    url: `http://${shownHost}:${port}${options.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
