import { defineConfig } from 'vite';

// Static files for /payment/console: relative asset paths, no inline script (the page's CSP allows its own files only).
export default defineConfig({
  root: import.meta.dirname,
  base: '/payment/console/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
