/** The opt-in integration suite (`npm run test:integration`): the AWS adapters against an AWS-compatible endpoint
 * (DRIFTLESS_AWS_ENDPOINT) or a real account (DRIFTLESS_INTEGRATION=aws). Unconfigured, it prints why it skipped and
 * passes. See test/integration/target.ts. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/**/*.it.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    passWithNoTests: true,
    // Creating a table with three indexes, or an SDK retrying a throttled call, takes a while in a real account.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
