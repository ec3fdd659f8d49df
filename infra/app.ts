/** The CDK app entry (`cdk.json`: `npx tsx infra/app.ts`). Context keys: see infra/context.ts and infra/README.md. */
import { ContextError } from './context.ts';
import { createApp } from './create-app.ts';

try {
  createApp().app.synth();
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
