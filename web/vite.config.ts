import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The investigators' single-page application. Built into dist/web, which the Ariadne process serves outside /api
 * (src/api/web/web-app-routes.ts). No inline scripts, no external resources: the server's strict CSP applies.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The whole app is small; one entry chunk plus the QR encoder (loaded only on enrolment pages).
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
