/**
 * Vitest settings: every `*.test.ts` under test/; generous timeouts, since integration tests start real sshd servers
 * and run git, PHP and rsync; test files run in parallel, at most two at a time (CI has two cores).
 */

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
})
