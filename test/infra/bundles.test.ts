/** The Lambda bundles, built with the stack's esbuild options: no test code in them, and each one loads in plain
 * Node as an ES module and exports its handler (a CommonJS dependency that cannot `require` would fail here, not at
 * the first invocation in Lambda). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../functions/environment.ts';
import {
  type BundleReport,
  bundleFunctions,
  bundleTargets,
  copyResourceSpec,
  formatReport,
  isForbiddenInput,
} from '../../infra/bundle-size.ts';
import {
  BUNDLED_FUNCTION_NAMES,
  esbuildOptions,
  REPOSITORY_ROOT,
  RESOURCE_SPEC_DATA_FILE,
  readsResourceSpec,
} from '../../infra/bundling.ts';

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
  it('are built for every function, once per Git host the stack deploys it with', () => {
    // Assess
    expect([...new Set(reports.map((report) => report.name))]).toEqual([...BUNDLED_FUNCTION_NAMES]);
    expect(reports.map(({ name, host }) => ({ name, host }))).toEqual(bundleTargets());
    const hostsOf = (name: string) => reports.filter((report) => report.name === name).map((report) => report.host);
    expect(hostsOf('sweep')).toEqual(['codecommit', 'github', 'gitlab']);
    expect(hostsOf('push')).toEqual(['codecommit']);
    expect(hostsOf('webhook-worker')).toEqual(['github', 'gitlab']);
    expect(formatReport(reports).split('\n')).toHaveLength(reports.length + 1);
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

/** A GitHub deployment's function environment (functions/environment.ts), no secret values. */
function githubEnvironment(): Record<string, string> {
  return {
    [ENVIRONMENT.repository]: 'acme/config',
    [ENVIRONMENT.branch]: 'main',
    [ENVIRONMENT.installationId]: 'default',
    [ENVIRONMENT.ledgerTable]: 'driftless-ledger',
    [ENVIRONMENT.lockTable]: 'driftless-lock',
    [ENVIRONMENT.allowedClusters]: 'prod',
    [ENVIRONMENT.source]: 'github',
    [ENVIRONMENT.githubAppId]: '123456',
    [ENVIRONMENT.githubPrivateKeySecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-key-AbCdEf',
    AWS_REGION: 'us-east-1',
  };
}

describe('bundles built for one Git host', () => {
  const reportOf = (name: string, host: string) => {
    const report = reports.find((candidate) => candidate.name === name && candidate.host === host);
    if (!report) throw new Error(`no ${name} bundle for ${host}`);
    return report;
  };
  const hostCode = (report: BundleReport) =>
    Object.keys(report.bytesByPackage).filter((name) => /^@aws-sdk\/client-(codecommit|secrets-manager)$/.test(name));

  it('carry the CodeCommit client only for CodeCommit and Secrets Manager only for GitHub and GitLab', () => {
    // Assess
    for (const report of reports.filter(
      (candidate) => candidate.name !== 'webhook' && candidate.name !== 'ledger-archive',
    )) {
      const expected =
        report.host === 'codecommit' ? ['@aws-sdk/client-codecommit'] : ['@aws-sdk/client-secrets-manager'];
      expect(hostCode(report), `${report.name} (${report.host})`).toEqual(expected);
    }
  });

  it('leave the other hosts out of the sweep (and so are smaller than the bundle for every host)', () => {
    // Arrange
    const text = (name: string, host: string) => readFileSync(reportOf(name, host).outfile, 'utf8');

    // Assess: the adapters' own API paths and the host mismatch check are there for the bundle's host only.
    expect(text('sweep', 'github')).toContain('/repos/');
    expect(text('sweep', 'gitlab')).not.toContain('/repos/');
    expect(text('sweep', 'codecommit')).not.toContain('/repos/');
    expect(text('sweep', 'gitlab')).toContain('repository/compare');
    expect(text('sweep', 'github')).not.toContain('repository/compare');
    expect(text('sweep', 'codecommit')).not.toContain('repository/compare');
    expect(reportOf('sweep', 'github').bytes).toBeLessThan(reportOf('sweep', 'codecommit').bytes);
  });

  it('refuse to run against another host than the one they were built for', () => {
    // Arrange: the sweep built for GitLab, deployed with a GitHub environment by mistake.
    const script = [
      `const { handler } = await import(${JSON.stringify(pathToFileURL(reportOf('sweep', 'gitlab').outfile).href)});`,
      "await handler({ id: 'e', 'detail-type': 'Scheduled Event', detail: {} }).then(",
      '  (value) => console.log(JSON.stringify(value)),',
      '  (error) => console.log(error.name, error.message),',
      ');',
    ].join('\n');

    // Act
    const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...githubEnvironment() },
    });

    // Assess
    expect(printed).toContain('this function was bundled for gitlab but the source is github');
  });
});

