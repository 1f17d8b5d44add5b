/**
 * The dashboard's build: web/ -> dist/web, served by keyheat serve at / (src/http/dashboard.ts).
 * Everything is bundled (no CDN: it works offline); Chart.js is split into its own chunk and
 * loaded only by the pages that draw charts, so the sign-in and instance list load small.
 */
import path from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: path.resolve(root, '../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  logLevel: 'warn',
});
