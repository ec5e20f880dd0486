import { certctlProject } from '@certctl/tooling/vitest';

export default certctlProject(import.meta.url);
