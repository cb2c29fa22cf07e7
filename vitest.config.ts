import { defineConfig } from 'vitest/config';

// Two projects: everything plain-Node runs in the node environment; the renderer's
// component tests get a DOM. End-to-end tests drive Debian's Chromium themselves.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['{fix,gateway,agent,main,bench,build,test,scripts}/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['renderer/**/*.test.{ts,tsx}'],
        },
      },
    ],
  },
});
