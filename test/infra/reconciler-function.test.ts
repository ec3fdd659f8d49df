/** ReconcilerFunction's asset, synthesized for real: the handler bundled for the deployment's Git host, with the
 * resource specification index beside index.mjs for the functions that check templates. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../functions/environment.ts';
import { RESOURCE_SPEC_DATA_FILE } from '../../infra/bundling.ts';
import { ReconcilerFunction } from '../../infra/constructs/reconciler-function.ts';

let outdir: string;
/** index.mjs and its neighbours, by construct id. */
let assets: Record<string, { readonly directory: string; readonly files: string[]; readonly code: string }>;

beforeAll(() => {
  // Arrange: a GitHub deployment's sweep and a GitLab deployment's webhook receiver (which checks no template).
  outdir = mkdtempSync(join(tmpdir(), 'driftless-reconciler-function-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Functions');
  const environment = { [ENVIRONMENT.source]: 'github' };
  const functions = {
    sweep: new ReconcilerFunction(stack, 'Sweep', {
      name: 'sweep',
      description: 'sweep',
      timeout: Duration.minutes(1),
      environment,
    }),
    webhook: new ReconcilerFunction(stack, 'Webhook', {
      name: 'webhook',
      description: 'webhook',
      timeout: Duration.minutes(1),
      environment,
      host: 'gitlab',
    }),
  };

  // Act
  const template = app.synth().getStackByName('Functions').template as {
    Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
  };
  const keyOf = (fn: ReconcilerFunction) =>
    template.Resources[stack.getLogicalId(fn.function.node.defaultChild as never)]?.Properties.Code?.S3Key ?? '';
  assets = Object.fromEntries(
    Object.entries(functions).map(([id, fn]) => {
      const directory = join(outdir, `asset.${keyOf(fn).replace(/\.zip$/, '')}`);
      const code = readFileSync(join(directory, 'index.mjs'), 'utf8');
      return [id, { directory, files: readdirSync(directory).sort(), code }];
    }),
  );
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('ReconcilerFunction asset', () => {
  it('carries the resource specification index beside index.mjs, byte for byte, when the function reads it', () => {
    // Assess
    expect(assets.sweep?.files).toEqual(['index.mjs', 'resource-spec.br']);
    expect(assets.webhook?.files).toEqual(['index.mjs']);
    const copied = readFileSync(join(assets.sweep?.directory ?? '', 'resource-spec.br'));
    expect(copied.equals(readFileSync(RESOURCE_SPEC_DATA_FILE))).toBe(true);
  });

  it('is bundled for the host the environment names', () => {
    // Assess: GitHub's API paths in the GitHub sweep, no CodeCommit or GitLab adapter.
    expect(assets.sweep?.code).toContain('/repos/');
    expect(assets.sweep?.code).not.toContain('repository/compare');
    expect(assets.sweep?.code).toContain('bundled for');
    expect(assets.sweep?.code).toContain('"github"');
  });
});
