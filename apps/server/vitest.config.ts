import { certctlProject } from '@certctl/tooling/vitest';

// Server tests start servers and drive real clients; on a busy 2-core CI machine 30 s is too tight a hang guard.
export default certctlProject(import.meta.url, { testTimeout: 90_000 });
