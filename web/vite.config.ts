// Vite builds web/dist, which CMake embeds into the wharf binary (see docs/web-ui.md).
// `npm run dev` serves the UI with hot reload and proxies the API to a local wharf
// (WHARF_URL, default http://127.0.0.1:8080), so cookies and CSRF work as in production.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const target = process.env.WHARF_URL || 'http://127.0.0.1:8080';

export default defineConfig({
  // Preact through esbuild's automatic JSX runtime: no framework plugin needed.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // The embedded server sends a strict CSP (no inline script or style), so keep everything in files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // Two pages: the app, and the API reference served at /api/docs (api-docs.html, Redoc).
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        'api-docs': fileURLToPath(new URL('./api-docs.html', import.meta.url)),
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target, changeOrigin: false },
      '/healthz': { target },
    },
  },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
} as any);
