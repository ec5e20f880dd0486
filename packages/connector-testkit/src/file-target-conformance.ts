import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetConformanceOptions } from './target-suite.js';
import { createTempDir, type TempDir } from './temp-dir.js';
import { type WrappedCommand, wrapCommand } from './wrapped-command.js';

export interface FileTargetConformanceOptions
  extends Omit<TargetConformanceOptions<Record<string, unknown>>, 'config' | 'hooks'> {
  /** The files the target writes: config key to file name, e.g. `{ cert_path: 'site.pem', key_path: 'site.key' }`. */
  files: Readonly<Record<string, string>>;
  /** More config keys, merged over the generated config. */
  extraConfig?: Record<string, unknown>;
}

/**
 * `testTarget` options for a target that writes files and runs `validate_command` and `reload_command`
 * (as targets built on `createFileTarget` from @certctl/connector-utils do), without a real server: each
 * file's config key points into a temp dir, `/bin/true` validates, and the reload is a stand-in that
 * `hooks.failNextDeploy` makes fail once; the snapshot is the files' bytes. Prove the real thing with
 * `testTargetOnRealServer`.
 */
export function fileTargetConformance(
  options: FileTargetConformanceOptions,
): TargetConformanceOptions<Record<string, unknown>> {
  const { files, extraConfig, ...rest } = options;
  let dir: TempDir | undefined;
  let reload: WrappedCommand | undefined;
  const path = (name: string) => {
    if (!dir) throw new Error('fileTargetConformance: the temp dir does not exist yet (hooks.beforeAll failed?)');
    return join(dir.path, name);
  };
  return {
    ...rest,
    config: () => ({
      ...Object.fromEntries(Object.entries(files).map(([key, name]) => [key, path(name)])),
      validate_command: '/bin/true',
      reload_command: reload!.command,
      ...extraConfig,
    }),
    hooks: {
      beforeAll: async () => {
        dir = await createTempDir('certctl-file-target-conformance-');
        reload = wrapCommand(dir.path, 'reload', '/bin/true');
      },
      afterAll: () => dir?.remove(),
      failNextDeploy: () => reload!.failNext(),
      snapshot: () =>
        Object.values(files).map((name) => (existsSync(path(name)) ? readFileSync(path(name), 'utf8') : null)),
    },
  };
}
