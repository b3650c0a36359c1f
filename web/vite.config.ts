// Vite builds web/dist, which CMake embeds into the wharf binary (see docs/web-ui.md).
// `npm run dev` serves the UI with hot reload and proxies the API to a local wharf
// (WHARF_URL, default http://127.0.0.1:8080), so cookies and CSRF work as in production.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const target = process.env.WHARF_URL || 'http://127.0.0.1:8080';

// Redoc's sidebar shows its logo from cdn.redoc.ly. The API reference page loads nothing from other
// origins (its CSP: img-src 'self' data:), so the copied bundle gets an empty inline image instead;
// the build fails if a new Redoc no longer has that URL, so the test of /api/docs is not the first
// to notice.
const REDOC_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
function redocWithoutRemoteLogo(): Plugin {
  return {
    name: 'wharf-redoc-without-remote-logo',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'asset' || !/redoc\.standalone-[^/]*\.js$/.test(file.fileName)) continue;
        const text = typeof file.source === 'string' ? file.source : new TextDecoder().decode(file.source);
        if (!text.includes(REDOC_LOGO)) throw new Error(`${file.fileName}: Redoc no longer loads ${REDOC_LOGO}; check what it loads now`);
        file.source = text.split(REDOC_LOGO).join("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='0' height='0'/%3E");
      }
    },
  };
}

export default defineConfig({
  plugins: [redocWithoutRemoteLogo()],
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
