// Builds the console into dist/web, which the API serves at `/` under a CSP that allows no inline script or style.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The preload polyfill is the one script Vite may add by itself; every browser the console targets has modulepreload.
    modulePreload: { polyfill: false },
    // Small files stay files: an inlined font or script would need a looser policy than `'self'`.
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
