import type { UserWorkspaceConfig } from 'vitest/config';
export declare function certctlProject(
  configUrl: string,
  overrides?: { testTimeout?: number; include?: string[]; globalSetup?: string[] },
): UserWorkspaceConfig;
