/** What the stack tests share: the required context, one synthesis of the app (it bundles the real functions with
 * esbuild, so each test file synthesizes once), and the template read as plain JSON. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../infra/create-app.ts';

/** The context every installation needs; each test file adds what it is about. */
export const REQUIRED_CONTEXT = {
  repository: 'platform-config',
  allowedClusters: 'prod,staging',
  stackNamePrefix: 'platform-',
  roleArnPatterns: 'arn:aws:iam::123456789012:role/app/*',
} as const;

export type Json = Record<string, unknown>;
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyStatementOf {
  readonly policy: string;
  readonly statement: Statement;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

export function propertiesOf(resource: Json | undefined): Json {
  return (resource?.Properties ?? {}) as Json;
}

export interface Synthesized {
  readonly template: Template;
  readonly annotations: Annotations;
  readonly resources: Record<string, Json>;
  /** Every statement of every IAM policy, with the policy's logical id. */
  readonly statements: PolicyStatementOf[];
  /** Removes the cloud assembly. */
  cleanup(): void;
}

/** Synthesizes the app with `context` into a temporary folder. */
export function synthesize(context: Readonly<Record<string, string>>): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'driftless-cdk-'));
  const { stack } = createApp(context, { outdir });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Json>;
  const statements = Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
    .flatMap(([policy, resource]) =>
      ((propertiesOf(resource).PolicyDocument as Json).Statement as Statement[]).map((statement) => ({
        policy,
        statement,
      })),
    );
  return {
    template,
    annotations: Annotations.fromStack(stack),
    resources,
    statements,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
