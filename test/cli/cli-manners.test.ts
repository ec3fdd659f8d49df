import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { awsSetupProblem } from '../../cli/aws-setup.ts';
import { formatAnnotations } from '../../cli/commands/validate.ts';
import { run } from '../../cli/main.ts';
import { githubAnnotation } from '../../cli/output.ts';
import { shortenNodeVersionWarning } from '../../cli/warnings.ts';
import { diagnostic } from '../../shared/spec/diagnostics.ts';
import { capture } from '../support/cli.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

const BIN = new URL('../../cli/bin.mjs', import.meta.url).pathname;

/** Runs the installed command as a person would, with exactly `env` (nothing inherited) and its exit code. */
async function driftless(args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string }) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: options.env,
      cwd: options.cwd,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('GitHub Actions annotations', () => {
  it('escapes data and properties as the Actions runner reads them', () => {
    // Act
    const line = githubAnnotation({
      severity: 'error',
      file: 'ecs/we,b:1%.yaml',
      line: 9,
      col: 3,
      title: 'E_X:Y,Z',
      message: '100% broken,\r\nnext: line',
    });

    // Assess
    expect(line).toBe(
      '::error file=ecs/we%2Cb%3A1%25.yaml,line=9,col=3,title=E_X%3AY%2CZ::100%25 broken,%0D%0Anext: line\n',
    );
    expect(line.split('\n')).toHaveLength(2);
  });

  it('prints warnings as ::warning and leaves out properties a finding does not have', () => {
    // Act
    const line = githubAnnotation({ severity: 'warning', message: 'only a message' });

    // Assess
    expect(line).toBe('::warning::only a message\n');
  });

  it('turns each diagnostic into one annotation line, warnings as warnings', () => {
    // Prepare
    const findings = [
      diagnostic('E_SCHEMA', { file: 'services/web.yaml', line: 4, column: 7 }, 'bad: value,\nsecond line'),
      diagnostic('W_IMAGE_TAG', { file: 'services/web.yaml', line: 12, column: 9 }, 'uses :latest'),
    ];

    // Act
    const output = formatAnnotations(findings);

    // Assess
    expect(output).toBe(
      '::error file=services/web.yaml,line=4,col=7,title=E_SCHEMA::bad: value,%0Asecond line\n' +
        '::warning file=services/web.yaml,line=12,col=9,title=W_IMAGE_TAG::uses :latest\n',
    );
  });
});

describe('driftless validate --format', () => {
  let repo: TestRepo | undefined;
  afterEach(async () => {
    await repo?.cleanup();
    repo = undefined;
  });

  it('annotates hostile file names and keys with repository-root paths under --path', async () => {
    // Prepare
    const example = await readTree(EXAMPLE_REPO_DIR);
    const nested = Object.fromEntries(Object.entries(example).map(([path, content]) => [`ecs/${path}`, content]));
    repo = await makeRepo({
      ...nested,
      'ecs/services/o,d:d%.yaml':
        'apiVersion: driftless/v1\nkind: EcsService\nmetadata: { name: odd, cluster: prod }\nspec:\n  "50%,x:y": 1\n',
    });
    const io = capture();

    // Act
    const exitCode = await run(['validate', '--repo', repo.dir, '--path', 'ecs', '--format', 'github'], io);

    // Assess
    expect(exitCode).toBe(1);
    const lines = io.stdout().trimEnd().split('\n');
    expect(lines[0]).toBe(
      '::error file=ecs/services/o%2Cd%3Ad%25.yaml,line=4,col=1,title=E_SCHEMA::spec.taskDefinition: is required',
    );
    expect(lines[1]).toMatch(
      /^::error file=ecs\/services\/o%2Cd%3Ad%25\.yaml,line=5,col=3,title=E_SCHEMA::unknown key "50%25,x:y" in spec; /,
    );
    expect(lines.at(-1)).toContain('✗ 2 errors in 1 file');
    expect(lines).toHaveLength(3);
  });

  it('prints only the verdict for a valid repository, and --json is --format json', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const github = capture();
    const json = capture();
    const formatJson = capture();

    // Act
    const githubExit = await run(['validate', '--repo', repo.dir, '--format', 'github'], github);
    await run(['validate', '--repo', repo.dir, '--json'], json);
    await run(['validate', '--repo', repo.dir, '--format', 'json'], formatJson);

    // Assess
    expect(githubExit).toBe(0);
    expect(github.stdout()).toBe('✓ valid: 4 declarations (3 EcsService, 1 CloudFormationStack)\n');
    expect(JSON.parse(formatJson.stdout())).toEqual(JSON.parse(json.stdout()));
  });

  it('annotates a repository it cannot read, and refuses an unknown format', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const missing = capture();
    const unknown = capture();

    // Act
    const missingExit = await run(['validate', '--repo', repo.dir, '--ref', 'nope', '--format', 'github'], missing);
    const unknownExit = await run(['validate', '--repo', repo.dir, '--format', 'sarif'], unknown);

    // Assess
    expect(missingExit).toBe(1);
    expect(missing.stdout()).toMatch(
      /^::error title=RefNotFoundError::cannot read the repository at .* ref not found: nope\n$/,
    );
    expect(unknownExit).toBe(1);
    expect(unknown.stderr()).toContain('Allowed choices are text, json, github');
  });
});