describe('the AWS clients in each bundle', () => {
  /** Clients whose code is in a bundle: more than the few enum constants a module may import from a client package. */
  const clientsIn = (report: BundleReport) =>
    Object.entries(report.bytesByPackage)
      .filter(([name, bytes]) => name.startsWith('@aws-sdk/client-') && bytes > 4 * 1024)
      .map(([name]) => name.slice('@aws-sdk/client-'.length))
      .sort();
  const reconciler = ['cloudformation', 'dynamodb', 'ecs', 'eventbridge'];
  const expected: Record<string, readonly string[]> = {
    push: reconciler,
    'pull-request': reconciler,
    'sweep-shard': reconciler,
    'manual-change': reconciler,
    'webhook-worker': reconciler,
    // Shards go out on SQS; the rare fan-out path still needs the client bundled.
    sweep: [...reconciler, 'sqs'],
    // A stack's outcome arrives in its event: no CloudFormation client.
    'deployment-outcome': ['dynamodb', 'ecs', 'eventbridge'],
    'ledger-archive': ['s3'],
    webhook: ['dynamodb', 'secrets-manager', 'sqs'],
  };

  it('are the ones some path of the function uses, plus the Git host client', () => {
    // Assess
    for (const report of reports) {
      const host = report.name === 'webhook' || report.name === 'ledger-archive' ? [] : [hostClient(report.host)];
      expect(clientsIn(report), `${report.name} (${report.host})`).toEqual(
        [...(expected[report.name] ?? []), ...host].sort(),
      );
    }
  });
});

function hostClient(host: string): string {
  return host === 'codecommit' ? 'codecommit' : 'secrets-manager';
}

describe('event streams', () => {
  it('are left out of every bundle but the ledger archive, whose S3 client wires them in', () => {
    // Assess: the codec's header names are in a bundle exactly when the real module is.
    for (const report of reports) {
      const text = readFileSync(report.outfile, 'utf8');
      const real = report.name === 'ledger-archive';
      expect(text.includes('Unrecognizable event type'), report.name).toBe(real);
      expect(text.includes('AWS event streams are left out'), report.name).toBe(!real);
    }
  });
});

