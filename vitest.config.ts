import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Starts the throwaway PostgreSQL and builds both migrated templates once.
    globalSetup: ['tests/global-setup.ts'],
    // PGlite boots a WebAssembly PostgreSQL per test file and PostGIS loads
    // lazily; on a loaded 2-core machine hooks can take tens of seconds.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Child processes rather than worker threads: each PGlite holds a large
    // WebAssembly heap that is reliably returned when its process ends.
    pool: 'forks',
    // Two cores; more workers only make every PGlite start slower.
    maxWorkers: 2,
  },
})
