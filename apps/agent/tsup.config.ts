import { certctlBuild } from '@certctl/tooling/tsup';

// The wire types come from the server (`import type`, a dev dependency): inline them so the published
// declarations do not need @certctl/server installed.
export default certctlBuild({
  entry: ['src/index.ts', 'src/cli.ts'],
  dts: { resolve: ['@certctl/server/wire', /^@certctl\/server/] },
});
