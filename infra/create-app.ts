/** Builds the CDK app from context: validates the settings, creates the stack and applies the cdk-nag AWS Solutions
 * checks, so tests synthesize exactly what `cdk synth` does. */
import { App, type AppProps, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_KEYS, type DriftlessContext, type DriftlessContextInput, parseContext } from './context.ts';
import { DriftlessStack } from './driftless-stack.ts';

export interface DriftlessApp {
  readonly app: App;
  readonly stack: DriftlessStack;
  readonly settings: DriftlessContext;
}

/**
 * `context` is merged under what the CDK CLI passes (cdk.json and -c flags win), then the driftless keys are read
 * from the app's context and validated; an invalid value throws ContextError before any construct is created.
 */
export function createApp(context: Readonly<Record<string, unknown>> = {}, props: Omit<AppProps, 'context'> = {}) {
  const app = new App({ ...props, context: { ...context } });
  const raw = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, app.node.tryGetContext(key)]));
  const settings = parseContext(raw);
  const stack = new DriftlessStack(app, settings.stackName, {
    stackName: settings.stackName,
    description: `driftless ${settings.installationId}: GitOps for ECS and CloudFormation from ${settings.repository}@${settings.branch}`,
    // Validated just above; the construct validates the same values again, as it does in a team's own stack.
    driftless: raw as DriftlessContextInput,
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, stack, settings } satisfies DriftlessApp;
}
