import type { Options } from 'tsup';
export declare function certctlBuild(
  overrides?: Options,
): Options | Options[] | ((overrideOptions: Options) => Options | Options[] | Promise<Options | Options[]>);
