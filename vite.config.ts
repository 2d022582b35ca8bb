import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// The dashboard build. The Node server serves dist/ on the same port as /ws and /api.
export default defineConfig({
  plugins: [solid()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
      '/dashboard.json': 'http://127.0.0.1:8080',
    },
  },
});
