import { defineConfig } from 'vite';

// No React plugin: Vite's own transform compiles TSX with the automatic JSX runtime, and the
// dashboard needs no fast refresh to be built. The output is static files the server serves at `/`.
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    // Inline assets would become data: URLs that the strict CSP refuses.
    assetsInlineLimit: 0,
    rolldownOptions: {
      // TanStack Query marks its modules "use client" for React Server Components; a static app has none.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': { target: process.env.CERTCTL_DEV_SERVER ?? 'https://127.0.0.1:8443', secure: false } },
  },
});
