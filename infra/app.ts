/** The CDK app entry (`cdk.json`: `npx tsx infra/app.ts`). Context keys: see infra/context.ts and infra/README.md. */
import { TerminalError } from '../shared/errors.ts';
import { ContextError } from './context.ts';
import { createApp } from './create-app.ts';

try {
  createApp().app.synth();
} catch (error) {
  // A bad context value, or allowed resource types no role can be derived for: a message, not a stack trace.
  if (!(error instanceof ContextError) && !(error instanceof TerminalError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
