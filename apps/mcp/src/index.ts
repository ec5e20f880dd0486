export { type ApiAnswer, type CertctlApi, createCertctlApi } from './certctl-api.js';
export { listenStreamableHttp, type McpHttpListener } from './http-transport.js';
export { type McpConfig, McpConfigError, loadMcpConfig } from './mcp-config.js';
export { createMcpServer, createToolCatalog, type ToolCatalog } from './mcp-server.js';
export { type OperationTool, toolName, toolsFromOpenApi } from './openapi-tools.js';
export { fenceUntrustedData, readFencedData } from './untrusted-data.js';
export { VERSION } from './version.js';
