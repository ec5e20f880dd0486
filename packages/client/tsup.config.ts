import { certctlBuild } from '@certctl/tooling/tsup';

export default certctlBuild();
