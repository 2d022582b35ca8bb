import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// `tether/client` and `tether/solid` resolve through the package's `exports` (TypeScript sources),
// which Vite compiles like the app's own files.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [solid()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: { '/ws': { target: 'ws://127.0.0.1:8090', ws: true }, '/api': 'http://127.0.0.1:8090' },
  },
});
