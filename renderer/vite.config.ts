import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// Built once into renderer/dist and served by the Electron shell's custom protocol or by the browser
// preview; relative asset URLs work under both. No inline script or style ends up in the output, so the
// shell's strict CSP (no unsafe-inline) holds.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'chrome120',
    // No source maps in the build: they would ship the renderer's full source (and comments) to anyone who
    // opens the preview or unpacks the app. Debug with `vite` (dev server) instead.
    sourcemap: false,
    // Vite would inline small assets as data: URLs; keep them as files so img-src/font-src can stay 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { host: '127.0.0.1', port: 0, strictPort: false },
});
