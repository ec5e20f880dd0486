#!/usr/bin/env node
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createCertctlApi } from './certctl-api.js';
import { listenStreamableHttp } from './http-transport.js';
import { loadMcpConfig, McpConfigError, USAGE } from './mcp-config.js';
import { createMcpServer, createToolCatalog } from './mcp-server.js';
import { VERSION } from './version.js';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`certctl-mcp ${VERSION}\n`);
    return 0;
  }
  const config = loadMcpConfig(argv, process.env);
  const api = createCertctlApi(config, `certctl-mcp/${VERSION}`);
  const catalog = createToolCatalog(api, { readOnly: config.readOnly });
  const newServer = () => createMcpServer({ api, catalog, readOnly: config.readOnly, version: VERSION });
  // Read the document now, so a wrong URL or CA shows in the log at start (a later tools/list retries).
  catalog.tools().then(
    (tools) =>
      process.stderr.write(
        `certctl-mcp: ${tools.length} tools from ${config.serverUrl.origin}${config.readOnly ? ' (read-only)' : ''}\n`,
      ),
    (error: unknown) =>
      process.stderr.write(`certctl-mcp: cannot read the API description yet: ${(error as Error).message}\n`),
  );

  if (config.transport === 'http') {
    const listener = await listenStreamableHttp({ ...config.http, newServer });
    process.stderr.write(`certctl-mcp: streamable HTTP at ${listener.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await listener.close();
  } else {
    const server = newServer();
    const transport = new StdioServerTransport();
    await server.connect(transport);
    await new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once('end', () => resolve());
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.close();
  }
  await api.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof McpConfigError) process.stderr.write(`certctl-mcp: ${error.message}\n`);
    else process.stderr.write(`certctl-mcp: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(error instanceof McpConfigError ? 2 : 1);
  },
);
