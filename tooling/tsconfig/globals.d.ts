/** Replaced at build time (tsup preset) and test time (vitest preset) with the package version; undefined when sources run under plain tsx, hence the typeof guards. */
declare const __PACKAGE_VERSION__: string;
