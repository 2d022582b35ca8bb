import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';

// Two projects, because vite-plugin-solid adds the `browser` resolve condition, which turns `ws`
// into its browser stub: Node-side suites (server, client runtime, faults, e2e) must not load it.
export default defineConfig({
  test: {
    reporters: ['default', './tests/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          // The leak tests (tests/faults) measure heap after global.gc().
          execArgv: ['--expose-gc'],
          include: ['tests/{unit,model,integration,faults,e2e}/**/*.test.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          // The real tarball installed into an app outside the repository (tests/package/).
          name: 'package',
          environment: 'node',
          include: ['tests/package/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 240_000,
        },
      },
      {
        // vite-plugin-solid resolves Solid's browser development build for jsdom in test mode.
        plugins: [solid()],
        test: {
          name: 'ui',
          environment: 'jsdom',
          include: ['tests/ui/**/*.test.{ts,tsx}'],
        },
      },
    ],
  },
});
