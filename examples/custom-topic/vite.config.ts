import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// Inside this repository `tether-live/client` and `tether-live/solid` resolve to their TypeScript
// sources, as tsconfig.json `paths` map them for tsc and tsx (an app of your own gets the
// package's built lib/ instead).
const source = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [solid()],
  resolve: {
    alias: {
      'tether-live/client': source('src/client/index.ts'),
      'tether-live/solid': source('src/solid/index.ts'),
    },
  },
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: { '/ws': { target: 'ws://127.0.0.1:8090', ws: true }, '/api': 'http://127.0.0.1:8090' },
  },
});
