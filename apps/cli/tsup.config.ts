import { certctlBuild } from '@certctl/tooling/tsup';

export default certctlBuild({ entry: ['src/index.ts', 'src/cli.ts'] });
