import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test servers write what they answered (see response-coverage.global-setup.ts). */
    certctlResponseReportDir?: string;
  }
}

/** The directory this test run collects response-check reports in, when the run collects them. */
export function responseReportDir(): string | undefined {
  try {
    return inject('certctlResponseReportDir');
  } catch {
    return undefined;
  }
}