describe('driftless plan without a region or credentials', () => {
  let repo: TestRepo | undefined;
  let home: string | undefined;
  afterEach(async () => {
    await repo?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
    repo = undefined;
    home = undefined;
  });

  /** No AWS_* variable and a HOME with no ~/.aws: the SDK finds nothing to use. The instance metadata endpoint, the
   * one place the credential chain would call out, points at a closed loopback port. */
  async function emptyEnvironment(): Promise<NodeJS.ProcessEnv> {
    home = await mkdtemp(join(tmpdir(), 'driftless-home-'));
    return {
      PATH: process.env.PATH,
      HOME: home,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
    };
  }

  it('says how to give a region, exit 1, no stack trace', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const env = await emptyEnvironment();

    // Act
    const result = await driftless(['plan', '--repo', repo.dir], { env });

    // Assess
    expect(result.code).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual([expect.stringContaining('no AWS region: pass --region')]);
    expect(errors[0]).toContain('AWS_REGION');
    expect(errors[0]).toContain('--endpoint');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toBe('');
  });

  it('says how to give credentials, exit 1, and the SDK notice is at most one line', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const env = await emptyEnvironment();

    // Act
    const result = await driftless(['plan', '--repo', repo.dir, '--region', 'eu-west-1'], { env });

    // Assess
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    const errors = lines.filter((line) => line.startsWith('error:'));
    expect(errors).toEqual([expect.stringContaining('no AWS credentials: set AWS_PROFILE')]);
    expect(result.stderr).not.toContain('NodeVersionSupportWarning');
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('says the same from every other command that reads AWS', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const env = await emptyEnvironment();
    const out = join(home ?? '', 'imported');
    const commands = [
      ['reconcile', '--repo', repo.dir],
      ['status', '--repo', repo.dir],
      ['audit'],
      ['pause', 'web', '--for', '1h', '--reason', 'test', '--repo', repo.dir],
      ['import', '--cluster', 'prod', '--all', '--out', out],
    ];

    // Act
    const results = await Promise.all(commands.map((args) => driftless(args, { env })));

    // Assess
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([
        expect.stringContaining('no AWS region: pass --region eu-west-1, set AWS_REGION'),
      ]);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('recognises the SDK errors under the errors that wrap them, and nothing else', () => {
    // Prepare
    const region = new Error('cannot learn who you are', { cause: new Error('Region is missing') });
    const credentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });

    // Act, Assess
    expect(awsSetupProblem(region)).toMatch(/^no AWS region/);
    expect(awsSetupProblem(new Error('wrapped', { cause: credentials }))).toMatch(/^no AWS credentials/);
    expect(awsSetupProblem(new Error('AccessDenied'))).toBeUndefined();
    expect(awsSetupProblem('Region is missing')).toBeUndefined();
  });
});

describe('the Node version notice', () => {
  const SDK_NOTICE =
    'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after the first week of January 2027\nwill require node >=22.';

  it('prints the SDK notice as one line, once, and passes every other warning through unchanged', () => {
    // Prepare
    const passed: unknown[][] = [];
    const target = { emitWarning: ((...args: unknown[]) => passed.push(args)) as typeof process.emitWarning };
    const written: string[] = [];
    shortenNodeVersionWarning(target, (text) => written.push(text));
    const other = new Error('something else');

    // Act
    target.emitWarning(SDK_NOTICE);
    target.emitWarning(SDK_NOTICE);
    target.emitWarning('deprecated thing', 'DeprecationWarning', 'DEP0999');
    target.emitWarning(other);

    // Assess
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^note: Node v\d+\.\d+\.\d+ is past its end of life; driftless supports Node 22 and 24/);
    expect(written[0]?.split('\n')).toEqual([expect.any(String), '']);
    expect(passed).toEqual([['deprecated thing', 'DeprecationWarning', 'DEP0999'], [other]]);
  });

  it('leaves stderr empty when validate runs on this Node', async () => {
    // Prepare
    const repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));

    // Act
    const result = await driftless(['validate', '--repo', repo.dir], { env: { PATH: process.env.PATH } });
    await repo.cleanup();

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});

describe('driftless --help', () => {
  /** Example command lines cannot be broken; every other line fits 80 columns. */
  const proseLines = (text: string) => text.split('\n').filter((line) => !/^ {2}(\S+=\S+ )?driftless /.test(line));

  it('wraps every command at 80 columns with no line broken mid-sentence', async () => {
    // Prepare
    const commands = ['', 'validate', 'plan', 'reconcile', 'status', 'audit', 'pause', 'resume', 'rollback'];
    const env = { PATH: process.env.PATH, COLUMNS: '80' };

    // Act
    const helps = await Promise.all(
      commands.map((command) => driftless(command === '' ? ['--help'] : [command, '--help'], { env })),
    );

    // Assess
    for (const help of helps) {
      expect(help.code).toBe(0);
      expect(proseLines(help.stdout).filter((line) => line.length > 80)).toEqual([]);
    }
    const audit = helps[5]?.stdout ?? '';
    expect(audit).toMatch(
      /\n--verify: every entry carries its sequence in its partition \(one resource, or\none run\)/,
    );
  });

  it('answers --version and --help without loading the AWS SDK', async () => {
    // Prepare
    const script = [
      "import { register } from 'tsx/esm/api';",
      "import { createRequire } from 'node:module';",
      'register();',
      `const { run } = await import(${JSON.stringify(new URL('../../cli/main.ts', import.meta.url).href)});`,
      'const quiet = { out() {}, err() {}, color: false };',
      "await run(['--version'], quiet);",
      "await run(['plan', '--help'], quiet);",
      'const loaded = Object.keys(createRequire(import.meta.url).cache);',
      'console.log(JSON.stringify(loaded.filter((path) => /@aws-sdk|@smithy|[\\\\/]zod[\\\\/]/.test(path)).length));',
    ].join('\n');

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
    });

    // Assess
    expect(JSON.parse(stdout)).toBe(0);
  });
});
