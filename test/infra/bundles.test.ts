/** The Lambda bundles, built with the stack's esbuild options: no test code in them, and each one loads in plain
 * Node as an ES module and exports its handler (a CommonJS dependency that cannot `require` would fail here, not at
 * the first invocation in Lambda). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleReport, bundleFunctions, formatReport, isForbiddenInput } from '../../infra/bundle-size.ts';
import { BUNDLED_FUNCTION_NAMES, esbuildOptions, REPOSITORY_ROOT } from '../../infra/bundling.ts';

/** Far above today's ~1.2 MB: a bundle this large pulled in something it should not. */
const MAX_BUNDLE_BYTES = 3 * 1024 * 1024;

let outdir: string;
let reports: BundleReport[];

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'driftless-bundles-'));
  reports = await bundleFunctions(outdir);
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it('are built for every function', () => {
    // Assess
    expect(reports.map((report) => report.name)).toEqual([...BUNDLED_FUNCTION_NAMES]);
    expect(formatReport(reports).split('\n')).toHaveLength(BUNDLED_FUNCTION_NAMES.length + 1);
  });

  it('contain nothing from test/ and never the simulator', () => {
    // Assess
    for (const report of reports) {
      expect(report.inputs, report.name).toContain(`functions/${report.name}.ts`);
      expect(report.forbidden, report.name).toEqual([]);
    }
  });

  it('stay well under the size that would mean an accidental dependency', () => {
    // Assess
    for (const report of reports) expect(report.bytes, report.name).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  it('load as ES modules in plain Node and export handler', () => {
    // Assess
    for (const report of reports) {
      const script = `import(${JSON.stringify(pathToFileURL(report.outfile).href)}).then((m) => console.log(typeof m.handler))`;
      const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(printed.trim(), report.name).toBe('function');
    }
  });
});

describe('what a bundle runs with', () => {
  it('carries only the environment credential provider, not the default chain and its STS and SSO clients', () => {
    // Assess
    for (const report of reports) {
      expect(report.inputs, report.name).toContain('shared/aws/lambda-credentials.ts');
      const chain = report.inputs.filter((input) =>
        /@aws-sdk\/(credential-provider-(node|ini|sso|web-identity|process)|nested-clients)\//.test(input),
      );
      expect(chain, report.name).toEqual([]);
    }
  });

  it('signs with the credentials Lambda puts in the environment and checks templates against the packed index', async () => {
    // Arrange: code bundled with the functions' options, run in a fresh Node as Lambda would run it.
    const probe = join(outdir, 'probe', 'index.mjs');
    await build({
      ...esbuildOptions('webhook', probe),
      entryPoints: undefined,
      stdin: {
        contents: [
          "import { dynamoDbClient } from './shared/aws/clients.ts';",
          "import { propertiesOf, suggestType } from './shared/spec/resource-spec.ts';",
          "const credentials = await dynamoDbClient({ region: 'eu-west-1' }).config.credentials();",
          "const queue = propertiesOf('AWS::SQS::Queue');",
          "console.log(JSON.stringify({ credentials, fifo: queue?.has('FifoQueue'), suggestion: suggestType('AWS::SQS::Queues') }));",
        ].join('\n'),
        resolveDir: REPOSITORY_ROOT,
        sourcefile: 'probe.ts',
        loader: 'ts',
      },
    });
    const run = (env: Record<string, string>) =>
      execFileSync(process.execPath, [probe], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { PATH: process.env.PATH ?? '', ...env },
      });

    // Act
    const printed = JSON.parse(
      run({ AWS_ACCESS_KEY_ID: 'AKIDPROBE', AWS_SECRET_ACCESS_KEY: 'probe-secret', AWS_SESSION_TOKEN: 'probe-token' }),
    );

    // Assess
    expect(printed.credentials).toMatchObject({
      accessKeyId: 'AKIDPROBE',
      secretAccessKey: 'probe-secret',
      sessionToken: 'probe-token',
    });
    expect(printed.fifo).toBe(true);
    expect(printed.suggestion).toBe('AWS::SQS::Queue');
    expect(() => run({ HOME: outdir })).toThrow(/no AWS credentials in the environment/);
  }, 60_000);
});

describe('isForbiddenInput', () => {
  it.each([
    ['test/support/simulator/ecs.ts', true],
    ['test/support/memory-ledger.ts', true],
    ['shared/sim/ecs.ts', true],
    ['shared/sim/memory-ledger.ts', true],
    ['shared/simulator.ts', true],
    ['node_modules/some-package/test/fixture.js', true],
    ['shared/plan/diff.ts', false],
    ['functions/push.ts', false],
    ['node_modules/@aws-sdk/client-ecs/dist-es/index.js', false],
  ])('%s → %s', (path, forbidden) => {
    // Assess
    expect(isForbiddenInput(path)).toBe(forbidden);
  });
});
