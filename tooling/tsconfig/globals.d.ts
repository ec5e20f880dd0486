/** Replaced at build time (tsup preset) and test time (vitest preset) with the package's version. */
declare const __PACKAGE_VERSION__: string;