describe('the resource specification index', () => {
  it('is a data file beside the bundles that read it, not JavaScript inside them', () => {
    // Assess
    for (const report of reports) {
      const reads = readsResourceSpec(report.name);
      expect(readFileSync(report.outfile, 'utf8').includes('resource-spec.br'), report.name).toBe(reads);
      expect(report.dataBytes, report.name).toBe(reads ? statSync(RESOURCE_SPEC_DATA_FILE).size : 0);
    }
    // The packed index used to be a base64 string of ~60 KB in every bundle.
    const sweep = reports.find((report) => report.name === 'sweep');
    expect(sweep?.bytesByPackage['shared/spec']).toBeLessThan(80 * 1024);
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

  it('signs with the credentials Lambda puts in the environment and checks templates against the index beside it', async () => {
    // Arrange: code bundled with the functions' options, run in a fresh Node as Lambda would run it.
    const probe = join(outdir, 'probe', 'index.mjs');
    await build({
      ...esbuildOptions('webhook', probe, 'github'),
      entryPoints: undefined,
      stdin: {
        contents: [
          "import { readFileSync } from 'node:fs';",
          "import { dynamoDbClient } from './shared/aws/clients.ts';",
          "import { propertiesOf, provideResourceSpec, resourceSpecFile, suggestType } from './shared/spec/resource-spec.ts';",
          'provideResourceSpec(() => readFileSync(resourceSpecFile()));',
          "const credentials = await dynamoDbClient({ region: 'eu-west-1' }).config.credentials();",
          "const queue = propertiesOf('AWS::SQS::Queue');",
          "console.log(JSON.stringify({ credentials, fifo: queue?.has('FifoQueue'), suggestion: suggestType('AWS::SQS::Queues') }));",
        ].join('\n'),
        resolveDir: REPOSITORY_ROOT,
        sourcefile: 'probe.ts',
        loader: 'ts',
      },
    });
    copyResourceSpec(dirname(probe));
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

describe('the YAML parser a bundle carries (yaml ES module build, aliased)', () => {
  /** Every declaration and template fixture: valid, invalid (with diagnostics at their lines) and hostile. */
  const fixtures = [join(REPOSITORY_ROOT, 'examples'), join(REPOSITORY_ROOT, 'test', 'fixtures', 'invalid')].flatMap(
    (root) =>
      (readdirSync(root, { recursive: true }) as string[])
        .filter((path) => path.endsWith('.yaml'))
        .map((path) => join(root, path)),
  );
  /** What validation makes of each file, as JSON: declarations, diagnostics with file:line, template values. */
  const PARSE_ALL = [
    "import { readFileSync } from 'node:fs';",
    "import { parseDeclarationFile } from './shared/spec/parse.ts';",
    "import { parseTemplate } from './shared/spec/cloudformation-yaml.ts';",
    "import { templateLocator } from './shared/spec/template-locator.ts';",
    'export function parseAll(files: string[]): string {',
    '  return JSON.stringify(files.map((file) => {',
    "    const text = readFileSync(file, 'utf8');",
    "    if (!file.includes('.template.')) return parseDeclarationFile(file, text);",
    '    const locate = templateLocator(file, text);',
    "    return { template: parseTemplate(text), resources: locate(['Resources']), first: locate([]) };",
    '  }));',
    '}',
  ].join('\n');

  it('parses every fixture exactly as the Node build does, values and line numbers alike', async () => {
    // Arrange: the same code bundled with the functions' options, and loaded from source (yaml's Node entry).
    const probe = join(outdir, 'yaml-probe', 'index.mjs');
    await build({
      ...esbuildOptions('sweep', probe, 'github'),
      entryPoints: undefined,
      banner: {},
      stdin: { contents: PARSE_ALL, resolveDir: REPOSITORY_ROOT, sourcefile: 'yaml-probe.ts', loader: 'ts' },
    });
    const inputs = (await build({ ...esbuildOptions('sweep', join(outdir, 'yaml-probe', 'inputs.mjs'), 'github') }))
      .metafile?.inputs;
    const fromSource = await import('../../shared/spec/parse.ts');
    const fromSourceTemplates = await import('../../shared/spec/cloudformation-yaml.ts');
    const fromSourceLocator = await import('../../shared/spec/template-locator.ts');

    // Act
    const bundled = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { parseAll } = await import(process.argv[1]); process.stdout.write(parseAll(JSON.parse(process.argv[2])));`,
        pathToFileURL(probe).href,
        JSON.stringify(fixtures),
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH ?? '' } },
    );
    const source = JSON.stringify(
      fixtures.map((file) => {
        const text = readFileSync(file, 'utf8');
        if (!file.includes('.template.')) return fromSource.parseDeclarationFile(file, text);
        const locate = fromSourceLocator.templateLocator(file, text);
        return {
          template: fromSourceTemplates.parseTemplate(text),
          resources: locate(['Resources']),
          first: locate([]),
        };
      }),
    );

    // Assess
    expect(fixtures.length).toBeGreaterThan(200);
    expect(Object.keys(inputs ?? {}).some((input) => input.includes('yaml/browser/dist/'))).toBe(true);
    expect(Object.keys(inputs ?? {}).some((input) => /yaml\/dist\//.test(input))).toBe(false);
    expect(bundled).toContain('"line":');
    expect(bundled).toBe(source);
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
