// Preloaded before tsx: workspace sources reference a global that only tsup/vitest define.
globalThis.__PACKAGE_VERSION__ ??= '0.0.0-bench';
