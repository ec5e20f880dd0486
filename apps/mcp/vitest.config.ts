import { certctlProject } from '@certctl/tooling/vitest';

// Each test spawns certctl-mcp from its TypeScript sources (tsx transforms on first start).
export default certctlProject(import.meta.url, { testTimeout: 120_000 });
